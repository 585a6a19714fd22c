package dev.netmem.api.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class MpscArrayRingTest {

    @Test
    void shouldHoldExactlyItsCapacityEvenWhenNotAPowerOfTwo() {
        MpscArrayRing<Integer> ring = new MpscArrayRing<>(5);
        for (int i = 0; i < 5; i++) {
            assertTrue(ring.offer(i));
        }
        assertFalse(ring.offer(99));
        assertEquals(5, ring.size());
        assertEquals(0, ring.poll());
        assertTrue(ring.offer(5));
        for (int i = 1; i <= 5; i++) {
            assertEquals(i, ring.poll());
        }
        assertNull(ring.poll());
        assertTrue(ring.isEmpty());
        assertEquals(6, ring.producedCount());
    }

    @Test
    void shouldClaimABulkUpToTheFreeSlotsOnly() {
        MpscArrayRing<Integer> ring = new MpscArrayRing<>(4);
        ring.offer(-1);
        Integer[] src = {10, 11, 12, 13, 14};
        assertEquals(3, ring.offerBulk(src, 1, 4));
        assertEquals(0, ring.offerBulk(src, 0, 1));
        assertEquals(-1, ring.poll());
        assertEquals(11, ring.poll());
        assertEquals(12, ring.poll());
        assertEquals(13, ring.poll());
        assertNull(ring.poll());
    }

    @Test
    void shouldRejectCapacitiesOutOfRange() {
        assertEquals("ring capacity must be in [1, 2^30]: 0",
                assertThrows(IllegalArgumentException.class, () -> new MpscArrayRing<>(0)).getMessage());
    }

    @Test
    void shouldNeitherLoseNorDuplicateUnderConcurrentProducers() throws Exception {
        int producers = 3;
        int perProducer = 200_000;
        MpscArrayRing<Integer> ring = new MpscArrayRing<>(1000);
        List<Thread> threads = new ArrayList<>();
        for (int p = 0; p < producers; p++) {
            int base = p * perProducer;
            Thread t = new Thread(() -> {
                for (int i = 0; i < perProducer; i++) {
                    Integer v = base + i;
                    if ((i & 7) == 0) {
                        Integer[] one = {v};
                        while (ring.offerBulk(one, 0, 1) == 0) {
                            Thread.onSpinWait();
                        }
                    } else {
                        while (!ring.offer(v)) {
                            Thread.onSpinWait();
                        }
                    }
                }
            });
            t.start();
            threads.add(t);
        }
        BitSet seen = new BitSet(producers * perProducer);
        int[] lastPerProducer = new int[producers];
        java.util.Arrays.fill(lastPerProducer, -1);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        int got = 0;
        while (got < producers * perProducer) {
            Integer v = ring.poll();
            if (v == null) {
                assertTrue(System.nanoTime() < deadline, "timed out after " + got);
                Thread.onSpinWait();
                continue;
            }
            assertFalse(seen.get(v), "duplicate " + v);
            seen.set(v);
            int p = v / perProducer;
            assertTrue(v > lastPerProducer[p], "per-producer FIFO order broken at " + v);
            lastPerProducer[p] = v;
            got++;
        }
        for (Thread t : threads) {
            t.join(10_000);
        }
        assertEquals(producers * perProducer, seen.cardinality());
        assertNull(ring.poll());
    }
}
