package dev.netmem.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * The page pool's finer kernel rules: net_iov typed refusals, pfmemalloc pages, bulk puts in
 * {@code XDP_BULK_QUEUE_SIZE} batches, {@code dma_sync_for_cpu}, and what {@code NUMA_NO_NODE}
 * resolves to.
 */
class PagePoolFidelityTest {
    private static NetIov netIov(NetIovType type) {
        NetIovArea area = new NetIovArea(Arena.ofAuto().allocate(2L * NetIov.PAGE_SIZE, NetIov.PAGE_SIZE), 0, type,
                0, 0, NetIov.NUMA_NO_NODE, page -> {
                    throw new AssertionError("a net_iov is never freed as a page: " + page);
                });
        return area.niov(1);
    }

    private static void remotePut(PagePool pool, NetIov n) {
        CompletableFuture.runAsync(() -> pool.putFullPage(n, false)).join();
    }

    @Test
    void shouldRefusePageOnlyOperationsOnANetIov() {
        for (NetIovType type : new NetIovType[] {NetIovType.DMABUF, NetIovType.IOURING}) {
            NetIov niov = netIov(type);
            String name = "NetIov[" + type + " area=" + niov.owner().id() + " idx=1]";
            UnsupportedOperationException get = assertThrows(UnsupportedOperationException.class, niov::getPage);
            assertEquals("a net_iov has no page refcount: " + name, get.getMessage());
            UnsupportedOperationException put = assertThrows(UnsupportedOperationException.class, niov::putPage);
            assertEquals("a net_iov has no page refcount: " + name, put.getMessage());
            UnsupportedOperationException pf = assertThrows(UnsupportedOperationException.class,
                    () -> niov.setPfmemalloc(true));
            assertEquals("a net_iov has no page refcount: " + name, pf.getMessage());
            assertEquals(1, niov.pageRefCount(), "a refused op leaves the (fixed) page refcount alone");
            assertFalse(niov.isPfmemalloc(), "a net_iov is never pfmemalloc");
            assertEquals(NetIov.NUMA_NO_NODE, niov.nid());
        }
    }

    @Test
    void shouldReleaseAPfmemallocPageOnItsLastPutInsteadOfRecyclingIt() {
        TestPages pages = new TestPages(8, 1, 0, false);
        pages.fromReserves = 3;
        PagePool pool = PagePool.create(PagePoolParams.builder().hostPages(pages).build());
        NetIov direct = pool.alloc();
        NetIov remote = pool.alloc();
        NetIov bulk = pool.alloc();
        NetIov normal = pool.alloc();
        assertTrue(direct.isPfmemalloc() && remote.isPfmemalloc() && bulk.isPfmemalloc());
        assertFalse(normal.isPfmemalloc());
        assertEquals(1, direct.pageRefCount(), "only pfmemalloc stands in the way of recycling");
        pool.recycleDirect(direct);
        remotePut(pool, remote);
        PagePool.putBulk(new NetIov[] {bulk}, 1);
        pool.recycleDirect(normal);
        PagePoolStats s = pool.stats();
        assertEquals(3, s.releasedRefcnt());
        assertEquals(1, s.cached());
        assertEquals(0, s.ring());
        assertEquals(3, pool.releaseCount());
        assertEquals(8 - 4 + 3, pages.freePages(), "the three reserve pages went back to the allocator");
        assertEquals(1, pool.allocCacheCount());
        pool.destroy();
    }

    @Test
    void shouldRefuseToMarkAPagePfmemallocWhileAPoolOwnsIt() {
        TestPages pages = new TestPages(2, 1, 0, false);
        PagePool pool = PagePool.create(PagePoolParams.builder().hostPages(pages).build());
        NetIov page = pool.alloc();
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> page.setPfmemalloc(true));
        assertEquals("pfmemalloc set on a page a pool owns: " + page, e.getMessage());
        assertFalse(page.isPfmemalloc());
        pool.recycleDirect(page);
        assertEquals(1, pool.stats().cached());
    }

    @Test
    void shouldBulkPutInBatchesOfSixteenEachWithItsOwnRingClaim() {
        assertEquals(16, PagePool.XDP_BULK_QUEUE_SIZE);
        TestPages pages = new TestPages(64, 1, 0, false);
        PagePool pool = PagePool.create(PagePoolParams.builder().poolSize(4).hostPages(pages).build());
        NetIov[] batch = new NetIov[40];
        for (int i = 0; i < batch.length; i++) {
            batch[i] = pool.alloc();
        }
        CompletableFuture.runAsync(() -> PagePool.putBulk(batch, 40)).join();
        // batches of 16, 16 and 8: the first fills the 4-entry ring, each finds it full once
        assertEquals(4, pool.stats().ring());
        assertEquals(3, pool.stats().ringFull());
        assertEquals(36, pool.releaseCount());
    }

    @Test
    void shouldBulkPutFragsOfOnePageSpreadOverTwoBatches() {
        TestPages pages = new TestPages(64, 1, 0, false);
        PagePool pool = PagePool.create(PagePoolParams.builder().hostPages(pages).build());
        NetIov[] batch = new NetIov[17];
        for (int i = 0; i < 16; i++) {
            batch[i] = pool.alloc();
        }
        PagePool.fragmentNetmem(batch[0], 2);
        batch[16] = batch[0]; // its second reference is dropped in the second batch
        PagePool.putBulk(batch, 17); // no NAPI: every recycle goes to the ring
        assertEquals(16, pool.stats().ring());
        assertEquals(16, pool.ringCount());
        assertFalse(batch[0].isAllocated());
    }

    @Test
    void shouldResolveNumaNoNodeToTheLocalNodeWhenRefilling() {
        TestPages pages = new TestPages(4, 2, 0, false);
        PagePool pool = PagePool.create(PagePoolParams.builder().nid(1).hostPages(pages).build());
        NetIov remoteNode = pool.alloc();
        assertEquals(1, remoteNode.nid());
        pool.updateNid(NetIov.NUMA_NO_NODE);
        NetIov local = pool.alloc();
        assertEquals(PagePool.LOCAL_NODE, local.nid());
        remotePut(pool, local);
        remotePut(pool, remoteNode);
        // the refill keeps the local-node page and waives the node-1 one: NUMA_NO_NODE is not "any node"
        assertSame(local, pool.alloc());
        assertEquals(1, pool.stats().waive());
        assertEquals(1, pool.releaseCount());
        assertEquals(0, pool.ringCount());
        assertEquals(0, pool.allocCacheCount());
    }

    @Test
    void shouldSyncForTheCpuThroughTheHelperUnlessTurnedOff() {
        DmaDevice device = new DmaDevice("nc", false);
        PagePool pool = PagePool.create(PagePoolParams.builder().device(device).flags(PagePoolParams.PP_FLAG_DMA_MAP)
                .offset(64).hostPages(new TestPages(4, 1, 0, false)).build());
        assertTrue(pool.dmaSyncForCpu(), "page_pool_init turns dma_sync_for_cpu on");
        NetIov page = pool.alloc();
        pool.dmaSyncNetmemForCpu(page, 0, 1500);
        assertEquals(1, device.cpuSyncs());
        pool.recycleDirect(page);

        DmaDevice coherent = new DmaDevice("c", true);
        PagePool onCoherent = PagePool.create(PagePoolParams.builder().device(coherent)
                .flags(PagePoolParams.PP_FLAG_DMA_MAP).hostPages(new TestPages(4, 1, 0, false)).build());
        NetIov p2 = onCoherent.alloc();
        onCoherent.dmaSyncNetmemForCpu(p2, 0, 1500);
        assertEquals(0, coherent.cpuSyncs(), "a coherent device needs no sync");
    }

    @Test
    void shouldSkipTheCpuSyncWhenTheProviderTurnedItOff() {
        DmaDevice device = new DmaDevice("nc", false);
        TestPages pages = new TestPages(4, 1, 0, false) {
            @Override
            public synchronized void init(dev.netmem.api.spi.PoolContext pool) {
                super.init(pool);
                pool.disableDmaSyncForCpu();
            }
        };
        PagePool pool = PagePool.create(PagePoolParams.builder().device(device).flags(PagePoolParams.PP_FLAG_DMA_MAP)
                .hostPages(pages).build());
        assertFalse(pool.dmaSyncForCpu());
        NetIov page = pool.alloc();
        pool.dmaSyncNetmemForCpu(page, 0, 1500);
        assertEquals(0, device.cpuSyncs());
    }
}
