package dev.netmem.api.internal.jfr;

import jdk.jfr.DataAmount;
import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;

/** {@code page_pool_create}: the pool is listed and its provider initialised. */
@Name("dev.netmem.PagePoolCreated")
@Label("Page Pool Created")
@Description("A page pool was created and listed")
public final class PagePoolCreatedEvent extends PagePoolEvent {
    /** The ptr_ring capacity: {@code pool_size}, 1024 when that is 0, at most 16384. */
    @Label("Ring Size")
    public int ringSize;

    /** {@code PAGE_SIZE << order}. */
    @Label("Buffer Size")
    @DataAmount
    public int bufferSize;

    /** The NAPI id linked at creation, -1 without one. */
    @Label("NAPI Id")
    public int napiId;
}
