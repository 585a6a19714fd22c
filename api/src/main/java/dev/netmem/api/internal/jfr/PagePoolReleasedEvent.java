package dev.netmem.api.internal.jfr;

import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;

/** {@code __page_pool_destroy}: the last buffer came home; the provider is destroyed and the pool unlisted. */
@Name("dev.netmem.PagePoolReleased")
@Label("Page Pool Released")
@Description("A destroyed page pool got its last buffer back and was released")
public final class PagePoolReleasedEvent extends PagePoolEvent {
    /** Buffers ever taken from the provider. */
    @Label("Hold")
    public int hold;

    /** Buffers ever returned to the provider (equal to {@link #hold}). */
    @Label("Release")
    public int release;

    /** Whether the pool was detached (destroyed with buffers in flight) before this release. */
    @Label("Was Detached")
    public boolean wasDetached;
}
