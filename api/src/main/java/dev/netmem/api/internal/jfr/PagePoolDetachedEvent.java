package dev.netmem.api.internal.jfr;

import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;

/** {@code page_pool_destroy} found buffers in flight: the pool stays detached until they come home. */
@Name("dev.netmem.PagePoolDetached")
@Label("Page Pool Detached")
@Description("A destroyed page pool still has buffers in flight")
public final class PagePoolDetachedEvent extends PagePoolEvent {
    /** Buffers in flight at the detach ({@code hold - release}). */
    @Label("Inflight")
    public int inflight;

    /** Buffers ever taken from the provider. */
    @Label("Hold")
    public int hold;

    /** Buffers ever returned to the provider. */
    @Label("Release")
    public int release;
}
