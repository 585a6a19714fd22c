package dev.netmem.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** Every allocation and recycle path of the pool, with exact counter values. */
class PagePoolPathsTest {

    /** Expected stats, in PagePoolStats order. */
    private static PagePoolStats stats(long fast, long slow, long slowHo, long empty, long refill, long waive,
                                       long cached, long cacheFull, long ring, long ringFull, long releasedRefcnt) {
        return new PagePoolStats(fast, slow, slowHo, empty, refill, waive, cached, cacheFull, ring, ringFull,
                releasedRefcnt);
    }

    private static PagePool pool(TestPages pages) {
        return PagePool.create(PagePoolParams.builder().hostPages(pages).build());
    }

    private static void remotePut(PagePool pool, NetIov n) {
        CompletableFuture.runAsync(() -> pool.putFullPage(n, false)).join();
    }

    @Test
    void shouldServeTheFirstAllocFromABulkOf64CountingEmptyAndSlow() {
        TestPages pages = new TestPages(256);
        PagePool pool = pool(pages);
        NetIov n = pool.alloc();
        assertSame(pool, n.pool());
        assertTrue(n.isPp());
        assertEquals(1, n.ppRefCount());
        assertEquals(stats(0, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0), pool.stats());
        assertEquals(63, pool.allocCacheCount());
        assertEquals(64, pool.holdCount());
        assertEquals(64, pool.inflight());
        assertEquals(256 - 64, pages.freePages());
    }

    @Test
    void shouldServeFromTheCacheCountingFast() {
        PagePool pool = pool(new TestPages(256));
        NetIov a = pool.alloc();
        NetIov b = pool.alloc();
        assertNotSame(a, b);
        assertEquals(stats(1, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0), pool.stats());
        assertEquals(62, pool.allocCacheCount());
    }

    @Test
    void shouldCountSlowHighOrderForOrderAboveZero() {
        TestPages pages = new TestPages(4, 1, 2, true);
        PagePool pool = PagePool.create(PagePoolParams.builder().order(2).hostPages(pages).build());
        NetIov n = pool.alloc();
        assertEquals(16384, n.size());
        assertEquals(stats(0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0), pool.stats());
        assertEquals(1, pool.holdCount());
        assertEquals(0, pool.allocCacheCount());
    }

    @Test
    void shouldReturnNullWhenTheProviderIsExhausted() {
        PagePool pool = pool(new TestPages(1, 1, 0, false));
        assertTrue(pool.alloc() != null);
        assertNull(pool.alloc());
        assertEquals(stats(0, 1, 0, 2, 0, 0, 0, 0, 0, 0, 0), pool.stats());
    }

    @Test
    void shouldRecycleDirectIntoTheCacheCountingCached() {
        PagePool pool = pool(new TestPages(256));
        NetIov n = pool.alloc();
        pool.recycleDirect(n);
        assertEquals(64, pool.allocCacheCount());
        assertSame(n, pool.alloc());
        assertEquals(stats(1, 1, 0, 1, 0, 0, 1, 0, 0, 0, 0), pool.stats());
        assertEquals(64, pool.inflight());
    }

    @Test
    void shouldCountCacheFullAndFallBackToTheRing() {
        PagePool pool = pool(new TestPages(256, 1, 0, false));
        List<NetIov> out = new ArrayList<>();
        for (int i = 0; i < 130; i++) {
            out.add(pool.alloc());
        }
        for (NetIov n : out) {
            pool.recycleDirect(n);
        }
        assertEquals(stats(0, 130, 0, 130, 0, 0, 128, 2, 2, 0, 0), pool.stats());
        assertEquals(128, pool.allocCacheCount());
        assertEquals(2, pool.ringCount());
    }

    @Test
    void shouldRecycleRemotePutsIntoTheRingAndRefillFromIt() {
        PagePool pool = pool(new TestPages(256, 1, 0, false));
        NetIov a = pool.alloc();
        NetIov b = pool.alloc();
        remotePut(pool, a);
        remotePut(pool, b);
        assertEquals(2, pool.ringCount());
        NetIov first = pool.alloc();
        assertSame(b, first); // the refill pushes a, b on the LIFO cache and pops b
        assertSame(a, pool.alloc());
        assertEquals(stats(1, 2, 0, 2, 1, 0, 0, 0, 2, 0, 0), pool.stats());
    }

    @Test
    void shouldRefillAtMost64FromTheRing() {
        PagePool pool = pool(new TestPages(256, 1, 0, false));
        List<NetIov> out = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            out.add(pool.alloc());
        }
        CompletableFuture.runAsync(() -> out.forEach(n -> pool.putFullPage(n, false))).join();
        pool.alloc();
        assertEquals(63, pool.allocCacheCount());
        assertEquals(36, pool.ringCount());
        assertEquals(1, pool.stats().refill());
    }

    @Test
    void shouldCountRingFullAndReleaseTheBuffer() {
        TestPages pages = new TestPages(8, 1, 0, false);
        PagePool pool = PagePool.create(PagePoolParams.builder().poolSize(2).hostPages(pages).build());
        NetIov a = pool.alloc();
        NetIov b = pool.alloc();
        NetIov c = pool.alloc();
        remotePut(pool, a);
        remotePut(pool, b);
        remotePut(pool, c);
        assertEquals(stats(0, 3, 0, 3, 0, 0, 0, 0, 2, 1, 0), pool.stats());
        assertEquals(1, pool.releaseCount());
        assertEquals(2, pool.inflight());
        assertEquals(6, pages.freePages());
        assertNull(c.pool(), "a released buffer loses its pool");
        assertEquals(0, c.ppMagic());
    }

    @Test
    void shouldReleasePagesWithExtraPageRefsCountingReleasedRefcnt() {
        TestPages pages = new TestPages(8, 1, 0, false);
        PagePool pool = pool(pages);
        NetIov n = pool.alloc();
        n.getPage();
        pool.recycleDirect(n);
        assertEquals(stats(0, 1, 0, 1, 0, 0, 0, 0, 0, 0, 1), pool.stats());
        assertEquals(1, pool.releaseCount());
        assertEquals(7, pages.freePages(), "the other page reference still holds the page");
        n.putPage();
        assertEquals(8, pages.freePages());
    }

    @Test
    void shouldWaiveRingBuffersFromAnotherNode() {
        TestPages pages = new TestPages(8, 2, 0, false);
        PagePool pool = PagePool.create(PagePoolParams.builder().nid(0).hostPages(pages).build());
        NetIov a = pool.alloc();
        NetIov b = pool.alloc();
        assertEquals(0, a.nid());
        remotePut(pool, a);
        remotePut(pool, b);
        pool.updateNid(1);
        NetIov c = pool.alloc();
        assertEquals(1, c.nid());
        assertEquals(stats(0, 3, 0, 2, 0, 1, 0, 0, 2, 0, 0), pool.stats()); // the ring was not empty: no `empty`
        assertEquals(1, pool.releaseCount());
        assertEquals(1, pool.ringCount(), "the refill stops at the first foreign-node buffer");
    }

    @Test
    void shouldFlushTheCacheOnUpdateNid() {
        PagePool pool = pool(new TestPages(256));
        pool.alloc();
        assertEquals(63, pool.allocCacheCount());
        pool.updateNid(0);
        assertEquals(0, pool.allocCacheCount());
        assertEquals(63, pool.releaseCount());
    }

    @Test
    void shouldRecyclePutsOnTheNapiThreadIntoTheCacheAndOthersIntoTheRing() {
        Napi napi = new Napi("rx-0");
        PagePool pool = PagePool.create(PagePoolParams.builder().napi(napi).hostPages(new TestPages(256, 1, 0, false))
                .build());
        napi.schedule();
        try {
            NetIov local = pool.alloc();
            NetIov remote = pool.alloc();
            pool.putFullPage(local, false); // allowDirect=false, but this thread runs the pool's NAPI
            remotePut(pool, remote);
            assertEquals(1, pool.stats().cached());
            assertEquals(1, pool.stats().ring());
        } finally {
            napi.complete();
        }
        NetIov x = CompletableFuture.supplyAsync(() -> {
            napi.schedule();
            try {
                return pool.alloc();
            } finally {
                napi.complete();
            }
        }).join();
        pool.putFullPage(x, false); // NAPI not running here any more: ring
        assertEquals(2, pool.stats().ring());
    }

    @Test
    void shouldNotRecycleDirectlyWhenTheNapiIsNotScheduled() {
        Napi napi = new Napi("rx-1");
        PagePool pool = PagePool.create(PagePoolParams.builder().napi(napi).hostPages(new TestPages(8, 1, 0, false))
                .build());
        napi.schedule();
        NetIov n = pool.alloc();
        napi.complete();
        pool.putFullPage(n, false);
        assertEquals(0, pool.stats().cached());
        assertEquals(1, pool.stats().ring());
    }

    @Test
    void shouldStillRecycleWithStatsOff() {
        TestPages pages = new TestPages(256);
        PagePool pool = PagePool.create(PagePoolParams.builder().stats(false).hostPages(pages).build());
        NetIov n = pool.alloc();
        pool.recycleDirect(n);
        assertEquals(64, pool.allocCacheCount());
        assertEquals("page pool statistics are disabled (stats=false)",
                assertThrows(UnsupportedOperationException.class, pool::stats).getMessage());
        pool.destroy();
        assertEquals(256, pages.freePages());
    }

    @Test
    void shouldMapOnceOnEntryUnmapOnceOnExitAndSyncMinOfSizeAndMaxLen() {
        DmaDevice dev = new DmaDevice("nic0", false);
        TestPages pages = new TestPages(256);
        PagePool pool = PagePool.create(PagePoolParams.builder().hostPages(pages).device(dev).maxLen(2048)
                .offset(128).flags(PagePoolParams.PP_FLAG_DMA_MAP | PagePoolParams.PP_FLAG_DMA_SYNC_DEV).build());
        NetIov n = pool.alloc();
        assertEquals(64, dev.maps());
        assertEquals(64, dev.liveMappings());
        assertTrue(dev.isMapped(n.dmaAddr()));
        assertEquals(64L * 2048, dev.bytesSynced(), "each new buffer is synced over maxLen after mapping");
        pool.putNetmem(n, 100, true);
        assertEquals(64L * 2048 + 100, dev.bytesSynced());
        n = pool.alloc();
        pool.putNetmem(n, 100_000, true);
        assertEquals(64L * 2048 + 100 + 2048, dev.bytesSynced());
        n = pool.alloc();
        pool.putNetmem(n, -1, true);
        assertEquals(64L * 2048 + 100 + 2048 * 2, dev.bytesSynced());
        pool.destroy();
        assertEquals(64, dev.unmaps());
        assertEquals(0, dev.liveMappings());
        assertEquals(0, n.dmaAddr());
    }

    @Test
    void shouldNotSyncOnACoherentDevice() {
        DmaDevice dev = new DmaDevice("nic0", true);
        PagePool pool = PagePool.create(PagePoolParams.builder().hostPages(new TestPages(64)).device(dev).maxLen(4096)
                .flags(PagePoolParams.PP_FLAG_DMA_MAP | PagePoolParams.PP_FLAG_DMA_SYNC_DEV).build());
        pool.recycleDirect(pool.alloc());
        assertEquals(0, dev.bytesSynced());
        assertEquals(64, dev.maps());
    }

    @Test
    void shouldSkipPagesWhoseMappingFails() {
        DmaDevice dev = new DmaDevice("nic0", true);
        TestPages pages = new TestPages(256);
        PagePool pool = PagePool.create(PagePoolParams.builder().hostPages(pages).device(dev)
                .flags(PagePoolParams.PP_FLAG_DMA_MAP).build());
        dev.failNextMaps(2);
        pool.alloc();
        assertEquals(62, pool.holdCount());
        assertEquals(2, dev.mapFailures());
        assertEquals(256 - 62, pages.freePages());
    }

    @Test
    void shouldBulkPutIntoTheRingWithOneClaimOrIntoTheCacheWhenNapiLocal() {
        Napi napi = new Napi("rx-bulk");
        PagePool pool = PagePool.create(PagePoolParams.builder().napi(napi).hostPages(new TestPages(256, 1, 0, false))
                .build());
        napi.schedule();
        NetIov[] batch = new NetIov[10];
        for (int i = 0; i < 10; i++) {
            batch[i] = pool.alloc();
        }
        napi.complete();
        CompletableFuture.runAsync(() -> PagePool.putBulk(batch, 10)).join();
        assertEquals(10, pool.stats().ring());
        napi.schedule();
        try {
            for (int i = 0; i < 10; i++) {
                batch[i] = pool.alloc();
            }
            PagePool.putBulk(batch, 10);
            assertEquals(10, pool.stats().cached());
        } finally {
            napi.complete();
        }
    }

    @Test
    void shouldBulkPutBuffersOfSeveralPoolsEachToItsOwnPool() {
        PagePool p1 = pool(new TestPages(64, 1, 0, false));
        PagePool p2 = pool(new TestPages(64, 1, 0, false));
        NetIov[] batch = {p1.alloc(), p2.alloc(), p1.alloc(), p2.alloc(), p2.alloc()};
        PagePool.putBulk(batch, batch.length);
        assertEquals(2, p1.stats().ring());
        assertEquals(3, p2.stats().ring());
    }

    @Test
    void shouldBulkPutCountRingFullOnceAndReleaseTheRest() {
        TestPages pages = new TestPages(16, 1, 0, false);
        PagePool pool = PagePool.create(PagePoolParams.builder().poolSize(4).hostPages(pages).build());
        NetIov[] batch = new NetIov[6];
        for (int i = 0; i < 6; i++) {
            batch[i] = pool.alloc();
        }
        PagePool.putBulk(batch, 6);
        assertEquals(4, pool.stats().ring());
        assertEquals(1, pool.stats().ringFull());
        assertEquals(2, pool.releaseCount());
    }

    @Test
    void shouldBulkPutTwoFragsOfOnePageInOneCall() {
        PagePool pool = pool(new TestPages(8, 1, 0, false));
        NetIov p = pool.allocFrag(2048);
        pool.allocFrag(2048);
        pool.allocFrag(2048); // does not fit: drains p's bias, leaving the two frag references
        PagePool.putBulk(new NetIov[] {p, p}, 2);
        assertEquals(1, pool.stats().ring(), "the second entry dropped the last reference");
        assertEquals(1, p.ppRefCount());
    }

    @Test
    void shouldRecycleOnlyOnTheLastReference() {
        PagePool pool = pool(new TestPages(8, 1, 0, false));
        NetIov n = pool.alloc();
        PagePool.refNetmem(n);
        assertEquals(2, n.ppRefCount());
        pool.putFullPage(n, false);
        assertEquals(1, n.ppRefCount());
        assertEquals(0, pool.stats().ring());
        pool.putFullPage(n, false);
        assertEquals(1, pool.stats().ring());
        assertEquals(1, n.ppRefCount(), "at rest a buffer has pp_ref_count 1");
    }

    @Test
    void shouldSplitAPageIntoCacheAlignedFragsSharingOneRefcount() {
        PagePool pool = pool(new TestPages(8, 1, 0, false));
        NetIov p = pool.allocFrag(1000);
        assertEquals(0, pool.lastFragOffset());
        assertSame(p, pool.allocFrag(1000));
        assertEquals(1024, pool.lastFragOffset());
        assertSame(p, pool.allocFrag(1000));
        assertSame(p, pool.allocFrag(1000));
        assertEquals(3072, pool.lastFragOffset());
        assertEquals(PagePool.BIAS_MAX, p.ppRefCount());
        NetIov q = pool.allocFrag(1000); // does not fit: p's users still hold frags, so a new page
        assertNotSame(p, q);
        assertEquals(0, pool.lastFragOffset());
        for (int i = 0; i < 3; i++) {
            pool.putNetmem(p, -1, false);
        }
        assertEquals(0, pool.stats().ring());
        pool.putNetmem(p, -1, false); // the last frag of the drained page recycles it
        assertEquals(1, pool.stats().ring());
        assertEquals(1, p.ppRefCount());
    }

    @Test
    void shouldReuseTheFragPageDirectlyWhenEveryFragCameBack() {
        PagePool pool = pool(new TestPages(8, 1, 0, false));
        NetIov p = pool.allocFrag(2048);
        pool.allocFrag(2048);
        pool.putNetmem(p, -1, false);
        pool.putNetmem(p, -1, false);
        assertSame(p, pool.allocFrag(64));
        assertEquals(0, pool.lastFragOffset());
        PagePoolStats s = pool.stats();
        assertEquals(1, s.cached());
        assertEquals(1, s.fast());
        assertEquals(1, s.slow());
    }

    @Test
    void shouldRejectFragSizesOutsideTheBuffer() {
        PagePool pool = pool(new TestPages(8));
        assertEquals("frag size must be in [1, 4096]: 0",
                assertThrows(IllegalArgumentException.class, () -> pool.allocFrag(0)).getMessage());
        assertEquals("frag size must be in [1, 4096]: 4097",
                assertThrows(IllegalArgumentException.class, () -> pool.allocFrag(4097)).getMessage());
        assertEquals(0, pool.holdCount());
    }
}
