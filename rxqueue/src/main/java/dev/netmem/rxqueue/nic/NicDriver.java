package dev.netmem.rxqueue.nic;

/**
 * The driver a {@link NetDevice} is built with ({@link NetDevice.Builder#driver}): the
 * {@linkplain #emulated() emulated NIC} (a wire feeds bytes that the NIC copies into posted
 * buffers: tests, soak, fault injection) or the {@linkplain IoUringNic io_uring NIC} (the kernel's
 * TCP stack receives real connections straight into buffers posted on a provided-buffer ring).
 * Both drive the same queues, pools, providers and stack; only how buffers are posted and filled
 * differs.
 */
public sealed interface NicDriver permits EmulatedNic, IoUringNic {
    /** The emulated NIC, the default. */
    static NicDriver emulated() {
        return EmulatedNic.INSTANCE;
    }

    /** A short name: {@code "emulated"} or {@code "io_uring"}. */
    String name();
}
