package dev.netmem.uring;

import static dev.netmem.uring.IoUringDescriptor.IORING_CQE_F_BUF_MORE;
import static dev.netmem.uring.IoUringDescriptor.IORING_CQE_F_MORE;
import static dev.netmem.uring.IoUringDescriptor.IORING_FEAT_RECVSEND_BUNDLE;
import static dev.netmem.uring.IoUringDescriptor.IOU_PBUF_RING_INC;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.netmem.api.Errno;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Real loopback TCP through io_uring: a Java NIO client sends a seeded pseudo-random stream, the
 * receiver takes it with a multishot {@code IORING_OP_RECV} into provided buffers in a MAP_SHARED
 * /dev/shm mapping and checks every byte in order.
 */
@Timeout(180)
class LoopbackRecvTest {
    private static final long MIB = 1 << 20;

    @BeforeEach
    void requireIoUring() {
        UringTestSupport.assumeIoUring();
    }

    /** A connected pair: the receiver's fd (FFM socket) and the sending thread. */
    private record Conn(int fd, PatternSender sender) implements AutoCloseable {
        static Conn open(long total, Pattern pattern, CountDownLatch resetGate) {
            int listener = Sockets.tcpSocket();
            try {
                Sockets.setReuseAddr(listener, true);
                Sockets.bindLoopback(listener, 0);
                Sockets.listen(listener, 1);
                PatternSender sender = new PatternSender(Sockets.localPort(listener), total, pattern, resetGate);
                sender.start();
                return new Conn(Sockets.accept(listener), sender);
            } finally {
                Sockets.close(listener);
            }
        }

        @Override
        public void close() {
            Sockets.close(fd);
            try {
                sender.join(10_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private static Pattern pattern() {
        long seed = System.nanoTime();
        System.out.println("pattern seed " + seed);
        return new Pattern(seed);
    }

    private static MultishotReceiver receive(int entries, int bufSize, int ringFlags, boolean bundle, long total)
            throws Exception {
        Pattern pattern = pattern();
        Path shm;
        MultishotReceiver rx;
        try (IoUring ring = IoUring.open(IoUringParams.of(64, 4096));
             ShmBuffers area = new ShmBuffers(entries, bufSize);
             BufRing bufs = BufRing.register(ring, 7, entries, ringFlags);
             Conn conn = Conn.open(total, pattern, null)) {
            shm = area.path();
            rx = new MultishotReceiver(ring, bufs, area, conn.fd(), bundle, pattern);
            rx.start();
            rx.runToEnd();
            System.out.println("entries=" + entries + " bufSize=" + bufSize + " flags=" + ringFlags + " bundle=" + bundle
                    + ": " + rx);
            assertNull(conn.sender().failure());
            assertHeadMatchesKernel(bufs);
            bufs.unregister();
            assertFalse(bufs.isRegistered());
        }
        assertFalse(Files.exists(shm), "shared-memory file removed");
        assertTrue(rx.eof, "ended with EOF (res 0 without F_MORE): " + rx);
        assertEquals(0, rx.errorEnd);
        assertEquals(total, rx.received);
        assertEquals(-1, rx.mismatchAt, "first wrong byte");
        return rx;
    }

    /** The head mirror equals the kernel's head, where the kernel can say (IORING_REGISTER_PBUF_STATUS, 6.8). */
    static void assertHeadMatchesKernel(BufRing bufs) {
        int kernelHead;
        try {
            kernelHead = bufs.kernelHead();
        } catch (SyscallException e) {
            System.out.println("no buffer ring status on this kernel: " + e.getMessage());
            return;
        }
        assertEquals(bufs.head() & 0xffff, kernelHead, "head mirror = the kernel's head");
    }

    /** Skips unless the kernel registers IOU_PBUF_RING_INC rings (6.12). */
    static void assumeIncrementalBufferRings() {
        try (IoUring ring = IoUring.open(IoUringParams.of(2, 2))) {
            BufRing.register(ring, 0, 1, IOU_PBUF_RING_INC).close();
        } catch (SyscallException e) {
            System.out.println("SKIPPED: no incremental buffer rings: " + e.getMessage());
            assumeTrue(false, e.getMessage());
        }
    }

    @Test
    void shouldReceiveA64MiBStreamInOrderIntoSharedMemoryBuffers() throws Exception {
        receive(256, 4096, 0, false, 64 * MIB);
    }

    @Test
    void shouldRecoverFromEnobufsWithATinyRingAndLoseNothing() throws Exception {
        MultishotReceiver rx = receive(4, 4096, 0, false, 16 * MIB);
        assertTrue(rx.enobufs > 0, "ENOBUFS seen");
        assertTrue(rx.rearms() > 0, "re-armed");
    }

    @Test
    void shouldMapBundleCompletionsToConsecutiveBuffers() throws Exception {
        try (IoUring ring = IoUring.open(IoUringParams.of(8, 64))) {
            assumeTrue((ring.features() & IORING_FEAT_RECVSEND_BUNDLE) != 0, "IORING_FEAT_RECVSEND_BUNDLE");
        }
        MultishotReceiver rx = receive(64, 4096, 0, true, 64 * MIB);
        assertTrue(rx.multiBufferCqes > 0, "some CQE covered several buffers: " + rx);
    }

    @Test
    void shouldReceiveAStreamIntoIncrementallyConsumedBuffers() throws Exception {
        assumeIncrementalBufferRings();
        receive(16, 65536, IOU_PBUF_RING_INC, false, 64 * MIB);
    }

    @Test
    void shouldConsumeOneIncrementalBufferInParts() {
        assumeIncrementalBufferRings();
        int listener = Sockets.tcpSocket();
        int client = Sockets.tcpSocket();
        int server;
        try {
            Sockets.bindLoopback(listener, 0);
            Sockets.listen(listener, 1);
            Sockets.connectLoopback(client, Sockets.localPort(listener));
            server = Sockets.accept(listener);
        } finally {
            Sockets.close(listener);
        }
        Pattern pattern = new Pattern(42);
        try (IoUring ring = IoUring.open(IoUringParams.of(8, 64));
             ShmBuffers area = new ShmBuffers(2, 65536);
             BufRing bufs = BufRing.register(ring, 2, 2, IOU_PBUF_RING_INC);
             Arena arena = Arena.ofConfined()) {
            area.postAll(bufs);
            ring.prepRecvMultishot(ring.getSqe(), server, 2, false, 1);
            MemorySegment out = arena.allocate(1500);
            for (int i = 0; i < 1500; i++) {
                out.set(ValueLayout.JAVA_BYTE, i, pattern.byteAt(i));
            }
            List<String> parts = new ArrayList<>();
            for (int[] chunk : new int[][] {{0, 1000}, {1000, 500}}) {
                Sockets.write(client, out.asSlice(chunk[0], chunk[1]));
                int[] seen = {0};
                for (int i = 0; i < 50 && seen[0] == 0; i++) {
                    ring.submitAndWait(1, 100_000_000L);
                    ring.reap((ud, res, flags) -> {
                        seen[0]++;
                        assertTrue((flags & IORING_CQE_F_MORE) != 0, "still armed");
                        assertTrue((flags & IORING_CQE_F_BUF_MORE) != 0, "buffer only partly used");
                        bufs.consume(res, flags, (bid, offset, length, finished) -> {
                            parts.add(bid + ":" + offset + "+" + length + (finished ? " done" : " more"));
                            assertEquals(-1, pattern.verify(area.segment(), area.offset(bid) + offset, length, offset));
                        });
                    });
                }
            }
            assertEquals(List.of("0:0+1000 more", "0:1000+500 more"), parts);
            assertEquals(0, bufs.head(), "the buffer is still the kernel's");
            assertEquals(2, bufs.posted());
            ring.prepCancel(ring.getSqe(), 1, false, 2);
            ring.submitAndWait(2, 1_000_000_000L);
            ring.reap((ud, res, flags) -> { });
        } finally {
            Sockets.close(client);
            Sockets.close(server);
        }
    }

    @Test
    void shouldEndWithEconnresetWhenThePeerResets() throws Exception {
        Pattern pattern = pattern();
        CountDownLatch gate = new CountDownLatch(1);
        try (IoUring ring = IoUring.open(IoUringParams.of(64, 4096));
             ShmBuffers area = new ShmBuffers(64, 4096);
             BufRing bufs = BufRing.register(ring, 1, 64, 0);
             Conn conn = Conn.open(MIB, pattern, gate)) {
            MultishotReceiver rx = new MultishotReceiver(ring, bufs, area, conn.fd(), false, pattern);
            rx.start();
            rx.runUntil(MIB);
            gate.countDown();
            rx.runToEnd();
            assertEquals(MIB, rx.received);
            assertEquals(-1, rx.mismatchAt);
            assertEquals(Errno.ECONNRESET.value(), rx.errorEnd, "ended with -ECONNRESET without F_MORE: " + rx);
        }
    }

    private enum CancelBy { USER_DATA, FD, ANY }

    private static void cancelArmedReceiveThenUnregister(CancelBy by) throws Exception {
        CountDownLatch gate = new CountDownLatch(1);
        try (IoUring ring = IoUring.open(IoUringParams.of(64, 4096));
             ShmBuffers area = new ShmBuffers(16, 4096);
             BufRing bufs = BufRing.register(ring, 3, 16, 0);
             Conn conn = Conn.open(0, new Pattern(1), gate)) {
            MultishotReceiver rx = new MultishotReceiver(ring, bufs, area, conn.fd(), false, null);
            rx.start();
            ring.submitAndWait(0, 0);
            assertEquals(0, rx.pollOnce(), "armed, nothing to receive");
            int sqe = ring.getSqe();
            switch (by) {
                case USER_DATA -> ring.prepCancel(sqe, MultishotReceiver.RECV, false, 99);
                case FD -> ring.prepCancelFd(sqe, conn.fd(), true, 99);
                case ANY -> ring.prepCancelAny(sqe, 99);
            }
            int[] cancelRes = {Integer.MIN_VALUE};
            for (int i = 0; i < 50 && (cancelRes[0] == Integer.MIN_VALUE || !rx.cancelled); i++) {
                ring.submitAndWait(2, 100_000_000L);
                ring.reap((ud, res, flags) -> {
                    if (ud == 99) {
                        cancelRes[0] = res;
                    } else {
                        rx.onCqe(ud, res, flags);
                    }
                });
            }
            assertTrue(rx.cancelled, "the receive completed with -ECANCELED without F_MORE: " + rx);
            assertEquals(by == CancelBy.USER_DATA ? 0 : 1, cancelRes[0], "the cancel's own result");
            assertHeadMatchesKernel(bufs);
            assertEquals(0, bufs.head(), "no buffer consumed");
            bufs.unregister();
            // the kernel no longer knows group 3: a new receive on it fails at once
            ring.prepRecvMultishot(ring.getSqe(), conn.fd(), 3, false, 5);
            int[] res = {0};
            for (int i = 0; i < 50 && res[0] == 0; i++) {
                ring.submitAndWait(1, 100_000_000L);
                ring.reap((ud, r, flags) -> res[0] = r);
            }
            assertEquals(Errno.ENOBUFS.value(), res[0]);
            gate.countDown();
        }
    }

    @Test
    void shouldCancelAnArmedReceiveByUserDataAndUnregisterAfterDrain() throws Exception {
        cancelArmedReceiveThenUnregister(CancelBy.USER_DATA);
    }

    @Test
    void shouldCancelAnArmedReceiveByFd() throws Exception {
        cancelArmedReceiveThenUnregister(CancelBy.FD);
    }

    @Test
    void shouldCancelAnyArmedReceive() throws Exception {
        cancelArmedReceiveThenUnregister(CancelBy.ANY);
    }
}
