package dev.netmem.api.internal;

import dev.netmem.api.PagePoolStats;

/**
 * A page pool's statistics, chosen once at construction: {@link LivePoolCounters} or
 * {@link NoPoolCounters} (stats off, the kernel built without {@code CONFIG_PAGE_POOL_STATS}).
 *
 * <p>Allocation counters and {@code cached}/{@code cacheFull} are bumped only in the pool's
 * allocation (NAPI) context; {@code ringFull} and {@code releasedRefcnt} from any thread. The
 * {@code ring} counter is not stored here: it is the ring's produced count.
 */
public sealed interface PoolCounters permits LivePoolCounters, NoPoolCounters {
    /** Counters for a pool created with {@code stats == enabled}. */
    static PoolCounters create(boolean enabled) {
        return enabled ? new LivePoolCounters() : NoPoolCounters.INSTANCE;
    }

    /** {@code alloc_stats.fast}; allocation context. */
    void fast();

    /** {@code alloc_stats.slow}; allocation context. */
    void slow();

    /** {@code alloc_stats.slow_high_order}; allocation context. */
    void slowHighOrder();

    /** {@code alloc_stats.empty}; allocation context. */
    void empty();

    /** {@code alloc_stats.refill}; allocation context. */
    void refill();

    /** {@code alloc_stats.waive}; allocation context. */
    void waive();

    /** {@code recycle_stats.cached}; NAPI context. */
    void cached();

    /** {@code recycle_stats.cache_full}; NAPI context. */
    void cacheFull();

    /** {@code recycle_stats.ring_full}; any thread. */
    void ringFull();

    /** {@code recycle_stats.released_refcnt}; any thread. */
    void releasedRefcnt();

    /** Whether statistics are kept. */
    boolean enabled();

    /**
     * A snapshot, with {@code ring} supplied by the caller.
     *
     * @throws UnsupportedOperationException when statistics are off
     */
    PagePoolStats snapshot(long ring);
}
