package dev.netmem.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.netmem.api.spi.MemoryProvider;
import dev.netmem.api.spi.PoolContext;
import dev.netmem.testsupport.base.HostileTally;
import java.lang.foreign.Arena;
import java.time.Duration;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Hostile input to the page pool, seeded: random {@link PagePoolParams} combinations checked against
 * an oracle written here (accept, or the exact message of the first rule that fails, in the order
 * {@link PagePoolParamsTest} pins), {@link PagePool#create} with misbehaving providers, and random
 * illegal calls between random legal traffic. Every illegal call must throw the precise exception
 * and change nothing; the pool stays consistent after each one and ends {@code RELEASED} with every
 * page home. Each case prints a summary line with its seed; rerun one with {@code -Dnetmem.seed=N}.
 */
class PagePoolHostileInputTest {
    private static final DmaDevice DEV = new DmaDevice("hostile", true);
    private static final int PARAM_CASES = 10_000;
    private static final int PAGES = 256;
    private static final int STEPS = 15_000;

    private ExecutorService other;

    @BeforeEach
    void start() {
        other = Executors.newSingleThreadExecutor(r -> new Thread(r, "not-the-napi"));
    }

    @AfterEach
    void stop() throws InterruptedException {
        other.shutdownNow();
        assertTrue(other.awaitTermination(5, TimeUnit.SECONDS));
    }

    static List<Long> seeds() {
        return HostileTally.seeds();
    }

    // =====================================================================================
    // PagePoolParams: random combinations against an independent oracle
    // =====================================================================================

    // Each component is legal most of the time, so every rule is reached often; hostile otherwise.
    private static final int[] ORDERS = {0, 0, 0, 1, 3, 10, 11, 18};
    private static final int[] BAD_ORDERS = {19, -1, 64, Integer.MIN_VALUE, Integer.MAX_VALUE};
    private static final int[] POOL_SIZES = {0, 0, 1, 64, 1024, 16384, 16385, 100_000, Integer.MAX_VALUE};
    private static final int[] BAD_POOL_SIZES = {-1, Integer.MIN_VALUE};
    private static final int[] NIDS = {-1, -1, 0, 1, 7, Integer.MAX_VALUE};
    private static final int[] BAD_NIDS = {-2, Integer.MIN_VALUE};
    private static final int[] LENS = {0, 0, 0, 1, 64, 2048, 4096};
    private static final int[] BAD_LENS = {4097, 8192, 1 << 22, Integer.MAX_VALUE, -1, Integer.MIN_VALUE};
    private static final Duration[] DURATIONS = {Duration.ofSeconds(1), Duration.ofMillis(1), Duration.ofDays(1)};
    private static final Duration[] BAD_DURATIONS = {Duration.ZERO, Duration.ofNanos(-1), Duration.ofSeconds(-60),
        null};

    /** One random draw of every component. */
    private record Draw(int order, int poolSize, int nid, DmaDevice device, Napi napi, DmaDirection dmaDir,
                        int maxLen, int offset, int flags, NetdevRxQueue queue, MemoryProvider hostPages,
                        boolean stats, Duration releaseRetry, Duration stallWarn, boolean leakTracking) {
    }

    private static <T> T pick(Random r, T[] good, T[] bad) {
        return r.nextInt(10) == 0 ? bad[r.nextInt(bad.length)] : good[r.nextInt(good.length)];
    }

    private static int pick(Random r, int[] good, int[] bad) {
        int k = r.nextInt(20);
        return k == 0 ? r.nextInt() : k == 1 ? bad[r.nextInt(bad.length)] : good[r.nextInt(good.length)];
    }

    private static Draw draw(Random r, MemoryProvider readable, MemoryProvider unreadable, NetdevRxQueue queue) {
        int flags = switch (r.nextInt(16)) {
            case 0 -> r.nextInt();
            case 1 -> 1 << r.nextInt(32);
            case 2, 3, 4, 5 -> PagePoolParams.PP_FLAG_DMA_MAP | PagePoolParams.PP_FLAG_DMA_SYNC_DEV
                    | (r.nextBoolean() ? PagePoolParams.PP_FLAG_ALLOW_UNREADABLE_NETMEM : 0);
            default -> r.nextInt(16);
        };
        DmaDirection[] dirs = DmaDirection.values();
        DmaDirection dir = r.nextInt(20) == 0 ? null
                : r.nextInt(3) == 0 ? dirs[r.nextInt(dirs.length)] : DmaDirection.FROM_DEVICE;
        MemoryProvider host = switch (r.nextInt(6)) {
            case 0 -> null;
            case 1 -> unreadable;
            default -> readable;
        };
        int order = pick(r, ORDERS, BAD_ORDERS);
        int maxLen = pick(r, LENS, BAD_LENS);
        int offset = pick(r, LENS, BAD_LENS);
        if (order > 0 && r.nextBoolean()) {
            maxLen = (4096 << order) - offset + r.nextInt(3) - 1; // around the buffer's end
        }
        return new Draw(order, pick(r, POOL_SIZES, BAD_POOL_SIZES), pick(r, NIDS, BAD_NIDS),
                r.nextInt(5) != 0 ? DEV : null, r.nextBoolean() ? new Napi("p") : null, dir, maxLen, offset, flags,
                r.nextInt(4) != 0 ? queue : null, host, r.nextBoolean(), pick(r, DURATIONS, BAD_DURATIONS),
                pick(r, DURATIONS, BAD_DURATIONS), r.nextInt(8) == 0);
    }

    /**
     * The oracle: {@code null} if the draw is legal, else the exception class and message of the first
     * rule it breaks, rule by rule in the kernel's order ({@code page_pool_init} first, then ours).
     */
    private static Map.Entry<Class<? extends RuntimeException>, String> oracle(Draw d) {
        int unknown = d.flags() & ~0xF;
        if (unknown != 0) {
            return iae("unknown page pool flags: 0x" + Integer.toHexString(unknown));
        }
        if (d.poolSize() < 0) {
            return iae("poolSize must be >= 0: " + d.poolSize());
        }
        if (d.order() < 0 || d.order() > 18) {
            return iae("order must be in [0, 18]: " + d.order());
        }
        if (d.nid() < -1) {
            return iae("nid must be >= -1: " + d.nid());
        }
        if (d.dmaDir() == null) {
            return Map.entry(NullPointerException.class, "dmaDir");
        }
        boolean map = (d.flags() & 1) != 0;
        boolean sync = (d.flags() & 2) != 0;
        if (map && d.dmaDir() != DmaDirection.FROM_DEVICE && d.dmaDir() != DmaDirection.BIDIRECTIONAL) {
            return iae("PP_FLAG_DMA_MAP requires dmaDir FROM_DEVICE or BIDIRECTIONAL: " + d.dmaDir());
        }
        if (map && d.device() == null) {
            return iae("PP_FLAG_DMA_MAP requires a device");
        }
        if (sync && !map) {
            return iae("PP_FLAG_DMA_SYNC_DEV requires PP_FLAG_DMA_MAP");
        }
        if (sync && d.maxLen() == 0) {
            return iae("PP_FLAG_DMA_SYNC_DEV requires maxLen > 0");
        }
        if (d.maxLen() < 0 || d.offset() < 0) {
            return iae("maxLen and offset must be >= 0: maxLen=" + d.maxLen() + ", offset=" + d.offset());
        }
        long buffer = 4096L << d.order();
        if ((long) d.offset() + d.maxLen() > buffer) {
            return iae("offset + maxLen exceeds the buffer size: offset=" + d.offset() + ", maxLen=" + d.maxLen()
                    + ", buffer=" + buffer);
        }
        if ((d.flags() & 8) != 0 && d.queue() == null) {
            return iae("PP_FLAG_ALLOW_UNREADABLE_NETMEM requires a queue");
        }
        if (d.hostPages() != null && d.hostPages().unreadable()) {
            return iae("hostPages must be a readable (host page) provider: " + d.hostPages());
        }
        if (d.releaseRetry() == null) {
            return Map.entry(NullPointerException.class, "releaseRetry");
        }
        if (d.stallWarn() == null) {
            return Map.entry(NullPointerException.class, "stallWarn");
        }
        if (d.releaseRetry().isNegative() || d.releaseRetry().isZero()) {
            return iae("releaseRetry must be > 0: " + d.releaseRetry());
        }
        if (d.stallWarn().isNegative() || d.stallWarn().isZero()) {
            return iae("stallWarn must be > 0: " + d.stallWarn());
        }
        return null;
    }

    private static Map.Entry<Class<? extends RuntimeException>, String> iae(String msg) {
        return Map.entry(IllegalArgumentException.class, msg);
    }

    /** A provider whose {@code init} refuses, as a provider given a pool it cannot serve does. */
    private static final class RefusingPages extends TestPages {
        RefusingPages() {
            super(1);
        }

        @Override
        public synchronized void init(PoolContext pool) {
            throw new IllegalStateException("EINVAL: refused by the provider");
        }
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void shouldAcceptOrRejectRandomParamsExactlyAsTheOracleSays(long seed) {
        System.out.println("PagePoolHostileInputTest params seed=" + seed);
        HostileTally tally = new HostileTally("pagepool-params", seed);
        Random r = new Random(seed);
        TestPages readable = new TestPages(1);
        TestPages unreadable = new TestPages(1) {
            @Override
            public boolean unreadable() {
                return true;
            }
        };
        MemoryProvider[] queueProviders = {null, readable, unreadable, new RefusingPages()};
        int before = PagePool.pools().size();
        for (int i = 0; i < PARAM_CASES; i++) {
            MemoryProvider bound = queueProviders[r.nextInt(queueProviders.length)];
            NetdevRxQueue queue = new NetdevRxQueue() {
                @Override
                public int queueIndex() {
                    return 0;
                }

                @Override
                public int ifindex() {
                    return 1;
                }

                @Override
                public MemoryProvider memoryProvider() {
                    return bound;
                }
            };
            Draw d = draw(r, readable, unreadable, queue);
            String what = "seed " + seed + " case " + i + ": " + d;
            var expected = oracle(d);
            PagePoolParams.Builder b = PagePoolParams.builder().order(d.order()).poolSize(d.poolSize()).nid(d.nid())
                    .device(d.device()).napi(d.napi()).dmaDir(d.dmaDir()).maxLen(d.maxLen()).offset(d.offset())
                    .flags(d.flags()).queue(d.queue()).hostPages(d.hostPages()).stats(d.stats())
                    .releaseRetry(d.releaseRetry()).stallWarn(d.stallWarn()).leakTracking(d.leakTracking());
            if (expected != null) {
                RuntimeException e = assertThrows(expected.getKey(), b::build, what);
                assertEquals(expected.getValue(), e.getMessage(), what);
                tally.rejected();
                continue;
            }
            PagePoolParams p = b.build();
            assertEquals(d.poolSize() == 0 ? 1024 : Math.min(d.poolSize(), 16384), p.ringSize(), what);
            assertEquals(4096 << d.order(), p.bufferSize(), what);
            assertEquals(p, p.toBuilder().build(), what);
            tally.accepted();
            createAndDestroy(p, bound, what, tally);
        }
        assertEquals(before, PagePool.pools().size(), "no pool was left listed");
        tally.print();
    }

    /** {@link PagePool#create} on legal params: the provider rules, then init; a failure lists nothing. */
    private static void createAndDestroy(PagePoolParams p, MemoryProvider bound, String what, HostileTally tally) {
        MemoryProvider mp = p.hasFlag(PagePoolParams.PP_FLAG_ALLOW_UNREADABLE_NETMEM) ? bound : null;
        boolean fromQueue = mp != null;
        if (mp == null) {
            mp = p.hostPages();
        }
        int listed = PagePool.pools().size();
        String expected = null;
        Class<? extends RuntimeException> type = null;
        if (mp == null) {
            type = IllegalArgumentException.class;
            expected = p.queue() == null ? "no memory: hostPages is null and no queue is given"
                    : "no memory: queue 0 has no memory provider usable by this pool and hostPages is null";
        } else if (mp.unreadable() && (p.flags() & 3) != 3) {
            type = UnsupportedOperationException.class;
            expected = "a memory provider requires PP_FLAG_DMA_MAP and PP_FLAG_DMA_SYNC_DEV";
        } else if (!fromQueue && p.order() > 10) {
            type = IllegalArgumentException.class; // only the page allocator is bound by MAX_PAGE_ORDER
            expected = "EINVAL: order " + p.order() + " > MAX_PAGE_ORDER 10 without a memory provider";
        } else if (mp instanceof RefusingPages) {
            type = IllegalStateException.class;
            expected = "EINVAL: refused by the provider";
        }
        if (expected != null) {
            RuntimeException e = assertThrows(type, () -> PagePool.create(p), what);
            assertEquals(expected, e.getMessage(), what);
            assertEquals(listed, PagePool.pools().size(), what);
            tally.rejected();
            return;
        }
        PagePool pool = PagePool.create(p);
        assertSame(mp, pool.provider(), what);
        assertEquals(PagePool.State.ACTIVE, pool.state(), what);
        pool.destroy();
        assertEquals(PagePool.State.RELEASED, pool.state(), what);
        assertEquals(0, pool.inflight(), what);
        tally.accepted();
    }

    // =====================================================================================
    // Entry points: random illegal calls between random legal traffic
    // =====================================================================================

    /** Buffers the test holds: references per buffer, and whether it came from alloc (not allocFrag). */
    private static final class Held {
        final IdentityHashMap<NetIov, Integer> refs = new IdentityHashMap<>();
        final IdentityHashMap<NetIov, Boolean> full = new IdentityHashMap<>();
        final List<NetIov> seen = new ArrayList<>();
        final IdentityHashMap<NetIov, Boolean> seenSet = new IdentityHashMap<>();
        NetIov fragPage;

        void took(NetIov n, boolean isFull) {
            refs.merge(n, 1, Integer::sum);
            full.put(n, isFull && !full.containsKey(n) ? Boolean.TRUE : Boolean.valueOf(isFull && full.get(n)));
            if (seenSet.put(n, Boolean.TRUE) == null) {
                seen.add(n);
            }
        }

        void dropped(NetIov n) {
            int left = refs.merge(n, -1, Integer::sum);
            if (left == 0) {
                refs.remove(n);
                full.remove(n);
            }
        }

        NetIov any(Random r) {
            if (refs.isEmpty()) {
                return null;
            }
            List<NetIov> l = new ArrayList<>(refs.keySet());
            return l.get(r.nextInt(l.size()));
        }

        /** A held whole buffer whose pp_ref_count is exactly what the test holds. */
        NetIov anyFull(Random r) {
            List<NetIov> l = new ArrayList<>();
            for (NetIov n : refs.keySet()) {
                if (full.get(n) && n != fragPage) {
                    l.add(n);
                }
            }
            return l.isEmpty() ? null : l.get(r.nextInt(l.size()));
        }

        /** A buffer seen before that the test does not hold now: at rest in the pool. */
        NetIov atRest(Random r) {
            List<NetIov> l = new ArrayList<>();
            for (NetIov n : seen) {
                if (!refs.containsKey(n) && n != fragPage) {
                    l.add(n);
                }
            }
            return l.isEmpty() ? null : l.get(r.nextInt(l.size()));
        }

        int held(NetIov n) {
            return refs.getOrDefault(n, 0);
        }
    }

    /**
     * An independent tally: the pages the provider has out (counted on its side) are exactly the
     * buffers the test holds, the frag page, and what the pool shows in its cache and ring; the
     * pool's in-flight count agrees. A buffer the pool lost or doubled breaks the first equation.
     */
    private static void assertConsistent(PagePool pool, TestPages pages, Held held, String what) {
        IdentityHashMap<NetIov, Boolean> out = new IdentityHashMap<>();
        for (NetIov n : held.refs.keySet()) {
            out.put(n, Boolean.TRUE);
        }
        if (held.fragPage != null) {
            out.put(held.fragPage, Boolean.TRUE);
        }
        assertEquals(pages.pagesOut(), out.size() + pool.allocCacheCount() + pool.ringCount(),
                what + ": provider's pages out == held + frag page + cache + ring");
        assertEquals(pages.pagesOut(), pool.inflight(), what + ": inflight == provider's pages out");
        for (Map.Entry<NetIov, Integer> e : held.refs.entrySet()) {
            if (held.full.get(e.getKey()) && e.getKey() != held.fragPage) {
                assertEquals((long) e.getValue(), e.getKey().ppRefCount(), what + ": " + e.getKey());
            }
            assertTrue(e.getKey().isAllocated(), what);
        }
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void shouldRejectRandomIllegalCallsPreciselyAndStayConsistent(long seed) throws Exception {
        System.out.println("PagePoolHostileInputTest entry points seed=" + seed);
        HostileTally tally = new HostileTally("pagepool-entry-points", seed);
        Random r = new Random(seed);
        Napi napi = new Napi("hostile-rx");
        TestPages pages = new TestPages(PAGES, 1, 0, true);
        TestPages otherPages = new TestPages(8, 1, 0, true);
        PagePool pool = PagePool.create(PagePoolParams.builder().napi(napi).hostPages(pages).poolSize(1024).build());
        PagePool otherPool = PagePool.create(PagePoolParams.builder().hostPages(otherPages).build());
        NetIov otherBuf = otherPool.alloc();
        NetIov foreign = new NetIovArea(Arena.ofAuto().allocate(4096, 4096), 0, NetIovType.PAGE, 0, 0, 0, p -> { })
                .niov(0);
        boolean assertions = PagePool.class.desiredAssertionStatus();
        Held held = new Held();
        napi.schedule();
        try {
            for (int step = 0; step < STEPS; step++) {
                String what = "seed " + seed + " step " + step;
                if (r.nextInt(3) != 0) {
                    legal(r, pool, held);
                } else {
                    hostile(r, pool, otherPool, otherBuf, foreign, held, assertions, what, tally);
                }
                assertConsistent(pool, pages, held, what);
            }
        } finally {
            napi.complete();
        }

        // After destroy: alloc and a second destroy are refused; the held buffers still come home.
        pool.destroy();
        String state = pool.inflight() > 0 ? "DESTROYING" : "RELEASED";
        assertEquals("page pool " + pool.id() + " is destroyed (" + state + ")",
                assertThrows(IllegalStateException.class, pool::alloc).getMessage());
        assertEquals("page pool " + pool.id() + " is destroyed (" + state + ")",
                assertThrows(IllegalStateException.class, () -> pool.allocFrag(64)).getMessage());
        assertEquals("page pool " + pool.id() + " is already destroyed (" + state + ")",
                assertThrows(IllegalStateException.class, pool::destroy).getMessage());
        assertEquals("page pool " + pool.id() + " is destroyed (" + state + ")",
                assertThrows(IllegalStateException.class, () -> pool.enableDirectRecycling(napi)).getMessage());
        tally.rejected();
        tally.rejected();
        tally.rejected();
        tally.rejected();
        NetIov rest = held.atRest(r);
        if (rest != null) {
            NetIov x = rest;
            assertEquals(x + " is not owned by a page pool (foreign, or already released)",
                    assertThrows(IllegalArgumentException.class, () -> pool.putFullPage(x, false)).getMessage());
            tally.rejected();
        }
        for (NetIov n : new ArrayList<>(held.refs.keySet())) {
            for (int i = held.held(n); i > 0; i--) {
                pool.putNetmem(n, -1, false);
            }
        }
        assertEquals(PagePool.State.RELEASED, pool.state());
        assertEquals(0, pool.inflight());
        assertEquals(pool.holdCount(), pool.releaseCount());
        assertEquals(PAGES, pages.freePages(), "every page is home");
        assertEquals(pool.releaseCount(), pages.releases);
        otherPool.putFullPage(otherBuf, false);
        otherPool.destroy();
        assertEquals(PagePool.State.RELEASED, otherPool.state());
        assertEquals(8, otherPages.freePages());
        tally.print();
    }

    /** Random legal traffic on the NAPI thread. */
    private static void legal(Random r, PagePool pool, Held held) {
        switch (r.nextInt(8)) {
            case 0, 1 -> {
                NetIov n = pool.alloc();
                if (n != null) {
                    held.took(n, true);
                }
            }
            case 2 -> {
                int size = 1 + r.nextInt(NetIov.PAGE_SIZE);
                NetIov n = pool.allocFrag(size);
                held.fragPage = n;
                if (n != null) {
                    held.took(n, false);
                }
            }
            case 3, 4 -> {
                NetIov n = held.any(r);
                if (n != null) {
                    pool.putNetmem(n, -1, r.nextBoolean());
                    held.dropped(n);
                }
            }
            case 5 -> {
                NetIov n = held.any(r);
                if (n != null && held.full.get(n) && n != held.fragPage) {
                    PagePool.refNetmem(n);
                    held.took(n, true);
                }
            }
            case 6 -> {
                List<NetIov> batch = new ArrayList<>();
                for (NetIov n : held.refs.keySet()) {
                    if (batch.size() < 20 && r.nextBoolean()) {
                        for (int i = held.held(n); i > 0 && r.nextBoolean(); i--) {
                            batch.add(n);
                        }
                    }
                }
                NetIov[] a = batch.toArray(new NetIov[0]);
                PagePool.putBulk(a, a.length);
                for (NetIov n : batch) {
                    held.dropped(n);
                }
            }
            default -> {
                NetIov n = held.anyFull(r);
                if (n != null && held.held(n) > 1) {
                    assertEquals(held.held(n) - 1, PagePool.unrefNetmem(n, 1));
                    held.dropped(n);
                }
            }
        }
    }

    /** One random illegal call: the precise exception, and nothing changed. */
    private void hostile(Random r, PagePool pool, PagePool otherPool, NetIov otherBuf, NetIov foreign, Held held,
                         boolean assertions, String what, HostileTally tally) throws InterruptedException {
        int kind = r.nextInt(12);
        switch (kind) {
            case 0 -> { // double put of a buffer at rest
                NetIov n = held.atRest(r);
                if (n == null) {
                    return;
                }
                var e = assertThrows(IllegalStateException.class, () -> pool.putNetmem(n, -1, r.nextBoolean()), what);
                assertEquals("double put of " + n + ": it is already back in page pool " + pool.id(), e.getMessage());
                assertFalse(n.isAllocated(), what);
                assertEquals(1, n.ppRefCount(), what);
            }
            case 1 -> { // put to the wrong pool, both ways
                NetIov n = held.any(r);
                if (n != null) {
                    long refs = n.ppRefCount();
                    var e = assertThrows(IllegalArgumentException.class, () -> otherPool.putFullPage(n, false), what);
                    assertEquals(n + " belongs to page pool " + pool.id() + ", not page pool " + otherPool.id(),
                            e.getMessage());
                    assertEquals(refs, n.ppRefCount(), what);
                }
                var e = assertThrows(IllegalArgumentException.class, () -> pool.putFullPage(otherBuf, false), what);
                assertEquals(otherBuf + " belongs to page pool " + otherPool.id() + ", not page pool " + pool.id(),
                        e.getMessage());
                assertEquals(1, otherBuf.ppRefCount(), what);
            }
            case 2 -> { // a buffer no pool owns
                var e = assertThrows(IllegalArgumentException.class, () -> pool.putNetmem(foreign, -1, false), what);
                assertEquals(foreign + " is not owned by a page pool (foreign, or already released)", e.getMessage());
                assertEquals("cannot take a reference on " + foreign + ": it is not allocated",
                        assertThrows(IllegalStateException.class, () -> PagePool.refNetmem(foreign), what)
                                .getMessage());
            }
            case 3 -> { // bulk put naming a whole buffer once more than its references
                NetIov n = held.anyFull(r);
                if (n == null) {
                    return;
                }
                int refs = held.held(n);
                List<NetIov> batch = new ArrayList<>();
                NetIov extra = held.any(r);
                if (extra != null && extra != n) {
                    batch.add(extra);
                }
                for (int i = 0; i <= refs; i++) {
                    batch.add(r.nextInt(batch.size() + 1), n);
                }
                var e = assertThrows(IllegalStateException.class,
                        () -> PagePool.putBulk(batch.toArray(new NetIov[0]), batch.size()), what);
                assertEquals("double put of " + n + ": it appears " + (refs + 1) + " times in one bulk put but holds "
                        + refs + " reference(s)", e.getMessage());
            }
            case 4 -> { // bulk put with a null, a foreign buffer or a buffer at rest among held ones
                List<NetIov> batch = new ArrayList<>();
                NetIov a = held.any(r);
                if (a != null) {
                    batch.add(a);
                }
                int bad = r.nextInt(3);
                NetIov rest = held.atRest(r);
                if (bad == 2 && rest == null) {
                    bad = 1;
                }
                NetIov badOne = bad == 0 ? null : bad == 1 ? foreign : rest;
                batch.add(r.nextInt(batch.size() + 1), badOne);
                NetIov[] arr = batch.toArray(new NetIov[0]);
                if (bad == 0) {
                    assertEquals("netmem", assertThrows(NullPointerException.class,
                            () -> PagePool.putBulk(arr, arr.length), what).getMessage());
                } else if (bad == 1) {
                    assertEquals(foreign + " is not owned by a page pool (foreign, or already released)",
                            assertThrows(IllegalArgumentException.class, () -> PagePool.putBulk(arr, arr.length), what)
                                    .getMessage());
                } else {
                    assertEquals("double put of " + rest + ": it is already back in page pool " + pool.id(),
                            assertThrows(IllegalStateException.class, () -> PagePool.putBulk(arr, arr.length), what)
                                    .getMessage());
                }
            }
            case 5 -> { // bulk count out of range
                NetIov[] arr = new NetIov[r.nextInt(4)];
                int count = r.nextBoolean() ? arr.length + 1 + r.nextInt(100) : -1 - r.nextInt(100);
                if (r.nextInt(4) == 0) {
                    count = r.nextBoolean() ? Integer.MIN_VALUE : Integer.MAX_VALUE;
                }
                int c = count;
                assertThrows(IndexOutOfBoundsException.class, () -> PagePool.putBulk(arr, c), what);
            }
            case 6 -> { // dropping more references than held, or a non-positive number of them
                NetIov n = held.anyFull(r);
                if (n == null) {
                    return;
                }
                int refs = held.held(n);
                long nr = refs + 1 + r.nextInt(3);
                if (r.nextInt(4) == 0) {
                    nr = Long.MAX_VALUE;
                }
                long drop = nr;
                var e = assertThrows(IllegalStateException.class, () -> PagePool.unrefNetmem(n, drop), what);
                assertEquals("pp_ref_count underflow on " + n + ": dropping " + nr + " of " + refs, e.getMessage());
                long bad = r.nextBoolean() ? 0 : -1 - r.nextInt(5);
                var e2 = assertThrows(IllegalArgumentException.class, () -> PagePool.unrefNetmem(n, bad), what);
                assertEquals("nr must be >= 1: " + bad, e2.getMessage());
                assertEquals(refs, n.ppRefCount(), what);
            }
            case 7 -> { // a reference on a buffer at rest
                NetIov n = held.atRest(r);
                if (n == null) {
                    return;
                }
                var e = assertThrows(IllegalStateException.class, () -> PagePool.refNetmem(n), what);
                assertEquals("cannot take a reference on " + n + ": it is not allocated", e.getMessage());
                assertEquals(1, n.ppRefCount(), what);
            }
            case 8 -> { // frag sizes out of range
                int[] sizes = {0, -1, NetIov.PAGE_SIZE + 1, Integer.MIN_VALUE, Integer.MAX_VALUE, -r.nextInt(1 << 20),
                    NetIov.PAGE_SIZE + 1 + r.nextInt(1 << 20)};
                int s = sizes[r.nextInt(sizes.length)];
                var e = assertThrows(IllegalArgumentException.class, () -> pool.allocFrag(s), what);
                assertEquals("frag size must be in [1, " + NetIov.PAGE_SIZE + "]: " + s, e.getMessage());
            }
            case 9 -> { // recycleDirect and alloc off the NAPI thread (assert-checked contract)
                NetIov n = held.anyFull(r);
                if (n == null || !assertions) {
                    return;
                }
                long refs = n.ppRefCount();
                Throwable t = offThread(() -> pool.recycleDirect(n));
                assertTrue(t instanceof AssertionError, what + ": " + t);
                assertTrue(t.getMessage().startsWith("page pool " + pool.id() + ": caller must run "), t.getMessage());
                t = offThread(pool::alloc);
                assertTrue(t instanceof AssertionError, what + ": " + t);
                assertEquals(refs, n.ppRefCount(), what);
            }
            case 10 -> { // updateNid below NUMA_NO_NODE, linking a second NAPI
                int nid = r.nextBoolean() ? -2 - r.nextInt(100) : Integer.MIN_VALUE;
                int cache = pool.allocCacheCount();
                assertEquals("nid must be >= -1: " + nid,
                        assertThrows(IllegalArgumentException.class, () -> pool.updateNid(nid), what).getMessage());
                assertEquals(cache, pool.allocCacheCount(), what);
                Napi intruder = new Napi("intruder");
                assertEquals("page pool " + pool.id() + " is already linked to " + pool.napi(),
                        assertThrows(IllegalStateException.class, () -> pool.enableDirectRecycling(intruder), what)
                                .getMessage());
            }
            default -> { // fragmentNetmem with a non-positive count; putUnrefedNetmem of a foreign buffer
                long nr = r.nextBoolean() ? 0 : -1 - r.nextInt(1000);
                assertEquals("nr must be >= 1: " + nr, assertThrows(IllegalArgumentException.class,
                        () -> PagePool.fragmentNetmem(foreign, nr), what).getMessage());
                assertEquals(foreign + " is not owned by a page pool (foreign, or already released)",
                        assertThrows(IllegalArgumentException.class,
                                () -> pool.putUnrefedNetmem(foreign, -1, false), what).getMessage());
            }
        }
        tally.rejected();
    }

    private Throwable offThread(Runnable call) throws InterruptedException {
        try {
            other.submit(call).get(10, TimeUnit.SECONDS);
            fail("expected a failure off the NAPI thread");
            return null;
        } catch (ExecutionException e) {
            assertNotNull(e.getCause());
            return e.getCause();
        } catch (java.util.concurrent.TimeoutException e) {
            throw new AssertionError(e);
        }
    }
}
