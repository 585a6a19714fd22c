package dev.netmem.uring;

import static dev.netmem.uring.IoUringDescriptor.GETEVENTS_SIGMASK_SZ;
import static dev.netmem.uring.IoUringDescriptor.GETEVENTS_TS;
import static dev.netmem.uring.IoUringDescriptor.IORING_ACCEPT_MULTISHOT;
import static dev.netmem.uring.IoUringDescriptor.IORING_ASYNC_CANCEL_ALL;
import static dev.netmem.uring.IoUringDescriptor.IORING_ASYNC_CANCEL_ANY;
import static dev.netmem.uring.IoUringDescriptor.IORING_ASYNC_CANCEL_FD;
import static dev.netmem.uring.IoUringDescriptor.IORING_ENTER_EXT_ARG;
import static dev.netmem.uring.IoUringDescriptor.IORING_ENTER_GETEVENTS;
import static dev.netmem.uring.IoUringDescriptor.IORING_FEAT_EXT_ARG;
import static dev.netmem.uring.IoUringDescriptor.IORING_OP_ACCEPT;
import static dev.netmem.uring.IoUringDescriptor.IORING_OP_ASYNC_CANCEL;
import static dev.netmem.uring.IoUringDescriptor.IORING_OP_NOP;
import static dev.netmem.uring.IoUringDescriptor.IORING_OP_READ;
import static dev.netmem.uring.IoUringDescriptor.IORING_OP_RECV;
import static dev.netmem.uring.IoUringDescriptor.IORING_RECVSEND_BUNDLE;
import static dev.netmem.uring.IoUringDescriptor.IORING_RECV_MULTISHOT;
import static dev.netmem.uring.IoUringDescriptor.IORING_REGISTER_ENABLE_RINGS;
import static dev.netmem.uring.IoUringDescriptor.IORING_SETUP_R_DISABLED;
import static dev.netmem.uring.IoUringDescriptor.IORING_SQ_CQ_OVERFLOW;
import static dev.netmem.uring.IoUringDescriptor.IOSQE_BUFFER_SELECT;
import static dev.netmem.uring.IoUringDescriptor.IO_URING_GETEVENTS_ARG;
import static dev.netmem.uring.IoUringDescriptor.KERNEL_TIMESPEC;
import static dev.netmem.uring.IoUringDescriptor.TS_NSEC;
import static dev.netmem.uring.IoUringDescriptor.TS_SEC;

import dev.netmem.api.Errno;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * One io_uring instance ({@code struct io_ring_ctx} seen from user space): its SQ and CQ rings
 * mapped, SQE preparation, submit-and-wait, and CQE reaping.
 *
 * <p><b>Single issuer.</b> One thread, the <em>owner</em>, does everything but {@link #close()}: it is
 * the thread that called {@link #open} (or {@link #enable()} for an
 * {@link IoUringDescriptor#IORING_SETUP_R_DISABLED} ring), which is also the task the kernel binds with
 * {@code IORING_SETUP_SINGLE_ISSUER}. Methods check it with {@code assert isOwnerThread()} only. With
 * {@code IORING_SETUP_DEFER_TASKRUN} the kernel runs completions (and multishot receives' data
 * copies) only inside {@link #submitAndWait} on that thread, so a ring that nobody enters makes no
 * progress.
 *
 * <p><b>Lifecycle.</b> {@code OPEN → CLOSED}. {@link #close()} unmaps and closes the fd; the kernel then
 * cancels whatever is still in flight.
 *
 * <p>Usage, a multishot receive:
 * <pre>{@code
 * try (IoUring ring = IoUring.open(IoUringParams.of(64, 1024));
 *      BufRing bufs = BufRing.register(ring, 0, 256, 0)) {
 *     ... bufs.add(addr, 4096, bid, k) for each buffer, then bufs.advance(n);
 *     ring.prepRecvMultishot(ring.getSqe(), fd, 0, false, CONN_ID);
 *     while (open) {
 *         ring.submitAndWait(1, 1_000_000_000L);
 *         ring.reap((userData, res, flags) -> ...);   // re-arm on a CQE without IORING_CQE_F_MORE
 *     }
 * }
 * }</pre>
 */
public final class IoUring implements AutoCloseable {
    /** {@code _NSIG / 8}, as liburing passes it even without a sigmask. */
    private static final int SIGMASK_SZ = 8;

    private final Kernel kernel;
    private final RingMapping mapping;
    private final Arena arena;
    private final int fd;
    private final SubmissionQueue sq;
    private final CompletionQueue cq;
    private final MemorySegment waitArg;
    private final MemorySegment timeout;
    private final boolean extArg;
    private long overflowFlushes;
    private Thread owner;
    private boolean closed;

    @SuppressWarnings("restricted") // sized views of the kernel's mappings; native access is granted to this module
    private IoUring(Kernel kernel, RingMapping m, Arena arena) {
        this.kernel = kernel;
        this.mapping = m;
        this.arena = arena;
        this.fd = m.fd;
        MemorySegment sqRing = MemorySegment.ofAddress(m.sqRingAddr).reinterpret(m.sqRingLen, arena, null);
        MemorySegment cqRing = m.cqRingAddr == 0 ? sqRing
                : MemorySegment.ofAddress(m.cqRingAddr).reinterpret(m.cqRingLen, arena, null);
        this.sq = new SubmissionQueue(m, sqRing, MemorySegment.ofAddress(m.sqesAddr).reinterpret(m.sqesLen, arena, null));
        this.cq = new CompletionQueue(m, cqRing);
        this.waitArg = arena.allocate(IO_URING_GETEVENTS_ARG);
        this.timeout = arena.allocate(KERNEL_TIMESPEC);
        GETEVENTS_SIGMASK_SZ.set(waitArg, 0L, SIGMASK_SZ);
        GETEVENTS_TS.set(waitArg, 0L, timeout.address());
        this.extArg = (m.features & IORING_FEAT_EXT_ARG) != 0;
        this.owner = (m.setupFlags & IORING_SETUP_R_DISABLED) != 0 ? null : Thread.currentThread();
    }

    /**
     * Sets up a ring with the preferred flags, dropping those the kernel rejects (see
     * {@link IoUringParams}). The calling thread becomes the owner unless the ring
     * starts disabled.
     *
     * @throws SyscallException e.g. {@code "io_uring_setup: EPERM (-1): Operation not permitted; ..."}
     */
    public static IoUring open(IoUringParams params) {
        return open(params, Kernel.LINUX);
    }

    static IoUring open(IoUringParams params, Kernel kernel) {
        Arena arena = Arena.ofShared();
        try {
            return new IoUring(kernel, RingMapping.create(kernel, params, arena), arena);
        } catch (RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    // ---- identity -----------------------------------------------------------------------------

    /** The ring's file descriptor. */
    public int fd() {
        return fd;
    }

    /** The {@code IORING_SETUP_*} flags the kernel accepted. */
    public int setupFlags() {
        return mapping.setupFlags;
    }

    /** The {@code IORING_FEAT_*} word {@code io_uring_setup} returned. */
    public int features() {
        return mapping.features;
    }

    /** SQ size. */
    public int sqEntries() {
        return sq.entries();
    }

    /** CQ size. */
    public int cqEntries() {
        return mapping.cqEntries;
    }

    /** Whether the calling thread is the single issuer. */
    public boolean isOwnerThread() {
        return Thread.currentThread() == owner;
    }

    /**
     * Enables a ring set up with {@code IORING_SETUP_R_DISABLED} ({@code IORING_REGISTER_ENABLE_RINGS});
     * the calling thread becomes its owner and, with SINGLE_ISSUER, the kernel's submitter task.
     * Lets a control thread build the ring and the NAPI thread drive it.
     */
    public void enable() {
        if (owner != null) {
            throw new IllegalStateException("ring is already enabled, owned by " + owner.getName());
        }
        check(register(IORING_REGISTER_ENABLE_RINGS, 0, 0), "IORING_REGISTER_ENABLE_RINGS");
        owner = Thread.currentThread();
    }

    // ---- submission ---------------------------------------------------------------------------

    /**
     * The index of the next free SQE, zeroed, or -1 when the SQ is full (submit first). Owner only.
     * The SQE belongs to the next {@link #submit()}; fill it with one {@code prep…} method.
     */
    public int getSqe() {
        assert isOwnerThread() : "not the ring's owner thread";
        return sq.next();
    }

    /** {@code IORING_OP_NOP}: completes with res 0. */
    public void prepNop(int sqe, long userData) {
        sq.prep(sqe, IORING_OP_NOP, -1, 0, 0, 0, userData);
    }

    /**
     * A multishot {@code IORING_OP_RECV} with buffer select ({@code io_uring_prep_recv_multishot}):
     * every CQE names a buffer of group {@code bgid}; the request stays armed while CQEs carry
     * {@code IORING_CQE_F_MORE}. {@code len} and {@code msg_flags} are 0 (no {@code MSG_WAITALL}).
     *
     * @param bundle also {@code IORING_RECVSEND_BUNDLE}: one CQE may cover consecutive ring buffers
     */
    public void prepRecvMultishot(int sqe, int sockFd, int bgid, boolean bundle, long userData) {
        long base = sq.prep(sqe, IORING_OP_RECV, sockFd, 0, 0, 0, userData);
        sq.sqeFlags(base, IOSQE_BUFFER_SELECT);
        sq.ioprio(base, IORING_RECV_MULTISHOT | (bundle ? IORING_RECVSEND_BUNDLE : 0));
        sq.bufGroup(base, bgid);
    }

    /**
     * A multishot {@code IORING_OP_ACCEPT} on a listening socket ({@code io_uring_prep_multishot_accept},
     * Linux 5.19): one CQE per connection, {@code res} the new fd (close-on-exec), while
     * {@code IORING_CQE_F_MORE} says it stays armed. Lets the owner accept without a blocking thread.
     */
    public void prepAcceptMultishot(int sqe, int listenFd, long userData) {
        long base = sq.prep(sqe, IORING_OP_ACCEPT, listenFd, 0, 0, 0, userData);
        sq.ioprio(base, IORING_ACCEPT_MULTISHOT);
        sq.opFlags(base, Sockets.SOCK_CLOEXEC); // accept_flags
    }

    /**
     * {@code IORING_OP_READ} of {@code len} bytes into {@code addr} at file offset {@code offset}
     * ({@code io_uring_prep_read}); e.g. an eventfd's counter, see {@link EventFd}.
     */
    public void prepRead(int sqe, int fd, long addr, int len, long offset, long userData) {
        sq.prep(sqe, IORING_OP_READ, fd, addr, len, offset, userData);
    }

    /**
     * {@code IORING_OP_ASYNC_CANCEL} of the request(s) whose user_data is {@code target}
     * ({@code io_uring_prep_cancel64}). Its own CQE (user_data {@code userData}) has res 0, or the
     * count with {@code all}, or {@code -ENOENT}/{@code -EALREADY}; a cancelled multishot receive
     * completes with {@code -ECANCELED} and no {@code F_MORE}.
     */
    public void prepCancel(int sqe, long target, boolean all, long userData) {
        prepCancel(sqe, -1, target, all ? IORING_ASYNC_CANCEL_ALL : 0, userData);
    }

    /** {@code IORING_OP_ASYNC_CANCEL} of the request(s) on file descriptor {@code targetFd} ({@code io_uring_prep_cancel_fd}). */
    public void prepCancelFd(int sqe, int targetFd, boolean all, long userData) {
        prepCancel(sqe, targetFd, 0, IORING_ASYNC_CANCEL_FD | (all ? IORING_ASYNC_CANCEL_ALL : 0), userData);
    }

    /** {@code IORING_OP_ASYNC_CANCEL} of every request in flight ({@code IORING_ASYNC_CANCEL_ANY}). */
    public void prepCancelAny(int sqe, long userData) {
        prepCancel(sqe, -1, 0, IORING_ASYNC_CANCEL_ANY, userData);
    }

    private void prepCancel(int sqe, int targetFd, long target, int cancelFlags, long userData) {
        long base = sq.prep(sqe, IORING_OP_ASYNC_CANCEL, targetFd, target, 0, 0, userData);
        sq.opFlags(base, cancelFlags);
    }

    /**
     * Submits the prepared SQEs without waiting ({@code io_uring_enter(fd, n, 0, 0)}); no syscall when
     * there are none. Returns how many the kernel took. Owner only.
     */
    public int submit() {
        assert isOwnerThread() : "not the ring's owner thread";
        int n = sq.flush();
        return n == 0 ? 0 : enter(n, 0, 0, -1);
    }

    /**
     * Submits the prepared SQEs and waits until at least {@code minComplete} CQEs are ready or the
     * timeout passes ({@code IORING_ENTER_GETEVENTS}, with {@code IORING_ENTER_EXT_ARG} for the
     * timeout). With DEFER_TASKRUN this is where completions are produced; {@code minComplete = 0}
     * runs them without waiting. Returns how many SQEs were submitted; a timeout or signal is not
     * an error. Owner only.
     *
     * @param timeoutNanos how long to wait at most; negative waits without limit (so does any value on
     *                     kernels without {@code IORING_FEAT_EXT_ARG}, before 5.11)
     * @throws SyscallException on {@code -EBADR} (completions were dropped: the CQ overflowed and the
     *                          kernel could not keep them) and on any unexpected error
     */
    public int submitAndWait(int minComplete, long timeoutNanos) {
        assert isOwnerThread() : "not the ring's owner thread";
        return enter(sq.flush(), minComplete, IORING_ENTER_GETEVENTS, timeoutNanos);
    }

    private int enter(int toSubmit, int minComplete, int flags, long timeoutNanos) {
        long arg = 0;
        long argSize = 0;
        if (timeoutNanos >= 0 && extArg) {
            TS_SEC.set(timeout, 0L, timeoutNanos / 1_000_000_000L);
            TS_NSEC.set(timeout, 0L, timeoutNanos % 1_000_000_000L);
            flags |= IORING_ENTER_EXT_ARG;
            arg = waitArg.address();
            argSize = IO_URING_GETEVENTS_ARG.byteSize();
        }
        int r = kernel.enter(fd, toSubmit, minComplete, flags, arg, argSize);
        return r >= 0 ? r : enterFailed(r);
    }

    private int enterFailed(int r) {
        if (r == Errno.ETIME.value() || r == Errno.EINTR.value() || r == Errno.EAGAIN.value()
                || r == Errno.EBUSY.value()) {
            return 0;
        }
        if (r == Errno.EBADR.value()) {
            throw new SyscallException("io_uring_enter", r,
                    "the kernel dropped completions: CQ overflow counter " + cqOverflow());
        }
        throw new SyscallException("io_uring_enter", r, "fd " + fd);
    }

    // ---- completion ---------------------------------------------------------------------------

    /**
     * Hands every ready CQE to {@code handler} in order, then releases them to the kernel; when the
     * kernel holds more in its overflow list ({@code IORING_SQ_CQ_OVERFLOW}) it enters to flush them
     * and continues. Allocates nothing. A CQE whose handler throws counts as consumed. Owner only.
     *
     * @return the number of CQEs handled
     */
    public int reap(CqeHandler handler) {
        assert isOwnerThread() : "not the ring's owner thread";
        int n = cq.drain(handler);
        if ((sqFlags() & IORING_SQ_CQ_OVERFLOW) != 0) {
            n += reapOverflowSlowPath(handler);
        }
        return n;
    }

    private int reapOverflowSlowPath(CqeHandler handler) {
        int n = 0;
        do {
            overflowFlushes++;
            enter(0, 0, IORING_ENTER_GETEVENTS, -1); // flushes the overflow list into the CQ
            n += cq.drain(handler);
        } while ((sqFlags() & IORING_SQ_CQ_OVERFLOW) != 0);
        return n;
    }

    /** CQEs ready to reap now. */
    public int cqReady() {
        return cq.ready();
    }

    /** The SQ ring's {@code IORING_SQ_*} flags. */
    public int sqFlags() {
        return sq.flags();
    }

    /** The kernel's count of CQEs it could not keep ({@code cq_off.overflow}); non-zero means lost completions. */
    public int cqOverflow() {
        return cq.overflow();
    }

    /** The kernel's count of invalid SQEs it skipped ({@code sq_off.dropped}). */
    public int sqDropped() {
        return sq.dropped();
    }

    /** How often {@link #reap} entered the kernel to flush overflowed CQEs. */
    public long overflowFlushes() {
        return overflowFlushes;
    }

    // ---- registration, probing ----------------------------------------------------------------

    /** {@code io_uring_register(fd, opcode, arg, nrArgs)}: the raw result (value or {@code -errno}). */
    int register(int opcode, long arg, int nrArgs) {
        return kernel.register(fd, opcode, arg, nrArgs);
    }

    Kernel kernel() {
        return kernel;
    }

    static int check(int r, String call) {
        if (r < 0) {
            throw new SyscallException(call, r, null);
        }
        return r;
    }

    /** The opcodes this kernel supports ({@code IORING_REGISTER_PROBE}). Owner only. */
    public IoUringProbe probe() {
        assert isOwnerThread() : "not the ring's owner thread";
        return IoUringProbe.of(this);
    }

    // ---- lifecycle ----------------------------------------------------------------------------

    /** Whether {@link #close()} ran. */
    public boolean isClosed() {
        return closed;
    }

    /**
     * Unmaps the rings and closes the fd; the kernel cancels what is still in flight. Idempotent.
     * Call it from the owner, or after the owner stopped using the ring: accesses after close fail
     * with {@link IllegalStateException} rather than touching unmapped memory.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        arena.close();
        mapping.unmapAndClose(kernel);
    }

    @Override
    public String toString() {
        return "IoUring[fd=" + fd + ", sq=" + sq.entries() + ", cq=" + mapping.cqEntries
                + ", flags=0x" + Integer.toHexString(mapping.setupFlags)
                + ", features=0x" + Integer.toHexString(mapping.features) + "]";
    }
}
