package dev.netmem.uring;

import static dev.netmem.uring.IoUringDescriptor.BUF_RING_TAIL_OFFSET;
import static dev.netmem.uring.IoUringDescriptor.IORING_CQE_BUFFER_SHIFT;
import static dev.netmem.uring.IoUringDescriptor.IORING_CQE_F_BUFFER;
import static dev.netmem.uring.IoUringDescriptor.IORING_CQE_F_BUF_MORE;
import static dev.netmem.uring.IoUringDescriptor.IOU_PBUF_RING_INC;
import static dev.netmem.uring.IoUringDescriptor.IOU_PBUF_RING_MMAP;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(60)
class BufRingTest {
    private IoUring ring;

    @BeforeEach
    void openRing() {
        UringTestSupport.assumeIoUring();
        ring = IoUring.open(IoUringParams.of(8, 64));
    }

    @AfterEach
    void closeRing() {
        if (ring != null) {
            ring.close();
        }
    }

    private static String rejected(Runnable r) {
        return assertThrows(IllegalArgumentException.class, r::run).getMessage();
    }

    private static int bufferFlags(int bid) {
        return IORING_CQE_F_BUFFER | (bid << IORING_CQE_BUFFER_SHIFT);
    }

    @Test
    void shouldRejectBadRegistrationsWithExactMessages() {
        assertEquals("entries must be a power of two in [1, 32768]: entries=3", rejected(() -> BufRing.register(ring, 0, 3, 0)));
        assertEquals("entries must be a power of two in [1, 32768]: entries=65536",
                rejected(() -> BufRing.register(ring, 0, 65536, 0)));
        assertEquals("bgid must be in [0, 65535]: bgid=65536", rejected(() -> BufRing.register(ring, 65536, 8, 0)));
        assertEquals("unsupported buffer ring flags: 0x1 (only IOU_PBUF_RING_INC; the ring memory is always the"
                + " application's)", rejected(() -> BufRing.register(ring, 0, 8, IOU_PBUF_RING_MMAP)));
    }

    @Test
    void shouldRefuseATakenGroupWithEexist() {
        try (BufRing first = BufRing.register(ring, 5, 8, 0)) {
            SyscallException e = assertThrows(SyscallException.class, () -> BufRing.register(ring, 5, 8, 0));
            assertEquals("IORING_REGISTER_PBUF_RING: EEXIST (-17): File exists; bgid=5, entries=8, flags=0x0", e.getMessage());
            assertTrue(first.isRegistered());
        }
    }

    @Test
    void shouldPublishTheTailAtByte14WithoutTheSlotWritesTouchingIt() {
        try (BufRing bufs = BufRing.register(ring, 1, 4, 0)) {
            for (int round = 0; round < 3; round++) {
                // fill every slot (slot 0 included) after the tail was published
                for (int k = 0; k < bufs.free(); k++) {
                    bufs.add(0x1000_0000L + k * 4096L, 4096, 0xfff0 + k, k); // bid 0xfff0..: all-ones high bytes
                }
                assertEquals((short) bufs.tail(), ringTail(bufs), "adds (slot 0 among them) left the tail alone");
                int filled = bufs.free();
                bufs.advance(filled);
                assertEquals(bufs.tail() & 0xffff, Short.toUnsignedInt(ringTail(bufs)), "tail at byte 14");
                // pretend the kernel consumed all: walk them back
                List<Integer> bids = new ArrayList<>();
                for (int k = 0; k < filled; k++) {
                    bufs.consume(4096, bufferFlags(0xfff0 + k), (bid, off, len, done) -> bids.add(bid));
                }
                assertEquals(filled, bids.size());
                assertEquals(4, bufs.free());
            }
        }
    }

    /** Reads the published tail the way the kernel does, from the ring memory. */
    private static short ringTail(BufRing bufs) {
        return bufs.tailInMemory();
    }

    @Test
    void shouldRejectAddsAndAdvancesBeyondTheFreeSlots() {
        try (BufRing bufs = BufRing.register(ring, 1, 2, 0)) {
            assertEquals("bad buffer ring add: len=4096, bid=0, offset=2, free=2 (need len > 0, bid in [0, 65535],"
                    + " offset in [0, free))", rejected(() -> bufs.add(0x1000, 4096, 0, 2)));
            assertEquals("bad buffer ring add: len=0, bid=0, offset=0, free=2 (need len > 0, bid in [0, 65535],"
                    + " offset in [0, free))", rejected(() -> bufs.add(0x1000, 0, 0, 0)));
            assertEquals("bad buffer ring add: len=1, bid=65536, offset=0, free=2 (need len > 0, bid in [0, 65535],"
                    + " offset in [0, free))", rejected(() -> bufs.add(0x1000, 1, 65536, 0)));
            assertEquals("bad buffer ring advance: count=3, free=2", rejected(() -> bufs.advance(3)));
        }
    }

    @Test
    void shouldWalkABundleOverConsecutiveSlotsAndIncrementalParts() {
        try (BufRing bufs = BufRing.register(ring, 1, 8, 0)) {
            for (int k = 0; k < 4; k++) {
                bufs.add(0x1000L * (k + 1), 100, 10 + k, k);
            }
            bufs.advance(4);
            List<String> parts = new ArrayList<>();
            int finished = bufs.consume(250, bufferFlags(10),
                    (bid, off, len, done) -> parts.add(bid + ":" + off + "+" + len + (done ? "" : "~")));
            assertEquals(3, finished);
            assertEquals(List.of("10:0+100", "11:0+100", "12:0+50"), parts);
            assertEquals(3, bufs.head());
        }
        try (BufRing inc = BufRing.register(ring, 2, 8, IOU_PBUF_RING_INC)) {
            inc.add(0x1000, 100, 7, 0);
            inc.add(0x2000, 100, 8, 1);
            inc.advance(2);
            List<String> parts = new ArrayList<>();
            BufConsumer c = (bid, off, len, done) -> parts.add(bid + ":" + off + "+" + len + (done ? "" : "~"));
            assertEquals(0, inc.consume(30, bufferFlags(7) | IORING_CQE_F_BUF_MORE, c));
            assertEquals(1, inc.consume(70, bufferFlags(7), c));
            assertEquals(0, inc.consume(40, bufferFlags(8) | IORING_CQE_F_BUF_MORE, c));
            assertEquals(List.of("7:0+30~", "7:30+70", "8:0+40~"), parts);
            assertEquals(1, inc.head());
            assertEquals(1, inc.posted());
        }
    }

    @Test
    void shouldRefuseACompletionThatIsNotAtTheHead() {
        try (BufRing bufs = BufRing.register(ring, 1, 8, 0)) {
            bufs.add(0x1000, 100, 1, 0);
            bufs.add(0x2000, 100, 2, 1);
            bufs.advance(2);
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> bufs.consume(10, bufferFlags(2), (bid, off, len, done) -> { }));
            assertEquals("buffer ring 1 out of sync: CQE names bid 2, head mirror 0 holds bid 1, tail 2 (every buffer"
                    + " CQE must pass through consume, in CQ order)", e.getMessage());
            assertEquals(0, bufs.consume(-105, 0, (bid, off, len, done) -> { }), "no F_BUFFER: nothing consumed");
        }
    }

    @Test
    void shouldFreeItsMemoryWithoutUnregisteringWhenTheRingIsAlreadyClosed() {
        BufRing bufs = BufRing.register(ring, 4, 8, 0);
        ring.close();
        bufs.close();
        assertFalse(bufs.isRegistered());
        assertThrows(IllegalStateException.class, bufs::tailInMemory, "the ring memory is freed");
    }

    @Test
    void shouldUnregisterOnceAndCloseIdempotently() {
        BufRing bufs = BufRing.register(ring, 9, 8, 0);
        LoopbackRecvTest.assertHeadMatchesKernel(bufs);
        bufs.unregister();
        assertFalse(bufs.isRegistered());
        IllegalStateException e = assertThrows(IllegalStateException.class, bufs::unregister);
        assertEquals("buffer ring 9 is not registered", e.getMessage());
        bufs.close();
        bufs.close();
        // the group is free again
        BufRing.register(ring, 9, 8, 0).close();
    }
}
