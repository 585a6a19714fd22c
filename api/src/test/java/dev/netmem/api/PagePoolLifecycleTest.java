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
            NetIov n = pool.alloc();
            pool.destroy(); // on the NAPI thread itself: allowed
            assertNull(pool.napi());
            pool.putFullPage(n, false);
            assertEquals(0, pool.stats().cached());
            assertEquals(PagePool.State.RELEASED, pool.state());
        } finally {
            napi.complete();
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
