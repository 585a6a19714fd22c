package dev.netmem.api;

import java.util.List;

/**
 * Models {@code struct page_pool_stats}: the six allocation counters and the five recycle counters,
 * named as in the kernel (netlink {@code page-pool-stats-get}; ethtool {@code rx_pp_*}).
 *
 * <p>A snapshot: counters are read one by one without a lock, so a snapshot taken while the pool
 * is busy may mix moments (as the kernel's per-CPU sums do).
 *
 * @param fast           allocations served by the fast cache ({@code alloc_stats.fast})
 * @param slow           order-0 allocations from the page allocator ({@code slow})
 * @param slowHighOrder  order &gt; 0 allocations from the page allocator ({@code slow_high_order})
 * @param empty          refills that found the ring empty ({@code empty})
 * @param refill         allocations served by refilling the cache from the ring ({@code refill})
 * @param waive          ring buffers returned because they belong to another NUMA node ({@code waive})
 * @param cached         puts recycled into the fast cache ({@code recycle_stats.cached})
 * @param cacheFull      direct puts that found the cache full ({@code cache_full})
 * @param ring           puts recycled into the ring ({@code ring})
 * @param ringFull       puts that found the ring full and were released ({@code ring_full})
 * @param releasedRefcnt puts of pages with extra page references, released ({@code released_refcnt})
 */
public record PagePoolStats(long fast, long slow, long slowHighOrder, long empty, long refill, long waive,
                            long cached, long cacheFull, long ring, long ringFull, long releasedRefcnt) {

    /** The ethtool strings, in the kernel's order ({@code pp_stats[]}). */
    public static final List<String> ETHTOOL_STRINGS = List.of(
            "rx_pp_alloc_fast", "rx_pp_alloc_slow", "rx_pp_alloc_slow_ho", "rx_pp_alloc_empty",
            "rx_pp_alloc_refill", "rx_pp_alloc_waive", "rx_pp_recycle_cached", "rx_pp_recycle_cache_full",
            "rx_pp_recycle_ring", "rx_pp_recycle_ring_full", "rx_pp_recycle_released_ref");

    /** The counters in {@link #ETHTOOL_STRINGS} order. */
    public long[] toArray() {
        return new long[] {fast, slow, slowHighOrder, empty, refill, waive, cached, cacheFull, ring, ringFull,
            releasedRefcnt};
    }
}
