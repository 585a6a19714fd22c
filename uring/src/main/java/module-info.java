/**
 * netmem's io_uring binding, in pure FFM ({@code java.lang.foreign}): no JNI, no liburing, no native
 * library of its own. It depends only on {@code dev.netmem.api}, for the errno vocabulary
 * ({@code dev.netmem.api.Errno}), so that a NIC driver can be built on it.
 * <ul>
 *   <li>{@link dev.netmem.uring.IoUring}: one ring (setup, SQEs, submit and wait, CQE reaping);</li>
 *   <li>{@link dev.netmem.uring.BufRing}: a provided-buffer ring ({@code IORING_REGISTER_PBUF_RING});</li>
 *   <li>{@link dev.netmem.uring.IoUringProbe}, {@link dev.netmem.uring.IoUringAvailability}: what the
 *       running kernel supports, and why io_uring cannot be used when it cannot;</li>
 *   <li>{@link dev.netmem.uring.Sockets}: the few socket calls a loopback TCP receive needs;</li>
 *   <li>{@link dev.netmem.uring.EventFd}: wakes a ring's owner blocked in the kernel;</li>
 *   <li>{@link dev.netmem.uring.IoUringDescriptor}: the uapi layouts and constants, declared once.</li>
 * </ul>
 * Callers need {@code --enable-native-access=dev.netmem.uring}.
 */
module dev.netmem.uring {
    requires dev.netmem.api;

    exports dev.netmem.uring;
}
