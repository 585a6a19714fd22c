package dev.netmem.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The single release path cannot be bypassed, and what it promises is visible in the right order. */
class PagePoolReleasePathTest {

    private static PagePool pool(TestPages pages) {
        return PagePool.create(PagePoolParams.builder().hostPages(pages).build());
    }

    @Test
    void shouldReportAndNeverFreeAPoolPageFreedWithPutPage() {
        TestPages pages = new TestPages(8, 1, 0, false);
        PagePool pool = pool(pages);
        NetIov n = pool.alloc();
        IllegalStateException e = assertThrows(IllegalStateException.class, n::putPage);
        assertEquals("BUG: Bad page state: put_page would free " + n + " while page pool " + pool.id()
                + " owns it (page_pool leak); the page is not freed, drop the reference through the pool",
                e.getMessage());
        assertEquals(1, pool.pagePoolLeaks());
        assertEquals(7, pages.freePages(), "the page did not go back to its allocator");
        assertEquals(1, n.pageRefCount(), "the caller's reference is still held");
        assertSame(pool, n.pool());
        pool.putFullPage(n, false); // the reference goes home through the pool, as it must
        pool.destroy();
        assertEquals(PagePool.State.RELEASED, pool.state());
        assertEquals(8, pages.freePages());
        assertEquals(1, pool.pagePoolLeaks());
    }

    @Test
    void shouldReportAPutPageOfAPageParkedInTheRing() {
        TestPages pages = new TestPages(8, 1, 0, false);
        PagePool pool = pool(pages);
        NetIov n = pool.alloc();
        pool.putFullPage(n, false); // at rest in the ring: still the pool's
        assertThrows(IllegalStateException.class, n::putPage);
        assertEquals(1, pool.pagePoolLeaks());
        assertEquals(7, pages.freePages());
        pool.destroy();
        assertEquals(PagePool.State.RELEASED, pool.state());
        assertEquals(8, pages.freePages(), "the ring entry came home once, through the release path");
    }

    @Test
    void shouldStillLetAnExtraPageReferenceFreeThePageOnceThePoolReleasedIt() {
        TestPages pages = new TestPages(8, 1, 0, false);
        PagePool pool = pool(pages);
        NetIov n = pool.alloc();
        n.getPage();
        n.putPage(); // not the last page reference: no free, no report
        n.getPage();
        pool.putFullPage(n, false); // releasedRefcnt: the pool lets go, the page stays referenced
        assertEquals(7, pages.freePages());
        n.putPage();
        assertEquals(8, pages.freePages());
        assertEquals(0, pool.pagePoolLeaks());
    }

    @Test
    void shouldTellAPoolBufferFromAPlainPageAsNapiPpPutPageDoes() {
        TestPages pages = new TestPages(8, 1, 0, false);
        PagePool pool = pool(pages);
        NetIov n = pool.alloc();
        PagePool.refNetmem(n);
        assertTrue(PagePool.napiPpPutPage(n));
        assertEquals(1, n.ppRefCount());
        assertTrue(PagePool.napiPpPutPage(n));
        assertEquals(1, pool.ringCount(), "the last reference recycled through the put path");

        List<NetIov> freed = new ArrayList<>();
        NetIov plain = new NetIovArea(Arena.ofAuto().allocate(NetIov.PAGE_SIZE, NetIov.PAGE_SIZE), 0,
                NetIovType.PAGE, 0, 0, 0, freed::add).niov(0);
        assertFalse(PagePool.napiPpPutPage(plain), "not a pool buffer: the caller frees it as a page");
        plain.putPage();
        assertEquals(List.of(plain), freed);
    }

    /**
     * The retry thread must not see the pool drained while a page it released is still on its way
     * back to the allocator: the page is freed before {@code release++}.
     */
    @Test
    void shouldNeverBeReleasedWhileItsLastPageIsStillOnItsWayHome() throws Exception {
        CountDownLatch deleted = new CountDownLatch(1);
        List<String> seenInFree = new ArrayList<>();
        PagePool[] self = new PagePool[1];
        TestPages pages = new TestPages(8, 1, 0, false) {
            @Override
            void pageFreed(NetIov page) {
                try {
                    // Give the retry thread every chance to finish the release now.
                    boolean released = deleted.await(300, TimeUnit.MILLISECONDS);
                    seenInFree.add(released ? "RELEASED before the page was home" : "ok");
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        };
        PagePoolListener l = new PagePoolListener() {
            @Override
            public void deleted(PagePool pool) {
                if (pool == self[0]) {
                    deleted.countDown();
                }
            }
        };
        PagePool.addListener(l);
        try {
            PagePool pool = PagePool.create(PagePoolParams.builder().hostPages(pages)
                    .releaseRetry(Duration.ofMillis(1)).build());
            self[0] = pool;
            NetIov n = pool.alloc();
            pool.destroy();
            pool.putFullPage(n, false);
            assertEquals(List.of("ok"), seenInFree);
            assertEquals(PagePool.State.RELEASED, pool.state());
            assertEquals(8, pages.freePages());
        } finally {
            PagePool.removeListener(l);
        }
    }

    @Test
    void shouldCountARefcountViolationWhenTheRingIsDrained() {
        TestPages pages = new TestPages(8, 1, 0, false);
        PagePool pool = pool(pages);
        NetIov n = pool.alloc();
        pool.putFullPage(n, false);
        n.getPage(); // a page reference taken on a buffer at rest in the ring: a driver bug
        pool.destroy();
        assertEquals(1, pool.refcntViolations());
        assertEquals(PagePool.State.RELEASED, pool.state(), "the entry was still returned");
        assertEquals(7, pages.freePages(), "the stray page reference keeps the page");
        n.putPage();
        assertEquals(8, pages.freePages());
    }
}
