package dev.netmem.uring;

import static dev.netmem.uring.IoUringDescriptor.IORING_CQE_F_MORE;
import static dev.netmem.uring.IoUringDescriptor.IORING_FEAT_RECVSEND_BUNDLE;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.netmem.api.Errno;
import java.util.Arrays;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Several connections, each with its own multishot receive, share one buffer group, as a driver's
 * RX queue does: completions of different sockets interleave on one ring, and the head mirror must
 * still map every CQE (bundles included) to the right buffers. Every stream is verified in order.
 */
@Timeout(180)
class SharedBufferGroupTest {
    private static final int CONNS = 8;
    private static final long BYTES = 8L << 20;

    @BeforeEach
    void requireIoUring() {
        UringTestSupport.assumeIoUring();
    }

    @Test
    void shouldDeliverEightInterleavedStreamsThroughOneBufferGroup() {
        run(false, 256, 4096);
    }

    @Test
    void shouldDeliverEightInterleavedStreamsThroughFewLargeBuffers() {
        run(false, 64, 65536);
    }

    @Test
    void shouldDeliverEightInterleavedBundledStreamsThroughOneBufferGroup() {
        try (IoUring ring = IoUring.open(IoUringParams.of(2, 2))) {
            assumeTrue((ring.features() & IORING_FEAT_RECVSEND_BUNDLE) != 0, "IORING_FEAT_RECVSEND_BUNDLE");
        }
        run(true, 256, 4096);
    }

    private static void run(boolean bundle, int entries, int bufSize) {
        long seed = System.nanoTime();
        System.out.println("pattern seeds " + seed + " + connection index");
        int listener = Sockets.tcpSocket();
        int[] fds = new int[CONNS];
        PatternSender[] senders = new PatternSender[CONNS];
        Pattern[] patterns = new Pattern[CONNS];
        try {
            Sockets.bindLoopback(listener, 0);
            Sockets.listen(listener, CONNS);
            int port = Sockets.localPort(listener);
            for (int c = 0; c < CONNS; c++) {
                patterns[c] = new Pattern(seed + c);
                senders[c] = new PatternSender(port, BYTES, patterns[c], null);
                senders[c].start();
                fds[c] = Sockets.accept(listener); // one connect at a time: fds[c] is sender c's
            }
        } finally {
            Sockets.close(listener);
        }
        try (IoUring ring = IoUring.open(IoUringParams.of(64, 4096));
             ShmBuffers area = new ShmBuffers(entries, bufSize);
             BufRing bufs = BufRing.register(ring, 0, entries, 0)) {
            Rx rx = new Rx(ring, bufs, area, fds, patterns, bundle);
            rx.runToEnd();
            System.out.println("bundle=" + bundle + ": received " + Arrays.toString(rx.received) + ", arms "
                    + Arrays.toString(rx.arms) + ", multi-buffer CQEs " + rx.multiBufferCqes + ", " + bufs);
            long[] expected = new long[CONNS];
            Arrays.fill(expected, BYTES);
            assertArrayEquals(expected, rx.received);
            long[] noMismatch = new long[CONNS];
            Arrays.fill(noMismatch, -1);
            assertArrayEquals(noMismatch, rx.mismatchAt, "first wrong byte per stream");
            LoopbackRecvTest.assertHeadMatchesKernel(bufs);
            assertEquals(entries, bufs.posted(), "every buffer back on the ring");
        } finally {
            for (int c = 0; c < CONNS; c++) {
                Sockets.close(fds[c]);
            }
        }
        for (PatternSender s : senders) {
            assertNull(s.failure());
        }
    }

    /** One ring, one buffer group, a multishot receive per connection (user_data = index). */
    private static final class Rx implements CqeHandler, BufConsumer {
        private final IoUring ring;
        private final BufRing bufs;
        private final ShmBuffers area;
        private final int[] fds;
        private final Pattern[] patterns;
        private final boolean bundle;
        final long[] received = new long[CONNS];
        final long[] mismatchAt = new long[CONNS];
        final int[] arms = new int[CONNS];
        private final boolean[] eof = new boolean[CONNS];
        private final boolean[] needArm = new boolean[CONNS];
        private final int[] recycle = new int[65536];
        private int recycleCount;
        private int current;
        private int buffersThisCqe;
        long multiBufferCqes;

        Rx(IoUring ring, BufRing bufs, ShmBuffers area, int[] fds, Pattern[] patterns, boolean bundle) {
            this.ring = ring;
            this.bufs = bufs;
            this.area = area;
            this.fds = fds;
            this.patterns = patterns;
            this.bundle = bundle;
            Arrays.fill(mismatchAt, -1);
        }

        void runToEnd() {
            area.postAll(bufs);
            for (int c = 0; c < CONNS; c++) {
                arm(c);
            }
            long lastProgress = System.nanoTime();
            while (!allEof()) {
                ring.submitAndWait(1, 1_000_000_000L);
                if (ring.reap(this) > 0) {
                    lastProgress = System.nanoTime();
                } else if (System.nanoTime() - lastProgress > 20_000_000_000L) {
                    throw new AssertionError("stalled: " + Arrays.toString(received));
                }
                for (int i = 0; i < recycleCount; i++) {
                    bufs.add(area.address(recycle[i]), area.bufSize(), recycle[i], i);
                }
                bufs.advance(recycleCount);
                recycleCount = 0;
                for (int c = 0; c < CONNS; c++) {
                    if (needArm[c]) {
                        arm(c);
                    }
                }
            }
        }

        private boolean allEof() {
            for (boolean e : eof) {
                if (!e) {
                    return false;
                }
            }
            return true;
        }

        private void arm(int c) {
            ring.prepRecvMultishot(ring.getSqe(), fds[c], bufs.bgid(), bundle, c);
            arms[c]++;
            needArm[c] = false;
        }

        @Override
        public void onCqe(long userData, int res, int flags) {
            current = (int) userData;
            buffersThisCqe = 0;
            bufs.consume(res, flags, this);
            if (buffersThisCqe > 1) {
                multiBufferCqes++;
            }
            if ((flags & IORING_CQE_F_MORE) == 0) {
                if (res == 0) {
                    eof[current] = true;
                } else if (res > 0 || res == Errno.ENOBUFS.value()) {
                    needArm[current] = true;
                } else {
                    throw new AssertionError("connection " + current + " ended with " + SyscallException.format(res));
                }
            }
        }

        @Override
        public void onBuffer(int bid, int offset, int length, boolean finished) {
            buffersThisCqe++;
            int c = current;
            if (mismatchAt[c] < 0) {
                mismatchAt[c] = patterns[c].verify(area.segment(), area.offset(bid) + offset, length, received[c]);
            }
            received[c] += length;
            recycle[recycleCount++] = bid;
        }
    }
}
