package dev.netmem.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.netmem.api.PagePool;
import dev.netmem.api.PagePoolStats;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;

/**
 * Each pool benchmark takes the path it claims to measure: its body is run here with assertions on
 * (the pool's allocation-context checks included) and the pool's counters are checked exactly.
 * No timing is asserted.
 */
class BenchmarkPathsTest {
    private static final int N = 1000;
    private final Bench2PagePoolPaths paths = new Bench2PagePoolPaths();

    private static Bench2PagePoolPaths.NapiPool napiPool(boolean stats) {
        Bench2PagePoolPaths.NapiPool s = new Bench2PagePoolPaths.NapiPool();
        s.provider = PoolMemory.HOST;
        s.stats = stats;
        s.createPool();
        s.enterNapi();
        return s;
    }

    @Test
    void shouldServeEveryFastPathAllocFromTheCacheAfterTheFirstBulk() {
        Bench2PagePoolPaths.NapiPool s = napiPool(true);
        for (int i = 0; i < N; i++) {
            assertNotNull(paths.fastPath(s));
        }
        PagePoolStats st = s.pool.stats();
        assertEquals(new PagePoolStats(N - 1, 1, 0, 1, 0, 0, N, 0, 0, 0, 0), st);
        s.exitNapi();
        s.destroyPool();
    }

    @Test
    void shouldRunTheFastPathWithStatsOff() {
        Bench2PagePoolPaths.NapiPool s = napiPool(false);
        for (int i = 0; i < N; i++) {
            paths.fastPath(s);
        }
        assertEquals(false, s.pool.statsEnabled());
        assertEquals(63 + 1, s.pool.allocCacheCount());
        s.exitNapi();
        s.destroyPool();
    }

    @Test
    void shouldRecycleEveryRingPathPutThroughTheRing() {
        Bench2PagePoolPaths.RingPool s = new Bench2PagePoolPaths.RingPool();
        s.provider = PoolMemory.HOST;
        s.createPool();
        for (int i = 0; i < N; i++) {
            paths.ringPath(s);
        }
        PagePoolStats st = s.pool.stats();
        assertEquals(N, st.ring());
        assertEquals(0, st.cached());
        assertEquals(1, st.slow());
        assertEquals(0, st.releasedRefcnt());
        assertEquals(64, s.pool.holdCount(), "no buffer beyond the first bulk");
        assertTrue(st.refill() >= (N - 64) / 64, "refills: " + st.refill());
        s.destroyPool();
    }

    @Test
    void shouldReleaseEverySlowPathBufferToTheProvider() {
        Bench2PagePoolPaths.HostPool s = new Bench2PagePoolPaths.HostPool();
        s.createPool();
        for (int i = 0; i < N; i++) {
            paths.slowPath(s);
        }
        PagePoolStats st = s.pool.stats();
        assertEquals(N, st.releasedRefcnt());
        assertEquals(0, st.ring());
        assertEquals(0, st.cached());
        assertEquals((N + 63) / 64, st.slow(), "one provider bulk per 64 allocations");
        assertEquals(N, s.pool.releaseCount());
        s.destroyPool();
    }

    @Test
    void shouldReuseTheFragPageOnceBothFragmentsAreBack() {
        Bench2PagePoolPaths.FragPool s = new Bench2PagePoolPaths.FragPool();
        s.provider = PoolMemory.HOST;
        s.fragSize = 2048;
        s.createPool();
        s.enterNapi();
        for (int i = 0; i < N; i++) {
            paths.fragAlloc(s);
        }
        PagePoolStats st = s.pool.stats();
        assertEquals(1, st.slow());
        assertEquals(N / 2 - 1, st.cached(), "a full page whose fragments are all back is reused");
        s.exitNapi();
        s.destroyPool();
    }

    @Test
    void shouldPutEachBulkIntoTheRingInOneClaim() {
        Bench2PagePoolPaths.RingPool s = new Bench2PagePoolPaths.RingPool();
        s.provider = PoolMemory.HOST;
        s.createPool();
        int calls = 20;
        for (int i = 0; i < calls; i++) {
            paths.bulkPut(s);
        }
        PagePoolStats st = s.pool.stats();
        assertEquals((long) calls * Bench2PagePoolPaths.BULK, st.ring());
        assertEquals(0, st.releasedRefcnt());
        assertEquals(64, s.pool.holdCount());
        s.destroyPool();
    }

    @Test
    void shouldRecycleAcrossThreadsThroughTheRing() throws Exception {
        Bench3CrossThread bench = new Bench3CrossThread();
        Bench3CrossThread.Pipeline p = new Bench3CrossThread.Pipeline();
        p.provider = PoolMemory.HOST;
        p.createPool();
        Bench3CrossThread.NapiThread napi = new Bench3CrossThread.NapiThread();
        CountDownLatch produced = new CountDownLatch(1);
        CompletableFuture<Void> app = CompletableFuture.runAsync(() -> {
            try {
                produced.await();
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
            while (!p.handoff.isEmpty()) {
                bench.appFree(p);
            }
        });
        napi.enterNapi(p);
        for (int i = 0; i < N; i++) {
            assertNotNull(bench.napiAlloc(p, napi));
        }
        produced.countDown();
        app.join();
        napi.exitNapi();
        PagePoolStats st = p.pool.stats();
        assertEquals(N, st.ring(), "every buffer came back through the ring");
        assertEquals(0, st.cacheFull());
        p.destroyPool();
    }

    @Test
    void shouldRejectAnUnknownProviderNamingTheKnownOnes() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> PoolMemory.create("rdma"));
        assertEquals("unknown provider 'rdma': this build knows host (dmabuf and user_ring come with issue 3)",
                e.getMessage());
    }

    @Test
    void shouldLeaveNoPoolListedAfterTearDown() {
        int before = PagePool.pools().size();
        Bench2PagePoolPaths.NapiPool s = napiPool(true);
        paths.fastPath(s);
        s.exitNapi();
        s.destroyPool();
        assertEquals(before, PagePool.pools().size());
    }
}
