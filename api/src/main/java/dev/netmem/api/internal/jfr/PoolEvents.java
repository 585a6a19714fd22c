package dev.netmem.api.internal.jfr;

import dev.netmem.api.Napi;
import dev.netmem.api.NetdevRxQueue;
import dev.netmem.api.PagePool;
import dev.netmem.api.PagePoolStats;
import dev.netmem.api.spi.ProviderInfo;
import jdk.jfr.FlightRecorder;

/**
 * The page pool's JFR hooks: one static method per event, called by {@link PagePool} on its slow
 * paths only. Each returns at once, having allocated nothing, unless a recording enables its event.
 * {@link PagePoolStatisticsEvent} is periodic: JFR asks for it, registered when this class is
 * initialised (by the first pool's creation).
 */
public final class PoolEvents {
    // Never committed: asked only whether the event type is enabled (no allocation per check).
    private static final PagePoolCreatedEvent CREATED = new PagePoolCreatedEvent();
    private static final PagePoolDetachedEvent DETACHED = new PagePoolDetachedEvent();
    private static final PagePoolStalledEvent STALLED = new PagePoolStalledEvent();
    private static final PagePoolReleasedEvent RELEASED = new PagePoolReleasedEvent();
    private static final PagePoolAllocFailedEvent ALLOC_FAILED = new PagePoolAllocFailedEvent();

    static {
        // JFR calls the hook once per period of a recording that enables the event; never otherwise
        FlightRecorder.addPeriodicEvent(PagePoolStatisticsEvent.class, PoolEvents::statistics);
    }

    private PoolEvents() {
    }

    /** The periodic hook: one {@link PagePoolStatisticsEvent} per listed pool. */
    private static void statistics() {
        for (PagePool pool : PagePool.pools()) {
            PagePoolStatisticsEvent e = new PagePoolStatisticsEvent();
            fill(e, pool);
            e.state = pool.state().name();
            e.inflight = pool.inflight();
            e.inflightMem = pool.inflightMem();
            if (pool.statsEnabled()) {
                PagePoolStats s = pool.stats();
                e.fast = s.fast();
                e.slow = s.slow();
                e.slowHighOrder = s.slowHighOrder();
                e.empty = s.empty();
                e.refill = s.refill();
                e.waive = s.waive();
                e.cached = s.cached();
                e.cacheFull = s.cacheFull();
                e.ring = s.ring();
                e.ringFull = s.ringFull();
                e.releasedRefcnt = s.releasedRefcnt();
            }
            e.commit();
        }
    }

    /** {@code pool} was created and listed. */
    public static void created(PagePool pool) {
        if (!CREATED.isEnabled()) {
            return;
        }
        PagePoolCreatedEvent e = new PagePoolCreatedEvent();
        if (e.shouldCommit()) {
            fill(e, pool);
            e.ringSize = pool.params().ringSize();
            e.bufferSize = pool.params().bufferSize();
            Napi napi = pool.napi();
            e.napiId = napi == null ? -1 : napi.id();
            e.commit();
        }
    }

    /** {@code pool} was destroyed with buffers in flight. */
    public static void detached(PagePool pool) {
        if (!DETACHED.isEnabled()) {
            return;
        }
        PagePoolDetachedEvent e = new PagePoolDetachedEvent();
        if (e.shouldCommit()) {
            fill(e, pool);
            e.hold = pool.holdCount();
            e.release = pool.releaseCount();
            e.inflight = e.hold - e.release;
            e.commit();
        }
    }

    /** {@code pool} logged a "stalled pool shutdown" warning. */
    public static void stalled(PagePool pool, int inflight, long detachedSeconds) {
        if (!STALLED.isEnabled()) {
            return;
        }
        PagePoolStalledEvent e = new PagePoolStalledEvent();
        if (e.shouldCommit()) {
            fill(e, pool);
            e.inflight = inflight;
            e.detachedSeconds = detachedSeconds;
            e.commit();
        }
    }

    /** {@code pool} was released. */
    public static void released(PagePool pool) {
        if (!RELEASED.isEnabled()) {
            return;
        }
        PagePoolReleasedEvent e = new PagePoolReleasedEvent();
        if (e.shouldCommit()) {
            fill(e, pool);
            e.hold = pool.holdCount();
            e.release = pool.releaseCount();
            e.wasDetached = pool.detachTime().isPresent();
            e.commit();
        }
    }

    /** An allocation from {@code pool} returned {@code null}. */
    public static void allocFailed(PagePool pool) {
        if (!ALLOC_FAILED.isEnabled()) {
            return;
        }
        PagePoolAllocFailedEvent e = new PagePoolAllocFailedEvent();
        if (e.shouldCommit()) {
            fill(e, pool);
            e.inflight = pool.inflight();
            e.commit();
        }
    }

    private static void fill(PagePoolEvent e, PagePool pool) {
        e.poolId = pool.id();
        NetdevRxQueue q = pool.params().queue();
        e.ifindex = q == null ? -1 : q.ifindex();
        e.queue = q == null ? -1 : q.queueIndex();
        ProviderInfo info = pool.provider().fill(null);
        e.provider = info.kind();
        e.providerId = info.id();
    }
}
