package dev.netmem.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Model-based randomized test: random sequences of alloc, allocFrag, puts (direct, NAPI-local,
 * remote from another thread, bulk), extra references, extra page references and destroy, checked
 * step by step against a small reference model of the cache, the ring, the provider and every
 * counter. Each case prints its seed; rerun one with {@code -Dnetmem.seed=N}.
 */
class PagePoolModelTest {
    private static final int PAGES = 300;
    private static final int RING = 96;
    private static final int STEPS = 3_000;

    private ExecutorService remote;

    @BeforeEach
    void start() {
        remote = Executors.newSingleThreadExecutor(r -> new Thread(r, "remote-putter"));
    }

    @AfterEach
    void stop() throws InterruptedException {
        remote.shutdownNow();
        assertTrue(remote.awaitTermination(5, TimeUnit.SECONDS));
    }

    static List<Long> seeds() {
        String fixed = System.getProperty("netmem.seed");
        if (fixed != null) {
            return List.of(Long.parseLong(fixed));
        }
        long base = System.nanoTime();
        List<Long> s = new ArrayList<>();
        s.add(1L);
        s.add(42L);
        for (int i = 0; i < 6; i++) {
            s.add(base + i * 0x9E3779B97F4A7C15L);
        }
        return s;
    }

    /** The reference model: counts only; buffers are tracked by identity in {@link #held}. */
    private static final class Model {
        int cache;
        int ring;
        int providerFree = PAGES;
        int hold;
        int release;
        long fast, slow, empty, refill, cached, cacheFull, ringProduced, ringFull, releasedRefcnt;

        PagePoolStats stats() {
            return new PagePoolStats(fast, slow, 0, empty, refill, 0, cached, cacheFull, ringProduced, ringFull,
                    releasedRefcnt);
        }

        /** The kernel's alloc: cache, else refill from the ring, else a bulk of 64 from the provider. */
        boolean alloc() {
            if (cache > 0) {
                cache--;
                fast++;
                return true;
            }
            if (ring == 0) {
                empty++;
                int got = Math.min(PagePool.PP_ALLOC_CACHE_REFILL, providerFree);
                if (got == 0) {
                    return false;
                }
                providerFree -= got;
                hold += got;
                cache = got - 1;
                slow++;
                return true;
            }
            int got = Math.min(PagePool.PP_ALLOC_CACHE_REFILL, ring);
            ring -= got;
            cache = got - 1;
            refill++;
            return true;
        }

        /** The last reference of a buffer went: recycle or release. */
        void lastPut(boolean direct, boolean extraPageRef) {
            if (extraPageRef) {
                releasedRefcnt++;
                release++;
                providerFree++; // the test drops its extra page ref right after: the page goes home
                return;
            }
            if (direct) {
                if (cache < PagePool.PP_ALLOC_CACHE_SIZE) {
                    cache++;
                    cached++;
                    return;
                }
                cacheFull++;
            }
            if (ring < RING) {
                ring++;
                ringProduced++;
            } else {
                ringFull++;
                release++;
                providerFree++;
            }
        }
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void shouldMatchTheReferenceModel(long seed) throws Exception {
        System.out.println("PagePoolModelTest seed=" + seed);
        Random rnd = new Random(seed);
        TestPages pages = new TestPages(PAGES);
        Napi napi = new Napi("model");
        PagePool pool = PagePool.create(PagePoolParams.builder().napi(napi).poolSize(RING).hostPages(pages).build());
        Model m = new Model();
        // Buffers out of the pool, with the references the test holds on each.
        Map<NetIov, Integer> held = new IdentityHashMap<>();
        List<NetIov> out = new ArrayList<>();
        Map<NetIov, Boolean> pageRef = new HashMap<>();
        napi.schedule();
        try {
            for (int step = 0; step < STEPS; step++) {
                int op = rnd.nextInt(100);
                String ctx = "seed=" + seed + " step=" + step + " op=" + op;
                if (op < 40 || out.isEmpty()) {
                    boolean ok = m.alloc();
                    NetIov n = pool.alloc();
                    if (!ok) {
                        assertNull(n, ctx);
                    } else {
                        assertNotNull(n, ctx);
                        assertFalse(held.containsKey(n), ctx + ": handed out twice " + n);
                        assertEquals(1, n.ppRefCount(), ctx);
                        held.put(n, 1);
                        out.add(n);
                    }
                } else if (op < 48) {
                    NetIov n = out.get(rnd.nextInt(out.size()));
                    PagePool.refNetmem(n);
                    held.merge(n, 1, Integer::sum);
                } else if (op < 51) {
                    NetIov n = out.get(rnd.nextInt(out.size()));
                    if (!pageRef.containsKey(n)) {
                        n.getPage();
                        pageRef.put(n, true);
                    }
                } else if (op < 85) {
                    NetIov n = out.get(rnd.nextInt(out.size()));
                    int kind = rnd.nextInt(3); // 0 recycleDirect, 1 NAPI-local put, 2 remote put
                    boolean last = held.get(n) == 1;
                    boolean extra = last && pageRef.containsKey(n);
                    if (kind == 2) {
                        remote.submit(() -> pool.putFullPage(n, false)).get(5, TimeUnit.SECONDS);
                    } else if (kind == 1) {
                        pool.putFullPage(n, false);
                    } else {
                        pool.recycleDirect(n);
                    }
                    drop(n, held, out);
                    if (last) {
                        m.lastPut(kind != 2, extra);
                        if (extra) {
                            pageRef.remove(n);
                            n.putPage();
                        }
                    }
                } else {
                    int k = 1 + rnd.nextInt(Math.min(8, out.size()));
                    Collections.shuffle(out, rnd);
                    NetIov[] batch = new NetIov[k];
                    for (int i = 0; i < k; i++) {
                        batch[i] = out.get(i);
                    }
                    List<NetIov> lastOnes = new ArrayList<>();
                    for (NetIov n : batch) {
                        if (held.get(n) == 1) {
                            lastOnes.add(n);
                        }
                    }
                    NetIov[] mine = batch.clone(); // putBulk reorders its array
                    boolean onRemote = rnd.nextBoolean();
                    if (onRemote) {
                        remote.submit(() -> PagePool.putBulk(batch, k)).get(5, TimeUnit.SECONDS);
                    } else {
                        PagePool.putBulk(batch, k);
                    }
                    // Order inside a bulk round: releases (extra page refs) first, then cache, then one ring claim.
                    for (NetIov n : mine) {
                        drop(n, held, out);
                    }
                    bulkModel(m, lastOnes, pageRef, !onRemote);
                }
                assertEquals(m.stats(), pool.stats(), ctx);
                assertEquals(m.cache, pool.allocCacheCount(), ctx);
                assertEquals(m.ring, pool.ringCount(), ctx);
                assertEquals(m.hold, pool.holdCount(), ctx);
                assertEquals(m.release, pool.releaseCount(), ctx);
                assertEquals(m.providerFree, pages.freePages(), ctx);
            }
            pool.destroy();
        } finally {
            napi.complete();
        }
        // Late puts after destroy: every buffer still out comes home through the release path.
        List<NetIov> rest = new ArrayList<>(out);
        for (NetIov n : rest) {
            while (held.containsKey(n)) {
                pool.putFullPage(n, false);
                drop(n, held, out);
            }
            if (pageRef.remove(n) != null) {
                n.putPage();
            }
        }
        assertEquals(PagePool.State.RELEASED, pool.state(), "seed=" + seed);
        assertEquals(0, pool.inflight());
        assertEquals(pool.holdCount(), pool.releaseCount());
        assertEquals(PAGES, pages.freePages(), "seed=" + seed);
        assertEquals(1, pages.destroys);
    }

    private static void bulkModel(Model m, List<NetIov> lastOnes, Map<NetIov, Boolean> pageRef, boolean direct) {
        int candidates = 0;
        for (NetIov n : lastOnes) {
            if (pageRef.remove(n) != null) {
                m.releasedRefcnt++;
                m.release++;
                m.providerFree++;
                n.putPage();
                continue;
            }
            if (direct) {
                if (m.cache < PagePool.PP_ALLOC_CACHE_SIZE) {
                    m.cache++;
                    m.cached++;
                    continue;
                }
                m.cacheFull++;
            }
            candidates++;
        }
        int produced = Math.min(candidates, RING - m.ring);
        m.ring += produced;
        m.ringProduced += produced;
        if (produced < candidates) {
            m.ringFull++;
            m.release += candidates - produced;
            m.providerFree += candidates - produced;
        }
    }

    private static void drop(NetIov n, Map<NetIov, Integer> held, List<NetIov> out) {
        int refs = held.get(n);
        if (refs == 1) {
            held.remove(n);
            out.remove(n);
        } else {
            held.put(n, refs - 1);
        }
    }
}
