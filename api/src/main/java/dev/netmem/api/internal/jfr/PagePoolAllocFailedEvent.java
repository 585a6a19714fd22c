package dev.netmem.api.internal.jfr;

import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;
import jdk.jfr.Throttle;

/**
 * An allocation found the fast cache and the ring empty and the provider out of memory: the caller
 * got {@code null} (a driver counts {@code rx-alloc-fail}). A starved queue can raise this per
 * packet, so it is throttled and records no stack trace.
 */
@Name("dev.netmem.PagePoolAllocFailed")
@Label("Page Pool Allocation Failed")
@Description("No buffer could be allocated: cache, ring and provider were empty")
@StackTrace(false)
@Throttle("100/s")
public final class PagePoolAllocFailedEvent extends PagePoolEvent {
    /** Buffers in flight when the allocation failed. */
    @Label("Inflight")
    public int inflight;
}
