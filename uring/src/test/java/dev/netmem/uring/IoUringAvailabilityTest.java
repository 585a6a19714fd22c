package dev.netmem.uring;

import static dev.netmem.uring.IoUringDescriptor.IORING_REGISTER_PBUF_RING;
import static dev.netmem.uring.IoUringDescriptor.IORING_REGISTER_PROBE;
import static dev.netmem.uring.IoUringDescriptor.IORING_UNREGISTER_PBUF_RING;
import static dev.netmem.uring.IoUringDescriptor.IO_URING_PROBE;
import static dev.netmem.uring.IoUringDescriptor.IO_URING_PROBE_OP;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.netmem.api.Errno;
import dev.netmem.uring.IoUringAvailability.Cause;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Each reason io_uring may be unusable, forced through the {@link Kernel} seam, gives one message
 * naming the cause. The causes past {@code io_uring_setup} need a real ring underneath, so those
 * cases run only where io_uring works.
 */
@Timeout(60)
class IoUringAvailabilityTest {

    private static IoUringAvailability check(Kernel kernel) {
        IoUringAvailability a = IoUringAvailability.check(kernel);
        System.out.println(a.cause() + ": " + a.message());
        return a;
    }

    /** A kernel whose sysctl reads {@code disabled} and whose io_uring_setup returns {@code setupResult}. */
    private static Kernel setupFails(int disabled, int setupResult) {
        return new DelegatingKernel() {
            @Override
            public int ioUringDisabled() {
                return disabled;
            }

            @Override
            public int setup(int entries, MemorySegment params) {
                return setupResult;
            }
        };
    }

    @Test
    void shouldNameTheSysctlWhenIoUringIsDisabledForEveryone() {
        IoUringAvailability a = check(setupFails(2, Errno.EPERM.value()));
        assertEquals(Cause.DISABLED_BY_SYSCTL, a.cause());
        assertEquals("io_uring is disabled on this machine: /proc/sys/kernel/io_uring_disabled is 2"
                + " (io_uring_setup fails with EPERM for every process)", a.message());
    }

    @Test
    void shouldNameTheSysctlWhenIoUringIsDisabledForThisProcess() {
        IoUringAvailability a = check(setupFails(1, Errno.EPERM.value()));
        assertEquals(Cause.DISABLED_BY_SYSCTL, a.cause());
        assertEquals("io_uring is disabled for this process: /proc/sys/kernel/io_uring_disabled is 1 and the"
                + " process is neither in kernel.io_uring_group nor CAP_SYS_ADMIN (io_uring_setup failed with"
                + " EPERM (-1): Operation not permitted)", a.message());
    }

    @Test
    void shouldNameSeccompWhenSetupIsNotPermitted() {
        IoUringAvailability a = check(setupFails(0, Errno.EPERM.value()));
        assertEquals(Cause.BLOCKED, a.cause());
        assertEquals("io_uring is blocked: io_uring_setup failed with EPERM (-1): Operation not permitted although"
                + " /proc/sys/kernel/io_uring_disabled allows it; a seccomp filter denies it (container runtimes'"
                + " default profiles do)", a.message());
    }

    @Test
    void shouldNameAMissingSyscall() {
        IoUringAvailability a = check(setupFails(-1, Errno.ENOSYS.value()));
        assertEquals(Cause.NOT_IMPLEMENTED, a.cause());
        assertEquals("io_uring is not implemented: io_uring_setup failed with ENOSYS (-38): Function not implemented;"
                + " the kernel is built without io_uring, or a seccomp filter hides it", a.message());
    }

    @Test
    void shouldReportOtherSetupFailuresVerbatim() {
        IoUringAvailability a = check(setupFails(0, Errno.ENOMEM.value()));
        assertEquals(Cause.SETUP_FAILED, a.cause());
        assertEquals("io_uring cannot be set up: io_uring_setup: ENOMEM (-12): Cannot allocate memory; entries=8,"
                + " cq_entries=64, flags=0x13088", a.message());
        assertEquals(false, a.available());
    }

    @Test
    void shouldNameAKernelWithoutProbing() {
        UringTestSupport.assumeIoUring();
        IoUringAvailability a = check(new DelegatingKernel() {
            @Override
            public int register(int fd, int opcode, long arg, int nrArgs) {
                return opcode == IORING_REGISTER_PROBE ? Errno.EINVAL.value() : super.register(fd, opcode, arg, nrArgs);
            }
        });
        assertEquals(Cause.NO_PROBE, a.cause());
        assertEquals("io_uring cannot be probed: IORING_REGISTER_PROBE: EINVAL (-22): Invalid argument"
                + " (IORING_REGISTER_PROBE needs Linux 5.6)", a.message());
    }

    @Test
    void shouldNameAMissingRecvOpcode() {
        UringTestSupport.assumeIoUring();
        IoUringAvailability a = check(new DelegatingKernel() {
            @Override
            @SuppressWarnings("restricted") // the probe result the kernel just wrote
            public int register(int fd, int opcode, long arg, int nrArgs) {
                int r = super.register(fd, opcode, arg, nrArgs);
                if (opcode == IORING_REGISTER_PROBE && r == 0) {
                    // rewrite it as a 5.5 kernel's: nothing from IORING_OP_RECV (27) on
                    MemorySegment probe = MemorySegment.ofAddress(arg).reinterpret(
                            IO_URING_PROBE.byteSize() + (long) nrArgs * IO_URING_PROBE_OP.byteSize());
                    probe.set(ValueLayout.JAVA_BYTE, 0, (byte) 26);
                    for (int op = 27; op < nrArgs; op++) {
                        probe.set(ValueLayout.JAVA_SHORT, IO_URING_PROBE.byteSize() + op * IO_URING_PROBE_OP.byteSize() + 2,
                                (short) 0);
                    }
                }
                return r;
            }
        });
        assertEquals(Cause.OPCODE_MISSING, a.cause());
        assertEquals("io_uring lacks IORING_OP_RECV (27): the kernel's probe reports last opcode 26", a.message());
    }

    @Test
    void shouldNameAKernelWithoutBufferRings() {
        UringTestSupport.assumeIoUring();
        IoUringAvailability a = check(new DelegatingKernel() {
            @Override
            public int register(int fd, int opcode, long arg, int nrArgs) {
                return opcode == IORING_REGISTER_PBUF_RING ? Errno.EINVAL.value() : super.register(fd, opcode, arg, nrArgs);
            }
        });
        assertEquals(Cause.NO_PBUF_RING, a.cause());
        assertEquals("io_uring has no provided-buffer rings: IORING_REGISTER_PBUF_RING: EINVAL (-22): Invalid argument;"
                + " bgid=0, entries=1, flags=0x0 (IORING_REGISTER_PBUF_RING needs Linux 5.19)", a.message());
    }

    @Test
    void shouldNameAFailedTrialMultishotReceive() {
        UringTestSupport.assumeIoUring();
        // the registration "succeeds" without reaching the kernel, so the trial receive finds no buffer
        // group and ends at once, as a kernel without multishot receive ends it with EINVAL
        IoUringAvailability a = check(new DelegatingKernel() {
            @Override
            public int register(int fd, int opcode, long arg, int nrArgs) {
                return opcode == IORING_REGISTER_PBUF_RING || opcode == IORING_UNREGISTER_PBUF_RING ? 0
                        : super.register(fd, opcode, arg, nrArgs);
            }
        });
        assertEquals(Cause.NO_MULTISHOT_RECV, a.cause());
        assertEquals("io_uring multishot receive with buffer select does not work (it needs Linux 6.0): the trial"
                + " receive completed with ENOBUFS (-105): No buffer space available, flags 0x0", a.message());
    }

    @Test
    void shouldReportWhatWorksWhenAvailable() {
        UringTestSupport.assumeIoUring();
        IoUringAvailability a = check(Kernel.LINUX);
        assertEquals(Cause.AVAILABLE, a.cause());
        assertTrue(a.available());
        assertEquals("io_uring is available: features=0x" + Integer.toHexString(a.features()) + ", setup flags=0x"
                + Integer.toHexString(a.setupFlags()) + ", last opcode ", a.message().replaceAll("\\d+$", ""));
        assertTrue((a.setupFlags() & IoUringDescriptor.IORING_SETUP_CQSIZE) != 0);
    }
}
