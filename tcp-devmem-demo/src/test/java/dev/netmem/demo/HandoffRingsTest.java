package dev.netmem.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The record and token rings of {@link HandoffRings}, both sides driven from one thread. */
class HandoffRingsTest {

    @Test
    void shouldDeliverEveryRecordAndTokenInOrderAcrossManyWrapArounds() throws Exception {
        long seed = System.nanoTime();
        System.out.println("HandoffRingsTest seed " + seed);
        SplittableRandom rnd = new SplittableRandom(seed);
        int entries = 16;
        long written = 0;
        long read = 0;
        long tokensBack = 0;
        int[] out = new int[entries];
        try (HandoffRings r = HandoffRings.inMemory(entries)) {
            for (int round = 0; round < 5_000; round++) {
                int space = r.recordSpace();
                assertTrue(space >= 0 && space <= entries, "seed " + seed + ": record space " + space);
                int put = rnd.nextInt(space + 1);
                for (int i = 0; i < put; i++) {
                    r.putRecord(written * 4096, (int) (written % 4096) + 1, (int) written);
                    written++;
                }
                if (rnd.nextBoolean()) {
                    r.publishRecords();
                }
                int ready = r.recordsReady();
                assertTrue(ready >= 0 && read + ready <= written, "seed " + seed + ": ready " + ready);
                int take = Math.min(ready, r.tokenSpace());
                take = take == 0 ? 0 : rnd.nextInt(take + 1);
                for (int i = 0; i < take; i++) {
                    long n = read + i;
                    assertEquals(n * 4096, r.recordOffset(i), "seed " + seed);
                    assertEquals((int) (n % 4096) + 1, r.recordSize(i), "seed " + seed);
                    assertEquals((int) n, r.recordToken(i), "seed " + seed);
                    r.putToken(r.recordToken(i));
                }
                r.releaseRecords(take);
                read += take;
                r.publishTokens();
                int got = r.takeTokens(out, rnd.nextInt(entries) + 1);
                for (int i = 0; i < got; i++) {
                    assertEquals((int) (tokensBack + i), out[i], "seed " + seed + ": tokens come back in order");
                }
                tokensBack += got;
            }
            r.publishRecords();
            assertEquals(written - read, r.recordsReady(), "seed " + seed);
        }
        assertTrue(written > 10L * entries, "the rings wrapped many times: " + written);
    }

    @Test
    void shouldRejectASizeThatIsNotAPowerOfTwo() {
        assertThrows(IllegalArgumentException.class, () -> HandoffRings.inMemory(12));
        assertThrows(IllegalArgumentException.class, () -> HandoffRings.inMemory(0));
    }
}
