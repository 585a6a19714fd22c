package dev.netmem.providers.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.netmem.api.DmaDevice;
import dev.netmem.api.NetIov;
import dev.netmem.api.NetIovType;
import dev.netmem.api.PagePool;
import dev.netmem.api.PagePoolParams;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

class HostPageProviderTest {

    @Test
    void shouldServeReadablePagesFromSlabsInBulksOf64() {
        try (HostPageProvider host = HostPageProvider.create(8L << 20)) {
            PagePool pool = PagePool.create(PagePoolParams.builder().hostPages(host).build());
            NetIov n = pool.alloc();
            assertEquals(NetIovType.PAGE, n.type());
            assertTrue(n.type().readable());
            assertEquals(4096, n.segment().byteSize());
            n.segment().set(java.lang.foreign.ValueLayout.JAVA_LONG, 0, 0x1122334455667788L);
            assertEquals(0x1122334455667788L, n.segment().get(java.lang.foreign.ValueLayout.JAVA_LONG, 0));
            assertEquals(64, host.pagesInUse());
            assertEquals(HostPageProvider.SLAB_BYTES, host.reservedBytes());
            assertEquals(1, pool.stats().slow());
            pool.recycleDirect(n);
            pool.destroy();
            assertEquals(0, host.pagesInUse());
            assertEquals(0, host.poolCount());
        }
    }

    @Test
    void shouldServeHighOrderPagesOneAtATime() {
        try (HostPageProvider host = HostPageProvider.create(8L << 20)) {
            PagePool pool = PagePool.create(PagePoolParams.builder().order(3).hostPages(host).build());
            NetIov n = pool.alloc();
            assertEquals(4096 << 3, n.size());
            assertEquals(1, host.pagesInUse());
            assertEquals(1, pool.stats().slowHighOrder());
            pool.putFullPage(n, false);
            pool.destroy();
            assertEquals(0, host.pagesInUse());
        }
    }

    @Test
    void shouldRecordTheNodeOfEveryPageAndWaiveForeignNodeBuffers() {
        try (HostPageProvider host = HostPageProvider.create(16L << 20, 2)) {
            PagePool pool = PagePool.create(PagePoolParams.builder().nid(0).hostPages(host).build());
            List<NetIov> out = new ArrayList<>();
            for (int i = 0; i < 64; i++) {
                out.add(pool.alloc());
            }
            assertEquals(0, out.get(0).nid());
            CompletableFuture.runAsync(() -> out.forEach(n -> pool.putFullPage(n, false))).join();
            pool.updateNid(1);
            NetIov n = pool.alloc();
            assertEquals(1, n.nid());
            assertEquals(1, pool.stats().waive());
            pool.recycleDirect(n);
            pool.destroy();
            assertEquals(0, host.pagesInUse());
        }
    }

    @Test
    void shouldServeANumaNoNodePoolFromTheLocalNode() {
        try (HostPageProvider host = HostPageProvider.create(16L << 20, 2)) {
            PagePool pool = PagePool.create(PagePoolParams.builder().nid(NetIov.NUMA_NO_NODE).hostPages(host).build());
            NetIov n = pool.alloc();
            assertEquals(PagePool.LOCAL_NODE, n.nid(), "alloc_pages_node(NUMA_NO_NODE) = numa_mem_id()");
            pool.recycleDirect(n);
            pool.destroy();
            assertEquals(0, host.pagesInUse());
        }
    }

    @Test
    void shouldMarkPagesServedFromTheReservesPfmemallocSoThePoolReturnsThem() {
        try (HostPageProvider host = HostPageProvider.create(16L << 20)) {
            PagePool pool = PagePool.create(PagePoolParams.builder().order(1).hostPages(host).build());
            host.serveNextFromReserves(1);
            NetIov reserve = pool.alloc();
            NetIov normal = pool.alloc();
            assertTrue(reserve.isPfmemalloc());
            assertFalse(normal.isPfmemalloc());
            pool.recycleDirect(reserve);
            pool.recycleDirect(normal);
            assertEquals(1, pool.stats().releasedRefcnt());
            assertEquals(1, pool.stats().cached());
            assertEquals(1, host.pagesInUse(), "the reserve page went back to the allocator");
            NetIov again = pool.alloc();
            assertSame(normal, again);
            NetIov fresh = pool.alloc();
            assertFalse(fresh.isPfmemalloc(), "a page served normally is not pfmemalloc");
            pool.recycleDirect(again);
            pool.recycleDirect(fresh);
            pool.destroy();
            assertEquals(0, host.pagesInUse());
            assertThrows(IllegalArgumentException.class, () -> host.serveNextFromReserves(-1));
        }
    }

    @Test
    void shouldFailAllocationPastItsMemoryLimitAndRecoverWhenPagesComeBack() {
        try (HostPageProvider host = HostPageProvider.create(16 * 4096L)) {
            PagePool pool = PagePool.create(PagePoolParams.builder().poolSize(4).hostPages(host).build());
            List<NetIov> out = new ArrayList<>();
            NetIov n;
            while ((n = pool.alloc()) != null) {
                out.add(n);
            }
            assertEquals(16, out.size());
            assertEquals(16 * 4096L, host.reservedBytes());
            pool.putFullPage(out.remove(0), false);
            NetIov again = pool.alloc();
            assertNotNull(again, "a recycled buffer is served again from the ring");
            out.add(again);
            out.forEach(x -> pool.putFullPage(x, false));
            pool.destroy();
        }
    }

    @Test
    void shouldInjectAllocationFailures() {
        try (HostPageProvider host = HostPageProvider.create(8L << 20)) {
            PagePool pool = PagePool.create(PagePoolParams.builder().hostPages(host).build());
            host.failNextAllocs(1);
            assertNull(pool.alloc());
            NetIov n = pool.alloc();
            assertNotNull(n);
            pool.recycleDirect(n);
            pool.destroy();
        }
    }

    @Test
    void shouldMapEveryPageOnceThroughThePool() {
        DmaDevice dev = new DmaDevice("nic", true);
        try (HostPageProvider host = HostPageProvider.create(8L << 20)) {
            PagePool pool = PagePool.create(PagePoolParams.builder().hostPages(host).device(dev)
                    .flags(PagePoolParams.PP_FLAG_DMA_MAP).build());
            pool.recycleDirect(pool.alloc());
            assertEquals(64, dev.maps());
            pool.destroy();
            assertEquals(64, dev.unmaps());
            assertEquals(0, dev.liveMappings());
        }
    }

    @Test
    void shouldRefuseToCloseWhilePagesAreOut() {
        HostPageProvider host = HostPageProvider.create(8L << 20);
        PagePool pool = PagePool.create(PagePoolParams.builder().hostPages(host).build());
        NetIov n = pool.alloc();
        assertEquals("host page provider still in use: 64 page(s), 1 pool(s)",
                assertThrows(IllegalStateException.class, host::close).getMessage());
        pool.destroy();
        pool.putFullPage(n, false);
        host.close();
        assertEquals("host page provider is closed", assertThrows(IllegalStateException.class,
                () -> PagePool.create(PagePoolParams.builder().hostPages(host).build())).getMessage());
    }

    @Test
    void shouldRejectBadConfiguration() {
        assertEquals("maxBytes must be >= 4096: 100",
                assertThrows(IllegalArgumentException.class, () -> HostPageProvider.create(100)).getMessage());
        assertEquals("nodeCount must be in [1, 64]: 0",
                assertThrows(IllegalArgumentException.class, () -> HostPageProvider.create(1 << 20, 0)).getMessage());
        try (HostPageProvider host = HostPageProvider.create(1 << 20)) {
            assertEquals("nid 1 out of range: the host provider has 1 node(s)",
                    assertThrows(IllegalArgumentException.class,
                            () -> PagePool.create(PagePoolParams.builder().nid(1).hostPages(host).build()))
                            .getMessage());
        }
    }
}
