package dev.netmem.api.internal.jfr;

import jdk.jfr.DataAmount;
import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.Period;
import jdk.jfr.StackTrace;

/**
 * A periodic snapshot of every listed pool ({@code page-pool-get} plus {@code page-pool-stats-get}):
 * in-flight figures and the {@code page_pool_stats} counters, named as in the kernel. Emitted by JFR's
 * periodic hook, so it costs nothing unless a recording enables it.
 */
@Name("dev.netmem.PagePoolStatistics")
@Label("Page Pool Statistics")
@Description("In-flight buffers and the page_pool_stats counters of each listed pool")
@Period("1 s")
@StackTrace(false)
public final class PagePoolStatisticsEvent extends PagePoolEvent {
    /** {@code ACTIVE}, {@code DESTROYING} or {@code RELEASED}. */
    @Label("State")
    public String state;

    /** Buffers in flight ({@code hold - release}). */
    @Label("Inflight")
    public int inflight;

    /** Bytes in flight. */
    @Label("Inflight Memory")
    @DataAmount
    public long inflightMem;

    /** {@code alloc_stats.fast}; the counters read 0 when the pool keeps no statistics. */
    @Label("Fast")
    public long fast;

    /** {@code alloc_stats.slow}. */
    @Label("Slow")
    public long slow;

    /** {@code alloc_stats.slow_high_order}. */
    @Label("Slow High Order")
    public long slowHighOrder;

    /** {@code alloc_stats.empty}. */
    @Label("Empty")
    public long empty;

    /** {@code alloc_stats.refill}. */
    @Label("Refill")
    public long refill;

    /** {@code alloc_stats.waive}. */
    @Label("Waive")
    public long waive;

    /** {@code recycle_stats.cached}. */
    @Label("Cached")
    public long cached;

    /** {@code recycle_stats.cache_full}. */
    @Label("Cache Full")
    public long cacheFull;

    /** {@code recycle_stats.ring}. */
    @Label("Ring")
    public long ring;

    /** {@code recycle_stats.ring_full}. */
    @Label("Ring Full")
    public long ringFull;

    /** {@code recycle_stats.released_refcnt}. */
    @Label("Released Refcnt")
    public long releasedRefcnt;
}
