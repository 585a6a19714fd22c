package dev.netmem.uring;

import static dev.netmem.uring.IoUringDescriptor.IORING_CQE_F_BUFFER;
import static dev.netmem.uring.IoUringDescriptor.IORING_CQE_F_MORE;
import static dev.netmem.uring.IoUringDescriptor.IORING_OP_ASYNC_CANCEL;
import static dev.netmem.uring.IoUringDescriptor.IORING_OP_RECV;

import dev.netmem.api.Errno;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Whether io_uring can carry a multishot receive into provided buffers on this machine, and if not,
 * why, in one message naming the cause. {@link #check()} tries what the receive path needs, in
 * order: the {@code io_uring_disabled} sysctl, {@code io_uring_setup} (seccomp gives {@code EPERM} or
 * {@code ENOSYS}), the opcode probe, a trial buffer-ring registration, and a trial multishot receive
 * with buffer select on a socketpair.
 *
 * @param cause      what was found; {@link Cause#AVAILABLE} when everything works
 * @param message    one sentence naming the cause (or, when available, what was found)
 * @param features   the {@code IORING_FEAT_*} word, 0 when no ring could be set up
 * @param setupFlags the {@code IORING_SETUP_*} flags a default ring got, 0 when none could be set up
 */
public record IoUringAvailability(Cause cause, String message, int features, int setupFlags) {

    /** Why io_uring can or cannot be used. */
    public enum Cause {
        /** Everything the receive path needs works. */
        AVAILABLE,
        /** {@code /proc/sys/kernel/io_uring_disabled} is 2, or 1 and this process is not allowed. */
        DISABLED_BY_SYSCTL,
        /** {@code io_uring_setup} gave {@code EPERM} with the sysctl allowing it: a seccomp filter. */
        BLOCKED,
        /** {@code io_uring_setup} gave {@code ENOSYS}: no io_uring in the kernel, or hidden by seccomp. */
        NOT_IMPLEMENTED,
        /** {@code io_uring_setup} failed otherwise (e.g. {@code ENOMEM}: locked-memory limit). */
        SETUP_FAILED,
        /** {@code IORING_REGISTER_PROBE} failed (Linux before 5.6). */
        NO_PROBE,
        /** {@code IORING_OP_RECV} or {@code IORING_OP_ASYNC_CANCEL} is missing from the probe. */
        OPCODE_MISSING,
        /** {@code IORING_REGISTER_PBUF_RING} failed (Linux before 5.19). */
        NO_PBUF_RING,
        /** A multishot receive with buffer select did not work (Linux before 6.0). */
        NO_MULTISHOT_RECV
    }

    private static final long TRIAL_RECV = 1;
    private static final long TRIAL_CANCEL = 2;
    private static final int TRIAL_BGID = 0;

    /** Whether io_uring can be used. */
    public boolean available() {
        return cause == Cause.AVAILABLE;
    }

    /** Checks the running kernel (sets up and closes a small ring and a socketpair). */
    public static IoUringAvailability check() {
        return check(Kernel.LINUX);
    }

    static IoUringAvailability check(Kernel kernel) {
        int disabled = kernel.ioUringDisabled();
        if (disabled == 2) {
            return new IoUringAvailability(Cause.DISABLED_BY_SYSCTL, "io_uring is disabled on this machine: "
                    + Kernel.IO_URING_DISABLED + " is 2 (io_uring_setup fails with EPERM for every process)", 0, 0);
        }
        IoUring ring;
        try {
            ring = IoUring.open(IoUringParams.of(8, 64), kernel);
        } catch (SyscallException e) {
            return setupFailed(e, disabled);
        }
        try (ring) {
            return checkRing(ring);
        }
    }

    private static IoUringAvailability setupFailed(SyscallException e, int disabled) {
        String failed = "io_uring_setup failed with " + SyscallException.format(e.errno());
        if (e.errno() == Errno.EPERM.value() && disabled == 1) {
            return new IoUringAvailability(Cause.DISABLED_BY_SYSCTL, "io_uring is disabled for this process: "
                    + Kernel.IO_URING_DISABLED + " is 1 and the process is neither in kernel.io_uring_group nor"
                    + " CAP_SYS_ADMIN (" + failed + ")", 0, 0);
        }
        if (e.errno() == Errno.EPERM.value()) {
            return new IoUringAvailability(Cause.BLOCKED, "io_uring is blocked: " + failed + " although "
                    + Kernel.IO_URING_DISABLED + " allows it; a seccomp filter denies it (container runtimes'"
                    + " default profiles do)", 0, 0);
        }
        if (e.errno() == Errno.ENOSYS.value()) {
            return new IoUringAvailability(Cause.NOT_IMPLEMENTED, "io_uring is not implemented: " + failed
                    + "; the kernel is built without io_uring, or a seccomp filter hides it", 0, 0);
        }
        return new IoUringAvailability(Cause.SETUP_FAILED, "io_uring cannot be set up: " + e.getMessage(), 0, 0);
    }

    private static IoUringAvailability checkRing(IoUring ring) {
        int features = ring.features();
        int flags = ring.setupFlags();
        IoUringProbe probe;
        try {
            probe = ring.probe();
        } catch (SyscallException e) {
            return new IoUringAvailability(Cause.NO_PROBE, "io_uring cannot be probed: " + e.getMessage()
                    + " (IORING_REGISTER_PROBE needs Linux 5.6)", features, flags);
        }
        for (int op : new int[] {IORING_OP_RECV, IORING_OP_ASYNC_CANCEL}) {
            if (!probe.supports(op)) {
                String name = op == IORING_OP_RECV ? "IORING_OP_RECV" : "IORING_OP_ASYNC_CANCEL";
                return new IoUringAvailability(Cause.OPCODE_MISSING, "io_uring lacks " + name + " (" + op
                        + "): the kernel's probe reports last opcode " + probe.lastOp(), features, flags);
            }
        }
        BufRing bufs;
        try {
            bufs = BufRing.register(ring, TRIAL_BGID, 1, 0);
        } catch (SyscallException e) {
            return new IoUringAvailability(Cause.NO_PBUF_RING, "io_uring has no provided-buffer rings: "
                    + e.getMessage() + " (IORING_REGISTER_PBUF_RING needs Linux 5.19)", features, flags);
        }
        try (bufs) {
            String failure = trialMultishotRecv(ring, bufs);
            if (failure != null) {
                return new IoUringAvailability(Cause.NO_MULTISHOT_RECV, "io_uring multishot receive with buffer"
                        + " select does not work (it needs Linux 6.0): " + failure, features, flags);
            }
        }
        return new IoUringAvailability(Cause.AVAILABLE, "io_uring is available: features=0x"
                + Integer.toHexString(features) + ", setup flags=0x" + Integer.toHexString(flags)
                + ", last opcode " + probe.lastOp(), features, flags);
    }

    /** Arms a multishot receive, sends one byte, expects it with F_BUFFER | F_MORE; cancels and drains. */
    private static String trialMultishotRecv(IoUring ring, BufRing bufs) {
        int[] pair = Sockets.unixStreamPair();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buf = arena.allocate(64);
            bufs.add(buf, 0, 0);
            bufs.advance(1);
            ring.prepRecvMultishot(ring.getSqe(), pair[0], TRIAL_BGID, false, TRIAL_RECV);
            Sockets.write(pair[1], arena.allocate(1));
            Trial t = new Trial();
            for (int i = 0; i < 50 && !t.recvEnded && !t.seen; i++) {
                ring.submitAndWait(1, 100_000_000L);
                ring.reap(t);
            }
            String failure = !t.seen ? "no completion within 5 s"
                    : t.firstRes == 1 && (t.firstFlags & (IORING_CQE_F_BUFFER | IORING_CQE_F_MORE))
                            == (IORING_CQE_F_BUFFER | IORING_CQE_F_MORE) ? null
                    : "the trial receive completed with "
                            + (t.firstRes < 0 ? SyscallException.format(t.firstRes) : "res " + t.firstRes)
                            + ", flags 0x" + Integer.toHexString(t.firstFlags);
            if (!t.recvEnded) {
                ring.prepCancel(ring.getSqe(), TRIAL_RECV, false, TRIAL_CANCEL);
                for (int i = 0; i < 50 && !(t.recvEnded && t.cancelled); i++) {
                    ring.submitAndWait(1, 100_000_000L);
                    ring.reap(t);
                }
            }
            return t.recvEnded ? failure : "the trial receive could not be cancelled";
        } finally {
            Libc.close(pair[0]);
            Libc.close(pair[1]);
        }
    }

    /** Collects the trial's CQEs. */
    private static final class Trial implements CqeHandler {
        int firstRes;
        int firstFlags;
        boolean seen;
        boolean recvEnded;
        boolean cancelled;

        @Override
        public void onCqe(long userData, int res, int flags) {
            if (userData == TRIAL_RECV) {
                if (!seen) {
                    seen = true;
                    firstRes = res;
                    firstFlags = flags;
                }
                recvEnded |= (flags & IORING_CQE_F_MORE) == 0;
            } else if (userData == TRIAL_CANCEL) {
                cancelled = true;
            }
        }
    }
}
