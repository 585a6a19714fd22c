package dev.netmem.providers.zcrx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.netmem.api.DmaDevice;
import dev.netmem.api.NetIov;
import dev.netmem.api.PagePool;
import dev.netmem.testsupport.StubQueue;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The receive path and the user run at once: a NAPI thread allocates, writes a sequence number into
 * each buffer and posts a completion; a user thread reads completions, checks the sequence in place
 * (release/acquire on the rings makes the bytes visible) and refills. Nothing is lost or duplicated.
 */
class ZcrxConcurrencyTest {
    private static final int PAGES = 32;
    private static final int COMPLETIONS = 20_000;

    @TempDir
    Path dir;

    @Test
    void shouldDeliverEveryCompletionOnceInOrderWhileTheUserRefillsConcurrently() {
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            DmaDevice device = new DmaDevice("zcrx-mt", true);
            try (Arena arena = Arena.ofShared()) {
                MemorySegment memory = arena.allocate((long) PAGES * NetIov.PAGE_SIZE, NetIov.PAGE_SIZE);
                ZcrxIfq ifq = ZcrxIfq.register(ZcrxArea.ofUserMemory(memory), device, 16, 16, dir, q -> { });
                PagePool pool = PagePool.create(StubQueue.poolParams(ifq, device).build());
                AtomicReference<Throwable> failure = new AtomicReference<>();
                Thread userThread = new Thread(() -> {
                    try (ZcrxUserRing user = ZcrxUserRing.open(ifq.regionPath(), memory)) {
                        long[] expect = {0};
                        ArrayDeque<long[]> toReturn = new ArrayDeque<>();
                        while (expect[0] < COMPLETIONS) { // what is left unreturned at the end, the scrub takes back
                            user.poll((off, len, flags) -> {
                                long seq = user.data(off, len).get(ValueLayout.JAVA_LONG_UNALIGNED, 0);
                                if (seq != expect[0]) {
                                    throw new AssertionError("completion " + expect[0] + " carried " + seq);
                                }
                                expect[0]++;
                                toReturn.add(new long[] {off, len});
                            });
                            // A full refill ring is not waited on inside poll: the provider consumes it only
                            // when its pool runs dry, which needs the completions read first.
                            while (!toReturn.isEmpty() && user.refill(toReturn.peek()[0], (int) toReturn.peek()[1])) {
                                toReturn.poll();
                            }
                            Thread.onSpinWait();
                        }
                    } catch (Throwable t) {
                        failure.set(t);
                    }
                }, "zcrx-user");
                userThread.start();
                long seq = 0;
                while (seq < COMPLETIONS && failure.get() == null) {
                    NetIov n = pool.alloc();
                    if (n == null) {
                        Thread.onSpinWait();
                        continue;
                    }
                    n.segment().set(ValueLayout.JAVA_LONG_UNALIGNED, 8, seq);
                    if (ifq.postCompletion(n, 8, 16)) {
                        seq++;
                    }
                    pool.putNetmem(n, -1, true); // the skb's reference
                }
                userThread.join();
                if (failure.get() != null) {
                    throw new AssertionError("user thread failed", failure.get());
                }
                ZcrxStats s = ifq.stats();
                assertEquals(COMPLETIONS, s.completions());
                assertEquals(0, s.badPad() + s.badArea() + s.badIndex() + s.noUserRef());
                ifq.close();
                assertEquals(COMPLETIONS, ifq.stats().refilled() + ifq.stats().scrubbed());
                pool.destroy();
                assertEquals(PagePool.State.RELEASED, pool.state());
                assertEquals(0, pool.inflight());
                assertTrue(ifq.isFreed());
                assertEquals(PAGES, ifq.area().freeCount());
            }
        });
    }
}
