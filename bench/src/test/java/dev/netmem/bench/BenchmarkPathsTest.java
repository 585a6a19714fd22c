package dev.netmem.bench;

import dev.netmem.rxqueue.nic.RxQueue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.netmem.api.PagePool;
import dev.netmem.api.PagePoolStats;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.openjdk.jmh.infra.Control;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Each pool benchmark takes the path it claims to measure: its body is run here with assertions on
 * (the pool's allocation-context checks included) and the pool's counters are checked exactly.
 * No timing is asserted.
 */
class BenchmarkPathsTest {
    private static final int N = 1000;
    private final Bench2PagePoolPaths paths = new Bench2PagePoolPaths();

    private static Bench2PagePoolPaths.NapiPool napiPool(String provider, boolean stats) {
        Bench2PagePoolPaths.NapiPool s = new Bench2PagePoolPaths.NapiPool();
        s.provider = provider;
        s.stats = stats;
        s.createPool();
        s.enterNapi();
        return s;
    }

    @ParameterizedTest
    @ValueSource(strings = {PoolMemory.HOST, PoolMemory.DMABUF, PoolMemory.USER_RING})
    void shouldServeEveryFastPathAllocFromTheCacheAfterTheFirstBulk(String provider) {
        Bench2PagePoolPaths.NapiPool s = napiPool(provider, true);
        for (int i = 0; i < N; i++) {
            assertNotNull(paths.fastPath(s));
        }
        PagePoolStats st = s.pool.stats();
        long slow = provider.equals(PoolMemory.HOST) ? 1 : 0; // net_iov pools do not count slow allocations
        assertEquals(new PagePoolStats(N - 1, slow, 0, 1, 0, 0, N, 0, 0, 0, 0), st);
        s.exitNapi();
        s.destroyPool();
    }

    @Test
    void shouldRunTheFastPathWithStatsOff() {
        Bench2PagePoolPaths.NapiPool s = napiPool(PoolMemory.HOST, false);
        for (int i = 0; i < N; i++) {
            paths.fastPath(s);
        }
        assertEquals(false, s.pool.statsEnabled());
        assertEquals(63 + 1, s.pool.allocCacheCount());
        s.exitNapi();
        s.destroyPool();
    }

    @ParameterizedTest
    @ValueSource(strings = {PoolMemory.HOST, PoolMemory.DMABUF, PoolMemory.USER_RING})
    void shouldRecycleEveryRingPathPutThroughTheRing(String provider) {
        Bench2PagePoolPaths.RingPool s = new Bench2PagePoolPaths.RingPool();
        s.provider = provider;
        s.createPool();
        for (int i = 0; i < N; i++) {
            paths.ringPath(s);
        }
        PagePoolStats st = s.pool.stats();
        assertEquals(N, st.ring());
        assertEquals(0, st.cached());
        assertEquals(0, st.releasedRefcnt());
        int firstBulk = s.pool.holdCount();
        assertTrue(firstBulk >= 1 && firstBulk <= 64, "no buffer beyond the first bulk: " + firstBulk);
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

    @ParameterizedTest
    @ValueSource(strings = {PoolMemory.HOST, PoolMemory.DMABUF, PoolMemory.USER_RING})
    void shouldRecycleAcrossThreadsThroughTheRing(String provider) {
        Bench3CrossThread bench = new Bench3CrossThread();
        Bench3CrossThread.Pipeline p = new Bench3CrossThread.Pipeline();
        p.provider = provider;
        p.createPool();
        Bench3CrossThread.NapiThread napi = new Bench3CrossThread.NapiThread();
        Control running = new Control();
        CompletableFuture<Void> app = CompletableFuture.runAsync(() -> {
            for (int i = 0; i < N; i++) {
                assertNotNull(bench.appFree(p, running));
            }
        });
        napi.enterNapi(p);
        for (int i = 0; i < N; i++) {
            assertNotNull(bench.napiAlloc(p, napi, running));
        }
        app.join();
        napi.exitNapi();
        PagePoolStats st = p.pool.stats();
        assertEquals(N, st.ring(), "every buffer came back through the ring");
        assertEquals(0, st.cached(), "none was recycled on the NAPI thread");
        p.destroyPool();
    }

    @Test
    void shouldStopWaitingForTheOtherSideWhenJmhEndsTheIteration() {
        Bench3CrossThread bench = new Bench3CrossThread();
        Bench3CrossThread.Pipeline p = new Bench3CrossThread.Pipeline();
        p.provider = PoolMemory.HOST;
        p.createPool();
        Control stopped = new Control();
        stopped.stopMeasurement = true;
        assertNull(bench.appFree(p, stopped), "an empty hand-off queue does not block");
        p.destroyPool();
    }

    @ParameterizedTest
    @ValueSource(strings = {PoolMemory.HOST, PoolMemory.DMABUF, PoolMemory.USER_RING})
    void shouldDeliverEveryRxPathPacketThroughTheQueue(String provider) {
        Bench3RxPath bench = new Bench3RxPath();
        Bench3RxPath.Rx s = new Bench3RxPath.Rx();
        s.provider = provider;
        s.payloadSize = 1024;
        s.open();
        int calls = 50;
        for (int i = 0; i < calls; i++) {
            bench.rxPath(s);
        }
        long packets = (long) calls * Bench3RxPath.BATCH;
        assertEquals(packets * 1024, s.readBytes);
        assertEquals(packets, s.device.rxQueue(0).rxPackets());
        s.close();
    }

    /** The io_uring driver's benchmark body: every frag it counts arrived on the queue; nothing dropped. */
    @ParameterizedTest
    @org.junit.jupiter.params.provider.CsvSource({"host,none", "host,bundles", "dmabuf,none", "dmabuf,bundles",
        "host,incremental", "host,order2", "host,bundles+order4", "dmabuf,bundles+incremental"})
    void shouldReceiveEveryFragOfARealStreamThroughTheIoUringDriver(String provider, String opts) throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(dev.netmem.uring.IoUringAvailability.check().available());
        Bench5UringRx bench = new Bench5UringRx();
        Bench5UringRx.Rx s = new Bench5UringRx.Rx();
        s.provider = provider;
        s.opts = opts;
        s.open();
        for (int i = 0; i < 200; i++) {
            bench.uringRx(s);
        }
        RxQueue q = s.device.rxQueue(0);
        assertTrue(s.frags >= 200L * Bench5UringRx.BATCH, "frags " + s.frags);
        assertTrue(q.rxPackets() >= s.frags, "every frag read was a buffer the queue received: " + q.rxPackets());
        assertTrue(q.rxBytes() >= s.bytes, "bytes read " + s.bytes + " <= bytes received " + q.rxBytes());
        assertEquals(0, q.rxDropped());
        s.close();
    }

    @Test
    void shouldRejectAnUnknownProviderNamingTheKnownOnes() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> PoolMemory.create("rdma"));
        assertEquals("unknown provider 'rdma': use host, dmabuf or user_ring", e.getMessage());
    }

    @Test
    void shouldLeaveNoPoolListedAfterTearDown() {
        int before = PagePool.pools().size();
        Bench2PagePoolPaths.NapiPool s = napiPool(PoolMemory.HOST, true);
        paths.fastPath(s);
        s.exitNapi();
        s.destroyPool();
        assertEquals(before, PagePool.pools().size());
    }
}
