package dev.netmem.api;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class SmokeTest {
    @Test
    void allocPutDestroy() {
        TestPages pages = new TestPages(256);
        PagePool pool = PagePool.create(PagePoolParams.builder().hostPages(pages).build());
        NetIov a = pool.alloc();
        NetIov b = pool.alloc();
        pool.recycleDirect(a);
        pool.putFullPage(b, false);
        assertEquals(64, pool.inflight()); // held by the pool (cache) counts as in flight, as in the kernel
        pool.destroy();
        assertEquals(PagePool.State.RELEASED, pool.state());
        assertEquals(256, pages.freePages());
        System.out.println(pool.stats());
    }
}
