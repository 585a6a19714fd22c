package dev.netmem.uring;

import static dev.netmem.uring.IoUringDescriptor.IORING_CQE_F_MORE;

import dev.netmem.api.Errno;

/**
 * The receive loop a driver's NAPI poll runs, for tests and the measurement: one multishot
 * {@code IORING_OP_RECV} with buffer select on one socket, buffers from a {@link ShmBuffers} area
 * posted on a {@link BufRing}; after each CQE batch the finished buffers are re-posted, and the
 * receive is re-armed after every CQE without {@code F_MORE} unless it was EOF or an error.
 * Optionally verifies every byte against a {@link Pattern}, in order.
 */
final class MultishotReceiver implements CqeHandler, BufConsumer {
    static final long RECV = 0x5245_4356L;
    private static final long STALL_NANOS = 20_000_000_000L;

    private final IoUring ring;
    private final BufRing bufs;
    private final ShmBuffers area;
    private final int fd;
    private final boolean bundle;
    private final Pattern pattern;
    private final int[] recycle;
    private int recycleCount;

    long received;
    long mismatchAt = -1;
    int arms;
    int enobufs;
    int bundleEnds;
    long cqes;
    long bufferCqes;
    long multiBufferCqes;
    long partialBuffers;
    long enters;
    boolean eof;
    /** The {@code res} of the CQE that ended the stream with an error, or 0. */
    int errorEnd;
    boolean cancelled;
    private boolean needArm;
    private int buffersThisCqe;

    MultishotReceiver(IoUring ring, BufRing bufs, ShmBuffers area, int fd, boolean bundle, Pattern pattern) {
        this.ring = ring;
        this.bufs = bufs;
        this.area = area;
        this.fd = fd;
        this.bundle = bundle;
        this.pattern = pattern;
        this.recycle = new int[bufs.entries()];
    }

    /** Posts every buffer and arms the receive (not yet submitted). */
    void start() {
        area.postAll(bufs);
        arm();
    }

    void arm() {
        int sqe = ring.getSqe();
        if (sqe < 0) {
            ring.submit();
            sqe = ring.getSqe();
        }
        ring.prepRecvMultishot(sqe, fd, bufs.bgid(), bundle, RECV);
        arms++;
        needArm = false;
    }

    boolean ended() {
        return eof || errorEnd != 0 || cancelled;
    }

    /** Runs until EOF, an error end or cancellation; fails when nothing arrives for 20 s. */
    void runToEnd() {
        runUntil(Long.MAX_VALUE);
    }

    /** Runs until {@code bytes} were received or the stream ended. */
    void runUntil(long bytes) {
        long lastProgress = System.nanoTime();
        while (!ended() && received < bytes) {
            ring.submitAndWait(1, 1_000_000_000L);
            enters++;
            if (pollOnce() > 0) {
                lastProgress = System.nanoTime();
            } else if (System.nanoTime() - lastProgress > STALL_NANOS) {
                throw new AssertionError("receive stalled: " + this);
            }
        }
    }

    /** Reaps one batch, re-posts finished buffers, re-arms if needed; returns the CQEs handled. */
    int pollOnce() {
        int n = ring.reap(this);
        if (recycleCount > 0) {
            for (int i = 0; i < recycleCount; i++) {
                int bid = recycle[i];
                bufs.add(area.address(bid), area.bufSize(), bid, i);
            }
            bufs.advance(recycleCount);
            recycleCount = 0;
        }
        if (needArm && !ended()) {
            arm();
        }
        return n;
    }

    @Override
    public void onCqe(long userData, int res, int flags) {
        if (userData != RECV) {
            return; // a cancel's own completion
        }
        cqes++;
        buffersThisCqe = 0;
        if (bufs.consume(res, flags, this) > 0 || buffersThisCqe > 0) {
            bufferCqes++;
            if (buffersThisCqe > 1) {
                multiBufferCqes++;
            }
        }
        if ((flags & IORING_CQE_F_MORE) == 0) {
            if (res == 0) {
                eof = true;
            } else if (res == Errno.ENOBUFS.value()) {
                enobufs++;
                needArm = true;
            } else if (res == Errno.ECANCELED.value()) {
                cancelled = true;
            } else if (res > 0) {
                bundleEnds++;
                needArm = true;
            } else {
                errorEnd = res;
            }
        }
    }

    @Override
    public void onBuffer(int bid, int offset, int length, boolean finished) {
        buffersThisCqe++;
        if (pattern != null && mismatchAt < 0) {
            mismatchAt = pattern.verify(area.segment(), area.offset(bid) + offset, length, received);
        }
        received += length;
        if (finished) {
            recycle[recycleCount++] = bid;
        } else {
            partialBuffers++;
        }
    }

    /** Re-arms after the first arm. */
    int rearms() {
        return arms - 1;
    }

    @Override
    public String toString() {
        return "received=" + received + ", arms=" + arms + ", enobufs=" + enobufs + ", bundleEnds=" + bundleEnds
                + ", cqes=" + cqes + ", multiBufferCqes=" + multiBufferCqes + ", partialBuffers=" + partialBuffers
                + ", enters=" + enters + ", eof=" + eof + ", errorEnd=" + errorEnd + ", cancelled=" + cancelled
                + ", mismatchAt=" + mismatchAt + ", " + bufs;
    }
}
