package dev.netmem.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** ACTIVE → DESTROYING → RELEASED, each transition, notifications and the destroy/put race. */
class PagePoolLifecycleTest {
    private final List<String> events = new CopyOnWriteArrayList<>();
    private final PagePoolListener listener = new PagePoolListener() {
        @Override
        public void added(PagePool pool) {
            events.add("ADD " + pool.id());
        }

        @Override
        public void changed(PagePool pool) {
            events.add("CHANGE " + pool.id());
        }

        @Override
        public void deleted(PagePool pool) {
            events.add("DEL " + pool.id());
        }
    };

    @BeforeEach
    void listen() {
        PagePool.addListener(listener);
    }

    @AfterEach
    void unlisten() {
        PagePool.removeListener(listener);
    }

    private static PagePool pool(TestPages pages) {
        return PagePool.create(PagePoolParams.builder().hostPages(pages).build());
    }

    @Test
    void shouldReleaseAtOnceWhenNothingIsInFlight() {
        TestPages pages = new TestPages(256);
        PagePool pool = pool(pages);
        NetIov n = pool.alloc();
        pool.recycleDirect(n);
        pool.destroy();
        assertEquals(PagePool.State.RELEASED, pool.state());
        assertEquals(64, pool.releaseCount());
        assertEquals(0, pool.inflight());
        assertEquals(256, pages.freePages());
        assertEquals(1, pages.inits);
        assertEquals(1, pages.destroys);
        assertTrue(pool.detachTime().isEmpty());
        assertTrue(PagePool.byId(pool.id()).isEmpty());
        assertEquals(List.of("ADD " + pool.id(), "DEL " + pool.id()), events);
    }

    @Test
    void shouldListAPoolFromCreateUntilRelease() {
        PagePool pool = pool(new TestPages(8));
        assertTrue(PagePool.pools().contains(pool));
        assertEquals(pool, PagePool.byId(pool.id()).orElseThrow());
    }

    @Test
    void shouldDetachWhileBuffersAreInFlightAndReleaseOnTheLastPut() {
        TestPages pages = new TestPages(256);
        PagePool pool = pool(pages);
        NetIov a = pool.alloc();
        NetIov b = pool.alloc();
        pool.destroy();
        assertEquals(PagePool.State.DESTROYING, pool.state());
        assertEquals(2, pool.inflight());
        assertTrue(pool.detachTime().isPresent());
        assertEquals(0, pages.destroys);
        assertEquals(List.of("ADD " + pool.id(), "CHANGE " + pool.id()), events);
        assertTrue(PagePool.byId(pool.id()).isPresent(), "a detached pool is still listed");

        PagePoolStats before = pool.stats();
        pool.putFullPage(a, false);
        assertEquals(PagePool.State.DESTROYING, pool.state());
        assertEquals(1, pool.inflight());
        pool.recycleDirect(b); // even a direct put goes straight to the release path now
        assertEquals(PagePool.State.RELEASED, pool.state());
        assertEquals(before, pool.stats(), "late puts never enter the cache or the ring");
        assertEquals(0, pool.allocCacheCount());
        assertEquals(0, pool.ringCount());
        assertEquals(1, pages.destroys);
        assertEquals(256, pages.freePages());
        assertEquals(List.of("ADD " + pool.id(), "CHANGE " + pool.id(), "DEL " + pool.id()), events);
    }

    @Test
    void shouldDisableDirectRecyclingOnDestroy() {
        Napi napi = new Napi("rx");
        PagePool pool = PagePool.create(PagePoolParams.builder().napi(napi).hostPages(new TestPages(8, 1, 0, false))
                .build());
        napi.schedule();
        try {
            NetIov a = pool.alloc();
            NetIov b = pool.alloc();
            pool.putFullPage(a, false);
            assertEquals(1, pool.stats().cached(), "control: a put on the NAPI thread is NAPI-local while linked");
            pool.destroy(); // on the NAPI thread itself: allowed
            assertNull(pool.napi(), "destroy unlinks the NAPI (page_pool_disable_direct_recycling)");
            int released = pool.releaseCount();
            pool.putFullPage(b, false);
            assertEquals(1, pool.stats().cached(), "the same put after destroy is not NAPI-local");
            assertEquals(released + 1, pool.releaseCount(), "it went straight to the release path");
            assertEquals(0, pool.allocCacheCount());
            assertEquals(PagePool.State.RELEASED, pool.state());
        } finally {
            napi.complete();
        }
    }

    /**
     * The last buffer comes home after destroy counted it in flight but before it sent CHANGE (here:
     * from inside an earlier listener's CHANGE callback). Only a release pass, or a put after CHANGE,
     * may release the pool, so every listener still sees CHANGE before DEL.
     */
    @Test
    void shouldNeverSendDelBeforeChangeWhenTheLastBufferComesHomeDuringDetach() {
        TestPages pages = new TestPages(8, 1, 0, false);
        PagePool pool = pool(pages);
        NetIov n = pool.alloc();
        PagePoolListener putter = new PagePoolListener() {
            @Override
            public void changed(PagePool p) {
                if (p == pool && n.isAllocated()) {
                    pool.putFullPage(n, false);
                }
            }
        };
        PagePool.removeListener(listener);
        PagePool.addListener(putter); // runs before the recorder
        PagePool.addListener(listener);
        try {
            pool.destroy();
        } finally {
            PagePool.removeListener(putter);
        }
        assertEquals(List.of("ADD " + pool.id(), "CHANGE " + pool.id(), "DEL " + pool.id()), events);
        assertEquals(PagePool.State.RELEASED, pool.state());
        assertEquals(8, pages.freePages());
    }

    /** A hostile provider that places the one buffer it accounts twice in the cache: release > hold. */
    private static final class DoublePlacingProvider implements dev.netmem.api.spi.MemoryProvider {
        private final NetIovArea area = new NetIovArea(java.lang.foreign.Arena.ofAuto().allocate(NetIov.PAGE_SIZE,
                NetIov.PAGE_SIZE), 0, NetIovType.DMABUF, 0, 1L << 32, NetIov.NUMA_NO_NODE, null);

        @Override
        public void init(dev.netmem.api.spi.PoolContext pool) {
        }

        @Override
        public NetIov allocNetmems(dev.netmem.api.spi.PoolContext pool) {
            NetIov n = area.niov(0);
            pool.setPagePool(n);
            pool.placeInCache(n);
            pool.placeInCache(n);
            return n;
        }

        @Override
        public boolean releaseNetmem(dev.netmem.api.spi.PoolContext pool, NetIov netmem) {
            return false;
        }

        @Override
        public void destroy(dev.netmem.api.spi.PoolContext pool) {
        }

        @Override
        public dev.netmem.api.spi.ProviderInfo fill(NetdevRxQueue rxq) {
            return new dev.netmem.api.spi.ProviderInfo("io-uring", 0);
        }

        @Override
        public void uninstall(NetdevRxQueue rxq) {
        }
    }

    private record Queue(int queueIndex, int ifindex, dev.netmem.api.spi.MemoryProvider memoryProvider)
            implements NetdevRxQueue {
    }

    private static void await(String what, java.util.function.BooleanSupplier cond) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!cond.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(1);
        }
    }

    /** {@code page_pool_destroy} detaches on any non-zero count; the retry stops at a negative one. */
    @Test
    void shouldDetachAndRetryOnceWhenInflightIsNegativeAtDestroy() throws Exception {
        DmaDevice dev = new DmaDevice("neg", true);
        PagePool pool = PagePool.create(PagePoolParams.builder().queue(new Queue(0, 7001,
                        new DoublePlacingProvider())).device(dev).maxLen(NetIov.PAGE_SIZE)
                .flags(PagePoolParams.PP_FLAG_DMA_MAP | PagePoolParams.PP_FLAG_DMA_SYNC_DEV
                        | PagePoolParams.PP_FLAG_ALLOW_UNREADABLE_NETMEM)
                .releaseRetry(Duration.ofMillis(1)).build());
        pool.alloc();
        pool.destroy();
        assertEquals(1, pool.holdCount());
        assertEquals(2, pool.releaseCount());
        assertEquals(PagePool.State.DESTROYING, pool.state(), "a negative count never releases the pool");
        assertTrue(pool.detachTime().isPresent(), "but the pool is detached");
        assertEquals(List.of("ADD " + pool.id(), "CHANGE " + pool.id()), events);
        await("the retry", () -> pool.destroyCount() >= 2);
        Thread.sleep(50);
        assertEquals(2, pool.destroyCount(), "the retry saw a negative count and stopped");
    }

    /** Only pools nobody can see warn: not attached ones, not orphans; loopback going makes them invisible. */
    @Test
    void shouldWarnAboutAStalledShutdownOnlyOnceThePoolsNetdevIsGone() throws Exception {
        PagePool pool = PagePool.create(PagePoolParams.builder().queue(new Queue(0, 7002, null))
                .hostPages(new TestPages(8, 1, 0, false))
                .releaseRetry(Duration.ofMillis(1)).stallWarn(Duration.ofMillis(1)).build());
        NetIov n = pool.alloc();
        assertEquals(PagePool.Visibility.NORMAL, pool.visibility());
        pool.destroy();
        await("retries", () -> pool.destroyCount() >= 20);
        assertEquals(0, pool.stallWarnings(), "a pool its netdev still lists is visible: no warning");

        assertEquals(List.of(pool), PagePool.unregisterNetdev(7002));
        assertEquals(PagePool.Visibility.ORPHANED, pool.visibility());
        assertEquals(List.of("ADD " + pool.id(), "CHANGE " + pool.id(), "CHANGE " + pool.id()), events,
                "orphaning sends CHANGE");
        long passes = pool.destroyCount();
        await("retries", () -> pool.destroyCount() >= passes + 20);
        assertEquals(0, pool.stallWarnings(), "an orphan is still visible (on loopback): no warning");

        assertEquals(List.of(pool), PagePool.unregisterNetdev(PagePool.LOOPBACK_IFINDEX));
        assertEquals(PagePool.Visibility.INVISIBLE, pool.visibility());
        await("a stall warning", () -> pool.stallWarnings() >= 1);
        pool.putFullPage(n, false);
        assertEquals(PagePool.State.RELEASED, pool.state());
        assertEquals(List.of("ADD " + pool.id(), "CHANGE " + pool.id(), "CHANGE " + pool.id(), "DEL " + pool.id()),
                events, "wiping loopback notifies nobody");
    }

    @Test
    void shouldHandOutU32PoolIdsCyclicallyFromOne() {
        int saved = PagePool.nextIdForTest(Integer.MAX_VALUE);
        try {
            PagePool a = pool(new TestPages(8));
            PagePool b = pool(new TestPages(8));
            assertEquals(Integer.MAX_VALUE, a.id());
            assertEquals("2147483648", b.idString(), "past 2^31 - 1 the id goes on as a u32");
            assertEquals(b, PagePool.byId(b.id()).orElseThrow());
            PagePool.nextIdForTest(-1);
            PagePool c = pool(new TestPages(8));
            PagePool d = pool(new TestPages(8));
            assertEquals("4294967295", c.idString());
            assertTrue(d.id() >= 1, "0xffffffff wraps to 1, never 0: " + d.idString());
            for (PagePool p : List.of(a, b, c, d)) {
                p.destroy();
            }
        } finally {
            PagePool.nextIdForTest(saved);
        }
    }

    /**
     * netdev->page_pools is a list, newest at the head, not a sort: across the u32 wrap the pool with
     * id 1 stays ahead of the one with 0xffffffff; a destroyed pool leaves its list; an unregistering
     * netdev's list is spliced onto loopback ahead of older orphans; wiping loopback empties it.
     */
    @Test
    void shouldKeepAPerNetdevPoolListNewestFirstAcrossTheIdWrapAndUnlinkOnDestroyAndOrphaning() {
        int saved = PagePool.nextIdForTest(-1);
        List<PagePool> made = new ArrayList<>();
        try {
            PagePool a = PagePool.create(PagePoolParams.builder().queue(new Queue(0, 7101, null))
                    .hostPages(new TestPages(8)).build());
            PagePool b = PagePool.create(PagePoolParams.builder().queue(new Queue(1, 7101, null))
                    .hostPages(new TestPages(8)).build());
            PagePool c = PagePool.create(PagePoolParams.builder().queue(new Queue(0, 7102, null))
                    .hostPages(new TestPages(8)).build());
            PagePool x = PagePool.create(PagePoolParams.builder().queue(new Queue(2, 7101, null))
                    .hostPages(new TestPages(8)).build());
            made.addAll(List.of(a, b, c, x));
            assertEquals("4294967295", a.idString());
            assertEquals(List.of(x, b, a), PagePool.netdevPools(7101), "hlist_add_head, whatever the ids");
            assertEquals(List.of(c), PagePool.netdevPools(7102));

            x.destroy();
            assertEquals(List.of(b, a), PagePool.netdevPools(7101), "page_pool_unlist: off its netdev's list");

            NetIov held = b.alloc();
            b.destroy(); // stays listed while a buffer is out
            assertEquals(List.of(b, a), PagePool.netdevPools(7101));
            assertEquals(List.of(c), PagePool.unregisterNetdev(7102));
            assertEquals(List.of(b, a), PagePool.unregisterNetdev(7101));
            assertEquals(List.of(), PagePool.netdevPools(7101));
            List<PagePool> lo = PagePool.netdevPools(PagePool.LOOPBACK_IFINDEX);
            assertEquals(List.of(b, a, c), lo.stream().filter(made::contains).toList(),
                    "the latest netdev's list spliced ahead of the older orphans");
            List<PagePool> dump = PagePool.netdevPoolsDump();
            assertEquals(List.of(b, a, c), dump.stream().filter(made::contains).toList());

            b.putFullPage(held, false);
            assertEquals(PagePool.State.RELEASED, b.state());
            assertFalse(PagePool.netdevPools(PagePool.LOOPBACK_IFINDEX).contains(b), "an orphan unlists too");
            assertEquals(List.of(a, c), PagePool.unregisterNetdev(PagePool.LOOPBACK_IFINDEX).stream()
                    .filter(made::contains).toList());
            assertEquals(List.of(), PagePool.netdevPools(PagePool.LOOPBACK_IFINDEX), "wiped");
            assertEquals(PagePool.Visibility.INVISIBLE, a.visibility());
        } finally {
            PagePool.nextIdForTest(saved);
            for (PagePool p : made) {
                if (p.state() == PagePool.State.ACTIVE) {
                    p.destroy();
                }
            }
        }
    }

    @Test
    void shouldRefuseToDestroyWhileItsNapiRunsElsewhere() throws Exception {
        Napi napi = new Napi("rx-busy");
        PagePool pool = PagePool.create(PagePoolParams.builder().napi(napi).hostPages(new TestPages(8)).build());
        CountDownLatch scheduled = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        Thread t = new Thread(() -> {
            napi.schedule();
            scheduled.countDown();
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            napi.complete();
        }, "napi-thread");
        t.start();
        assertTrue(scheduled.await(5, TimeUnit.SECONDS));
        try {
            IllegalStateException e = assertThrows(IllegalStateException.class, pool::destroy);
            assertEquals("page pool " + pool.id() + ": " + napi + " is running on thread napi-thread; stop it "
                    + "before destroying the pool", e.getMessage());
            assertEquals(PagePool.State.ACTIVE, pool.state());
        } finally {
            release.countDown();
            t.join(5000);
        }
        pool.destroy();
        assertEquals(PagePool.State.RELEASED, pool.state());
    }

    @Test
    void shouldReleaseOutstandingFragsAfterDestroy() {
        TestPages pages = new TestPages(8, 1, 0, false);
        PagePool pool = pool(pages);
        NetIov p = pool.allocFrag(512);
        pool.allocFrag(512);
        pool.destroy();
        assertEquals(PagePool.State.DESTROYING, pool.state());
        assertEquals(2, p.ppRefCount(), "the bias was drained; two frags remain");
        pool.putNetmem(p, -1, false);
        assertEquals(PagePool.State.DESTROYING, pool.state());
        pool.putNetmem(p, -1, false);
        assertEquals(PagePool.State.RELEASED, pool.state());
        assertEquals(8, pages.freePages());
    }

    @Test
    void shouldWarnWhileShutdownStallsAndStopAfterRelease() throws Exception {
        PagePool pool = PagePool.create(PagePoolParams.builder().hostPages(new TestPages(8))
                .releaseRetry(Duration.ofMillis(10)).stallWarn(Duration.ofMillis(30)).build());
        NetIov n = pool.alloc();
        pool.destroy();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (pool.stallWarnings() < 2 && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertTrue(pool.stallWarnings() >= 2, "warned " + pool.stallWarnings() + " times");
        pool.putFullPage(n, false);
        assertEquals(PagePool.State.RELEASED, pool.state());
        int warned = pool.stallWarnings();
        Thread.sleep(100);
        assertEquals(warned, pool.stallWarnings(), "no warnings after release");
    }

    @Test
    void shouldNameTheAllocationSitesOfBuffersStillOutWhenLeakTracking() {
        PagePool pool = PagePool.create(PagePoolParams.builder().hostPages(new TestPages(8, 1, 0, false))
                .leakTracking(true).build());
        NetIov a = pool.alloc();
        NetIov b = pool.alloc();
        NetIov c = pool.allocFrag(100);
        pool.destroy();
        java.util.Map<String, Long> sites = pool.outstandingAllocationSites();
        assertEquals(3, sites.size(), sites.toString()); // one site per call line
        String method = getClass().getName() + ".shouldNameTheAllocationSitesOfBuffersStillOutWhenLeakTracking(";
        for (var e : sites.entrySet()) {
            assertTrue(e.getKey().startsWith(method), e.getKey());
            assertEquals(1L, e.getValue());
        }
        pool.putFullPage(a, false);
        pool.putFullPage(b, false);
        pool.putNetmem(c, -1, false);
        assertTrue(pool.outstandingAllocationSites().isEmpty());
        assertEquals(PagePool.State.RELEASED, pool.state());
    }

    @Test
    void shouldTrackNothingWithoutLeakTracking() {
        PagePool pool = pool(new TestPages(8, 1, 0, false));
        pool.alloc();
        assertTrue(pool.outstandingAllocationSites().isEmpty());
    }

    @Test
    void shouldRejectAllocAndSecondDestroyOnADestroyedPool() {
        PagePool pool = pool(new TestPages(8, 1, 0, false));
        NetIov n = pool.alloc();
        pool.destroy();
        assertEquals("page pool " + pool.id() + " is destroyed (DESTROYING)",
                assertThrows(IllegalStateException.class, pool::alloc).getMessage());
        assertEquals("page pool " + pool.id() + " is already destroyed (DESTROYING)",
                assertThrows(IllegalStateException.class, pool::destroy).getMessage());
        pool.putFullPage(n, false);
        assertEquals("page pool " + pool.id() + " is already destroyed (RELEASED)",
                assertThrows(IllegalStateException.class, pool::destroy).getMessage());
        assertEquals("page pool " + pool.id() + " is destroyed (RELEASED)",
                assertThrows(IllegalStateException.class, () -> pool.allocFrag(64)).getMessage());
    }

    @Test
    void shouldReturnEveryBufferExactlyOnceWhenRemotePutsRaceDestroy() throws Exception {
        for (int round = 0; round < 200; round++) {
            TestPages pages = new TestPages(128, 1, 0, false);
            PagePool pool = pool(pages);
            List<NetIov> out = new ArrayList<>();
            for (int i = 0; i < 40; i++) {
                out.add(pool.alloc());
            }
            CountDownLatch go = new CountDownLatch(1);
            CompletableFuture<Void> putter = CompletableFuture.runAsync(() -> {
                try {
                    go.await();
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
                for (NetIov n : out) {
                    pool.putFullPage(n, false);
                }
            });
            go.countDown();
            if ((round & 1) == 0) {
                Thread.onSpinWait();
            }
            pool.destroy();
            putter.get(10, TimeUnit.SECONDS);
            assertEquals(PagePool.State.RELEASED, pool.state(), "round " + round);
            assertEquals(40, pool.releaseCount(), "round " + round);
            assertEquals(128, pages.freePages(), "round " + round);
            assertEquals(1, pages.destroys, "round " + round);
            assertFalse(pool.inflight() < 0);
        }
    }
}
