package dev.netmem.api.internal.jfr;

import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.Timespan;

/** {@code page_pool_release_retry}'s "stalled pool shutdown" warning, one event per warning. */
@Name("dev.netmem.PagePoolStalled")
@Label("Page Pool Shutdown Stalled")
@Description("A detached page pool still waits for buffers in flight")
public final class PagePoolStalledEvent extends PagePoolEvent {
    /** Buffers still in flight. */
    @Label("Inflight")
    public int inflight;

    /** Seconds since the pool was detached. */
    @Label("Detached For")
    @Timespan(Timespan.SECONDS)
    public long detachedSeconds;
}
