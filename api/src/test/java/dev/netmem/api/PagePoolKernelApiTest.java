package dev.netmem.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/**
 * Smaller pieces of the kernel API: {@code init_callback} (checklist 5, 13), the
 * {@code page_pool_alloc_netmem} size rule (29), {@code user_cnt} and the disconnect callback
 * (34, 39), the legacy {@code -E2BIG} ring rule (7).
 */
class PagePoolKernelApiTest {

    @Test
    void shouldRunTheInitCallbackOnceForEveryBufferEnteringThePool() {
        Object arg = new Object();
        List<NetIov> seen = new ArrayList<>();
        TestPages pages = new TestPages(8, 1, 0, true);
        PagePool pool = PagePool.create(PagePoolParams.builder().hostPages(pages).initCallback((n, a) -> {
            assertSame(arg, a);
            assertTrue(n.isPp(), "after set_pp_info");
            assertEquals(1, n.ppRefCount());
            seen.add(n);
        }, arg).build());
        NetIov n = pool.alloc(); // the bulk slow path brings all 8 pages in
        assertEquals(8, seen.size());
        assertEquals(pool.holdCount(), seen.size());
        pool.recycleDirect(n);
        pool.alloc(); // from the cache: nothing enters the pool
        assertEquals(8, seen.size());
    }

    @Test
    void shouldGrantAWholeBufferAboveHalfAndTheTailToTheLastFragmentThatFits() {
        PagePool pool = PagePool.create(PagePoolParams.builder().hostPages(new TestPages(8, 1, 0, false)).build());
        NetIov whole = pool.allocNetmem(2049);
        assertEquals(0, pool.lastFragOffset());
        assertEquals(4096, pool.lastAllocSize(), "size * 2 > buffer: the whole buffer");
        assertEquals(1, whole.ppRefCount());
        int[] offsets = new int[4];
        int[] sizes = new int[4];
        NetIov page = null;
        for (int i = 0; i < 4; i++) {
            NetIov n = pool.allocNetmem(1000);
            if (page == null) {
                page = n;
            }
            assertSame(page, n, "fragments of one page");
            offsets[i] = pool.lastFragOffset();
            sizes[i] = pool.lastAllocSize();
        }
        assertEquals(List.of(0, 1024, 2048, 3072), List.of(offsets[0], offsets[1], offsets[2], offsets[3]));
        assertEquals(List.of(1000, 1000, 1000, 1024), List.of(sizes[0], sizes[1], sizes[2], sizes[3]),
                "no fifth fragment would fit: the last takes the rest of the page");
        NetIov next = pool.allocNetmem(1000);
        assertTrue(next != page, "the page was used up");
        assertEquals(0, pool.lastFragOffset());
        assertEquals("frag size must be in [1, 4096]: 0",
                assertThrows(IllegalArgumentException.class, () -> pool.allocNetmem(0)).getMessage());
    }

    @Test
    void shouldDestroyOnlyWhenTheLastUserDoesAndDisconnectOnceBeforeDel() {
        List<String> events = new CopyOnWriteArrayList<>();
        PagePoolListener l = new PagePoolListener() {
            @Override
            public void deleted(PagePool pool) {
                events.add("DEL " + pool.id());
            }
        };
        PagePool.addListener(l);
        try {
            PagePool pool = PagePool.create(PagePoolParams.builder().hostPages(new TestPages(8, 1, 0, false)).build());
            pool.useXdpMem(p -> events.add("disconnect " + p.id()));
            assertEquals(2, pool.userCount());
            NetIov n = pool.alloc();
            pool.destroy(); // the driver's page_pool_destroy: the XDP memory model still holds the pool
            assertEquals(PagePool.State.ACTIVE, pool.state());
            assertEquals(1, pool.userCount());
            pool.recycleDirect(n);
            pool.destroy(); // xdp_rxq_info_unreg: the last user
            assertEquals(PagePool.State.RELEASED, pool.state());
            assertEquals(List.of("disconnect " + pool.id(), "DEL " + pool.id()), events);
            assertEquals("page pool " + pool.id() + " is already destroyed (RELEASED)",
                    assertThrows(IllegalStateException.class, pool::destroy).getMessage());
            assertEquals(0, pool.userCount());
        } finally {
            PagePool.removeListener(l);
        }
    }

    @Test
    void shouldApplyTheLegacyRingRuleOnlyWhenAskedFor() {
        assertEquals(16384, PagePoolParams.builder().poolSize(32768).build().ringSize());
        assertEquals(32768, PagePoolParams.builder().poolSize(32768).legacyRingSize(true).build().ringSize());
        assertEquals(1024, PagePoolParams.builder().legacyRingSize(true).build().ringSize());
        assertEquals("E2BIG: poolSize 32769 > 32768", assertThrows(IllegalArgumentException.class,
                () -> PagePoolParams.builder().poolSize(32769).legacyRingSize(true).build()).getMessage());
        assertEquals(16384, PagePoolParams.builder().poolSize(32769).build().ringSize());
    }
}
