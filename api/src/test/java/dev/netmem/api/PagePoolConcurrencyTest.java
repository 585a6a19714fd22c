package dev.netmem.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The NAPI thread allocates whole buffers and frags while two other threads free them (single and
 * bulk puts, random delays, out of order), and the pool is destroyed at a random point while frees
 * are still coming. Checked throughout: no buffer is handed out while someone still holds it, and
 * {@code hold - release} equals {@code inflight} and never goes negative; at the end the pool is
 * released and every page is home. Thread interleavings are not reproducible; the seed fixes the
 * operation mix and is printed.
 */
class PagePoolConcurrencyTest {
    private static final int PAGES = 512;

    static List<Long> seeds() {
        String fixed = System.getProperty("netmem.seed");
        if (fixed != null) {
            return List.of(Long.parseLong(fixed));
        }
        long base = System.nanoTime();
        return List.of(base, base + 1, base + 2, base + 3);
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void shouldAccountForEveryBufferWhileOtherThreadsFree(long seed) throws Exception {
        System.out.println("PagePoolConcurrencyTest seed=" + seed);
        Random rnd = new Random(seed);
        TestPages pages = new TestPages(PAGES);
        Napi napi = new Napi("conc");
        PagePool pool = PagePool.create(PagePoolParams.builder().napi(napi).poolSize(256).hostPages(pages).build());
        // References the test holds per page; a page handed out by alloc() must have none.
        Map<NetIov, Integer> refs = new ConcurrentHashMap<>();
        BlockingQueue<NetIov> toFree = new ArrayBlockingQueue<>(1024);
        NetIov poison = new NetIovArea(java.lang.foreign.Arena.ofAuto().allocate(4096, 4096), 0, NetIovType.PAGE,
                0, 0, 0, p -> { }).niov(0);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        List<Thread> freers = new ArrayList<>();
        for (int t = 0; t < 2; t++) {
            long fseed = seed * 31 + t;
            Thread f = new Thread(() -> {
                Random r = new Random(fseed);
                NetIov[] bulk = new NetIov[8];
                int nb = 0;
                try {
                    while (true) {
                        NetIov n = toFree.poll(5, TimeUnit.SECONDS);
                        if (n == null) {
                            throw new IllegalStateException("freer starved");
                        }
                        if (n == poison) {
                            break;
                        }
                        refs.compute(n, (k, v) -> v == 1 ? null : v - 1);
                        if (r.nextInt(4) == 0) {
                            bulk[nb++] = n;
                            if (nb == bulk.length) {
                                flush(bulk, nb);
                                nb = 0;
                            }
                        } else {
                            pool.putNetmem(n, -1, false);
                        }
                        if (r.nextInt(64) == 0) {
                            Thread.sleep(0, r.nextInt(50_000));
                        }
                    }
                    flush(bulk, nb);
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                }
            }, "freer-" + t);
            f.start();
            freers.add(f);
        }
        int destroyAt = 20_000 + rnd.nextInt(20_000);
        napi.schedule();
        try {
            for (int step = 0; step < destroyAt && failure.get() == null; step++) {
                boolean frag = rnd.nextInt(4) == 0;
                NetIov n = frag ? pool.allocFrag(256 + rnd.nextInt(1024)) : pool.alloc();
                if (n == null) {
                    Thread.onSpinWait(); // pages exhausted for now; the freers will bring some back
                    continue;
                }
                if (!frag && refs.containsKey(n)) {
                    fail("seed=" + seed + " step=" + step + ": " + n + " handed out while held " + refs.get(n));
                }
                refs.merge(n, 1, Integer::sum);
                if (!frag && rnd.nextInt(3) == 0) {
                    refs.compute(n, (k, v) -> v == 1 ? null : v - 1);
                    pool.recycleDirect(n);
                } else {
                    toFree.put(n);
                }
                if ((step & 1023) == 0) {
                    int hold = pool.holdCount();
                    int release = pool.releaseCount();
                    assertTrue(hold - release >= 0, "inflight negative at step " + step);
                }
            }
        } finally {
            napi.complete();
        }
        pool.destroy();
        for (int t = 0; t < freers.size(); t++) {
            toFree.put(poison);
        }
        for (Thread f : freers) {
            f.join(TimeUnit.SECONDS.toMillis(20));
            assertTrue(!f.isAlive(), f.getName() + " did not finish");
        }
        if (failure.get() != null) {
            throw new AssertionError("seed=" + seed, failure.get());
        }
        assertTrue(refs.isEmpty(), "test still holds " + refs.size());
        assertEquals(PagePool.State.RELEASED, pool.state(), "seed=" + seed);
        assertEquals(pool.holdCount(), pool.releaseCount(), "seed=" + seed);
        assertEquals(0, pool.inflight());
        assertEquals(PAGES, pages.freePages(), "seed=" + seed);
        assertEquals(1, pages.destroys);
    }

    private static void flush(NetIov[] bulk, int nb) {
        if (nb > 0) {
            PagePool.putBulk(bulk, nb); // frags of one page may appear more than once
        }
    }
}
