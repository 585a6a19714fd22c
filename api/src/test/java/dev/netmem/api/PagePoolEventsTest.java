package dev.netmem.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.netmem.api.spi.MemoryProvider;
import dev.netmem.api.spi.ProviderInfo;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import jdk.jfr.EventType;
import jdk.jfr.FlightRecorder;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingStream;
import org.junit.jupiter.api.Test;

/**
 * The page pool's JFR events, recorded with a {@link RecordingStream}: each lifecycle transition and
 * an allocation failure, with the pool, queue and provider as fields.
 */
class PagePoolEventsTest {
    /** Generous bound on how long a committed event takes to reach the stream (JFR flushes about once a second). */
    private static final long WAIT_SECONDS = 30;

    static final List<String> EVENTS = List.of("dev.netmem.PagePoolCreated", "dev.netmem.PagePoolDetached",
            "dev.netmem.PagePoolStalled", "dev.netmem.PagePoolReleased", "dev.netmem.PagePoolAllocFailed");

    /** A queue as a driver would pass it: ifindex 7, queue 3, no provider bound. */
    private static final NetdevRxQueue QUEUE = new NetdevRxQueue() {
        @Override
        public int queueIndex() {
            return 3;
        }

        @Override
        public int ifindex() {
            return 7;
        }

        @Override
        public MemoryProvider memoryProvider() {
            return null;
        }
    };

    @Test
    void shouldRecordEachLifecycleTransitionAndAnAllocationFailureWithPoolQueueAndProvider() throws Exception {
        TestPages pages = new TestPages(8) {
            @Override
            public ProviderInfo fill(NetdevRxQueue rxq) {
                return new ProviderInfo("dmabuf", 42); // a provider with a binding id, to see it carried
            }
        };
        BlockingQueue<RecordedEvent> seen = new LinkedBlockingQueue<>();
        try (RecordingStream rs = new RecordingStream()) {
            for (String name : EVENTS) {
                rs.enable(name); // the annotations' defaults: stack traces for lifecycle events only
                rs.onEvent(name, seen::add);
            }
            rs.startAsync();
            // pools created before the recording cannot carry these events; create ours now
            PagePool pool = PagePool.create(PagePoolParams.builder().hostPages(pages).queue(QUEUE).poolSize(64)
                    .releaseRetry(Duration.ofMillis(10)).stallWarn(Duration.ofMillis(30)).build());
            int id = pool.id();
            RecordedEvent created = await(seen, "dev.netmem.PagePoolCreated", id);
            assertPoolFields(created, id);
            assertEquals(64, created.getInt("ringSize"));
            assertEquals(NetIov.PAGE_SIZE, created.getInt("bufferSize"));
            assertEquals(-1, created.getInt("napiId"));

            NetIov[] all = new NetIov[8];
            for (int i = 0; i < all.length; i++) {
                all[i] = pool.alloc();
                assertNotNull(all[i]);
            }
            assertNull(pool.alloc(), "the provider has 8 pages");
            RecordedEvent failed = await(seen, "dev.netmem.PagePoolAllocFailed", id);
            assertPoolFields(failed, id);
            assertEquals(8, failed.getInt("inflight"));
            assertNull(failed.getStackTrace(), "a per-packet event records no stack trace");

            for (int i = 1; i < all.length; i++) {
                pool.putFullPage(all[i], false);
            }
            long destroyedAt = System.nanoTime();
            pool.destroy();
            // the kernel warns about a stalled shutdown only once the pool's netdev is gone
            PagePool.unregisterNetdev(QUEUE.ifindex());
            PagePool.unregisterNetdev(PagePool.LOOPBACK_IFINDEX);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_SECONDS);
            while (pool.stallWarnings() == 0 && System.nanoTime() - deadline < 0) {
                Thread.sleep(5);
            }
            assertTrue(pool.stallWarnings() > 0, "no stall warning within " + WAIT_SECONDS + " s");
            pool.putFullPage(all[0], false); // the events are committed: release now, not after JFR's flush
            assertEquals(PagePool.State.RELEASED, pool.state());

            RecordedEvent detached = await(seen, "dev.netmem.PagePoolDetached", id);
            assertPoolFields(detached, id);
            assertEquals(1, detached.getInt("inflight"));
            assertEquals(8, detached.getInt("hold"));
            assertEquals(7, detached.getInt("release"));

            RecordedEvent stalled = await(seen, "dev.netmem.PagePoolStalled", id);
            assertPoolFields(stalled, id);
            assertEquals(1, stalled.getInt("inflight"));
            long waited = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - destroyedAt);
            assertTrue(stalled.getLong("detachedSeconds") <= waited, stalled::toString);

            RecordedEvent released = await(seen, "dev.netmem.PagePoolReleased", id);
            assertPoolFields(released, id);
            assertEquals(8, released.getInt("hold"));
            assertEquals(8, released.getInt("release"));
            assertTrue(released.getBoolean("wasDetached"));
            assertNotNull(released.getStackTrace(), "lifecycle events keep their stack trace");
        }
    }

    @Test
    void shouldNameAPoolOutsideAnyQueueWithMinusOneAndReleaseAtOnceWithoutDetaching() throws Exception {
        BlockingQueue<RecordedEvent> seen = new LinkedBlockingQueue<>();
        try (RecordingStream rs = new RecordingStream()) {
            for (String name : EVENTS) {
                rs.enable(name);
                rs.onEvent(name, seen::add);
            }
            rs.startAsync();
            Napi napi = new Napi("rx");
            PagePool pool = PagePool.create(PagePoolParams.builder().hostPages(new TestPages(8)).napi(napi).build());
            int id = pool.id();
            pool.destroy();
            RecordedEvent created = await(seen, "dev.netmem.PagePoolCreated", id);
            assertEquals(-1, created.getInt("ifindex"));
            assertEquals(-1, created.getInt("queue"));
            assertEquals("host", created.getString("provider"));
            assertEquals(0L, created.getLong("providerId"));
            assertEquals(napi.id(), created.getInt("napiId"));
            RecordedEvent released = await(seen, "dev.netmem.PagePoolReleased", id);
            assertFalse(released.getBoolean("wasDetached"));
            assertEquals(0, released.getInt("hold"));
            assertEquals(List.of(), seen.stream().filter(e -> e.getInt("poolId") == id)
                    .map(e -> e.getEventType().getName()).toList(), "no detach, no stall, no failure");
        }
    }

    @Test
    void shouldSnapshotEveryListedPoolPeriodicallyWithTheKernelCounterNames() throws Exception {
        BlockingQueue<RecordedEvent> seen = new LinkedBlockingQueue<>();
        PagePool pool = PagePool.create(PagePoolParams.builder().hostPages(new TestPages(8)).queue(QUEUE).build());
        NetIov a = pool.alloc(); // slow path: the provider's bulk of 8 into the cache
        NetIov b = pool.alloc(); // fast
        pool.putFullPage(b, false); // from outside any NAPI: into the ring
        PagePoolStats st = pool.stats();
        try (RecordingStream rs = new RecordingStream()) {
            rs.enable("dev.netmem.PagePoolStatistics").withPeriod(Duration.ofMillis(100));
            rs.onEvent("dev.netmem.PagePoolStatistics", seen::add);
            rs.startAsync();
            RecordedEvent e = await(seen, "dev.netmem.PagePoolStatistics", pool.id());
            assertEquals(7, e.getInt("ifindex"));
            assertEquals(3, e.getInt("queue"));
            assertEquals("host", e.getString("provider"));
            assertEquals("ACTIVE", e.getString("state"));
            assertEquals(8, e.getInt("inflight"), "hold - release: the cache and the ring count too");
            assertEquals(8L * NetIov.PAGE_SIZE, e.getLong("inflightMem"));
            assertEquals(List.of(st.fast(), st.slow(), st.slowHighOrder(), st.empty(), st.refill(), st.waive(),
                    st.cached(), st.cacheFull(), st.ring(), st.ringFull(), st.releasedRefcnt()),
                    List.of(e.getLong("fast"), e.getLong("slow"), e.getLong("slowHighOrder"), e.getLong("empty"),
                            e.getLong("refill"), e.getLong("waive"), e.getLong("cached"), e.getLong("cacheFull"),
                            e.getLong("ring"), e.getLong("ringFull"), e.getLong("releasedRefcnt")));
            assertEquals(1L, e.getLong("fast"));
            assertEquals(1L, e.getLong("ring"));
        } finally {
            pool.putFullPage(a, false);
            pool.destroy();
        }
    }

    @Test
    void shouldRegisterEveryEventTypeWithItsFieldsOnceThePoolClassIsLoaded() {
        // the event classes register when first initialised: a pool's create does that
        PagePool.create(PagePoolParams.builder().hostPages(new TestPages(1)).build()).destroy();
        Map<String, EventType> types = new java.util.HashMap<>();
        for (EventType t : FlightRecorder.getFlightRecorder().getEventTypes()) {
            types.put(t.getName(), t);
        }
        for (String name : Stream.concat(EVENTS.stream(), Stream.of("dev.netmem.PagePoolStatistics"))
                .toList()) {
            EventType t = types.get(name);
            assertNotNull(t, name + " is registered");
            for (String f : List.of("poolId", "ifindex", "queue", "provider", "providerId")) {
                assertNotNull(t.getField(f), name + "." + f);
            }
            assertEquals(List.of("netmem", "Page Pool"), t.getCategoryNames(), name);
        }
    }

    private static void assertPoolFields(RecordedEvent e, int id) {
        assertEquals(id, e.getInt("poolId"), e::toString);
        assertEquals(7, e.getInt("ifindex"), e::toString);
        assertEquals(3, e.getInt("queue"), e::toString);
        assertEquals("dmabuf", e.getString("provider"), e::toString);
        assertEquals(42L, e.getLong("providerId"), e::toString);
    }

    /** The first event {@code name} of pool {@code id}; fails (does not hang) if none arrives in time. */
    static RecordedEvent await(BlockingQueue<RecordedEvent> seen, String name, int id) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_SECONDS);
        for (RecordedEvent e : seen) {
            if (e.getEventType().getName().equals(name) && e.getInt("poolId") == id) {
                seen.remove(e);
                return e;
            }
        }
        java.util.List<RecordedEvent> others = new java.util.ArrayList<>();
        try {
            while (true) {
                long left = deadline - System.nanoTime();
                RecordedEvent e = left <= 0 ? null : seen.poll(left, TimeUnit.NANOSECONDS);
                if (e == null) {
                    throw new AssertionError("no " + name + " event for pool " + id + " within " + WAIT_SECONDS
                            + " s; saw " + others.stream().map(o -> o.getEventType().getName()).toList());
                }
                if (e.getEventType().getName().equals(name) && e.getInt("poolId") == id) {
                    return e;
                }
                others.add(e);
            }
        } finally {
            seen.addAll(others);
        }
    }
}
