package dev.netmem.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.lang.foreign.Arena;
import org.junit.jupiter.api.Test;

/** Bad input gets a precise exception and leaves every pool consistent. */
class PagePoolBadInputTest {

    private static PagePool pool(TestPages pages) {
        return PagePool.create(PagePoolParams.builder().hostPages(pages).build());
    }

    /**
     * An independent tally: the pages the provider has out (counted on its side) are exactly the
     * buffers the test still holds plus those the pool shows in its cache and ring, and the pool's
     * in-flight count agrees. A buffer lost or doubled by the pool breaks the first equation. Then
     * destroying and returning what is out ends RELEASED with every page home.
     */
    private static void assertConsistent(PagePool pool, TestPages pages, NetIov... stillOut) {
        java.util.Set<NetIov> held = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        held.addAll(java.util.List.of(stillOut));
        assertEquals(pages.pagesOut(), held.size() + pool.allocCacheCount() + pool.ringCount(),
                "provider's pages out == held + cache + ring");
        assertEquals(pages.pagesOut(), pool.inflight(), "inflight == provider's pages out");
        pool.destroy();
        for (NetIov n : stillOut) {
            pool.putFullPage(n, false);
        }
        assertEquals(PagePool.State.RELEASED, pool.state());
        assertEquals(pages.pagesPerNode, pages.freePages());
    }

    @Test
    void shouldRejectADoublePut() {
        TestPages pages = new TestPages(8, 1, 0, false);
        PagePool pool = pool(pages);
        NetIov n = pool.alloc();
        pool.putFullPage(n, false);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> pool.putFullPage(n, false));
        assertEquals("double put of " + n + ": it is already back in page pool " + pool.id(), e.getMessage());
        assertEquals(1, pool.stats().ring());
        assertEquals(1, n.ppRefCount());
        assertConsistent(pool, pages);
    }

    @Test
    void shouldRejectADoubleDirectRecycle() {
        TestPages pages = new TestPages(8, 1, 0, false);
        PagePool pool = pool(pages);
        NetIov n = pool.alloc();
        pool.recycleDirect(n);
        assertThrows(IllegalStateException.class, () -> pool.recycleDirect(n));
        assertEquals(1, pool.allocCacheCount());
        assertConsistent(pool, pages);
    }

    @Test
    void shouldRejectAPutToTheWrongPool() {
        TestPages pages1 = new TestPages(8, 1, 0, false);
        TestPages pages2 = new TestPages(8, 1, 0, false);
        PagePool p1 = pool(pages1);
        PagePool p2 = pool(pages2);
        NetIov n = p1.alloc();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> p2.putFullPage(n, false));
        assertEquals(n + " belongs to page pool " + p1.id() + ", not page pool " + p2.id(), e.getMessage());
        assertConsistent(p2, pages2);
        assertConsistent(p1, pages1, n);
    }

    @Test
    void shouldRejectAForeignBuffer() {
        TestPages pages = new TestPages(8, 1, 0, false);
        PagePool pool = pool(pages);
        NetIovArea foreign = new NetIovArea(Arena.ofAuto().allocate(4096, 4096), 0, NetIovType.PAGE, 0, 0, 0,
                p -> { });
        NetIov f = foreign.niov(0);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> pool.putFullPage(f, false));
        assertEquals(f + " is not owned by a page pool (foreign, or already released)", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> PagePool.putBulk(new NetIov[] {f}, 1));
        assertConsistent(pool, pages);
    }

    @Test
    void shouldRejectAPutAfterTheBufferWasReleased() {
        TestPages pages = new TestPages(8, 1, 0, false);
        PagePool pool = pool(pages);
        NetIov n = pool.alloc();
        pool.destroy();
        pool.putFullPage(n, false);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> pool.putFullPage(n, false));
        assertEquals(n + " is not owned by a page pool (foreign, or already released)", e.getMessage());
        assertEquals(1, pool.releaseCount());
        assertEquals(8, pages.freePages());
    }

    @Test
    void shouldRejectTakingAReferenceOnABufferAtRest() {
        TestPages pages = new TestPages(8, 1, 0, false);
        PagePool pool = pool(pages);
        NetIov n = pool.alloc();
        pool.recycleDirect(n);
        assertEquals("cannot take a reference on " + n + ": it is not allocated",
                assertThrows(IllegalStateException.class, () -> PagePool.refNetmem(n)).getMessage());
        assertEquals(1, n.ppRefCount());
        assertConsistent(pool, pages);
    }

    @Test
    void shouldRejectDroppingMoreReferencesThanHeld() {
        TestPages pages = new TestPages(8, 1, 0, false);
        PagePool pool = pool(pages);
        NetIov n = pool.alloc();
        PagePool.refNetmem(n);
        PagePool.refNetmem(n);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> PagePool.unrefNetmem(n, 5));
        assertEquals("pp_ref_count underflow on " + n + ": dropping 5 of 3", e.getMessage());
        assertEquals(3, n.ppRefCount());
        assertEquals(1, PagePool.unrefNetmem(n, 2));
        assertConsistent(pool, pages, n);
    }

    @Test
    void shouldRejectABulkPutWithADuplicateBeforeChangingAnything() {
        TestPages pages = new TestPages(8, 1, 0, false);
        PagePool pool = pool(pages);
        NetIov a = pool.alloc();
        NetIov b = pool.alloc();
        NetIov[] batch = {a, b, a};
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> PagePool.putBulk(batch, 3));
        assertEquals("double put of " + a + ": it appears 2 times in one bulk put but holds 1 reference(s)",
                e.getMessage());
        assertEquals(1, a.ppRefCount());
        assertEquals(0, pool.stats().ring());
        assertConsistent(pool, pages, a, b);
    }

    @Test
    void shouldRejectABulkPutOfABufferAlreadyHomeBeforeChangingAnything() {
        TestPages pages = new TestPages(8, 1, 0, false);
        PagePool pool = pool(pages);
        NetIov a = pool.alloc();
        NetIov b = pool.alloc();
        pool.putFullPage(b, false);
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> PagePool.putBulk(new NetIov[] {a, b}, 2));
        assertEquals("double put of " + b + ": it is already back in page pool " + pool.id(), e.getMessage());
        assertEquals(1, pool.stats().ring());
        assertConsistent(pool, pages, a);
    }

    @Test
    void shouldRejectABulkCountOutOfRange() {
        assertThrows(IndexOutOfBoundsException.class, () -> PagePool.putBulk(new NetIov[2], 3));
    }

    @Test
    void shouldRejectAPoolWithNoMemory() {
        assertEquals("no memory: hostPages is null and no queue is given",
                assertThrows(IllegalArgumentException.class,
                        () -> PagePool.create(PagePoolParams.builder().build())).getMessage());
    }

    @Test
    void shouldRejectAProviderPoolWithoutDmaMapAndSync() {
        TestPages unreadable = new TestPages(8) {
            @Override
            public boolean unreadable() {
                return true;
            }
        };
        NetdevRxQueue q = new NetdevRxQueue() {
            @Override
            public int queueIndex() {
                return 0;
            }

            @Override
            public int ifindex() {
                return 1;
            }

            @Override
            public dev.netmem.api.spi.MemoryProvider memoryProvider() {
                return unreadable;
            }
        };
        UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class, () -> PagePool.create(
                PagePoolParams.builder().flags(PagePoolParams.PP_FLAG_ALLOW_UNREADABLE_NETMEM).queue(q).build()));
        assertEquals("a memory provider requires PP_FLAG_DMA_MAP and PP_FLAG_DMA_SYNC_DEV", e.getMessage());
        assertEquals(0, unreadable.inits);
    }

    @Test
    void shouldNotListAPoolWhoseProviderInitFails() {
        TestPages failing = new TestPages(8) {
            @Override
            public synchronized void init(dev.netmem.api.spi.PoolContext pool) {
                throw new IllegalArgumentException("boom");
            }
        };
        int before = PagePool.pools().size();
        assertEquals("boom", assertThrows(IllegalArgumentException.class,
                () -> PagePool.create(PagePoolParams.builder().hostPages(failing).build())).getMessage());
        assertEquals(before, PagePool.pools().size());
    }

    @Test
    void shouldRejectRecycleDirectOffTheNapiThreadWhenAssertionsAreOn() {
        Napi napi = new Napi("rx-assert");
        TestPages pages = new TestPages(8, 1, 0, false);
        PagePool pool = PagePool.create(PagePoolParams.builder().napi(napi).hostPages(pages).build());
        napi.schedule();
        NetIov n = pool.alloc();
        napi.complete();
        assertThrows(AssertionError.class, () -> pool.recycleDirect(n));
        assertThrows(AssertionError.class, pool::alloc);
        assertEquals(1, n.ppRefCount(), "the failed put changed nothing");
        assertConsistent(pool, pages, n);
    }
}
