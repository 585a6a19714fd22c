package dev.netmem.api.internal.jfr;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Event;
import jdk.jfr.Label;

/** The fields every page-pool event carries: which pool, which queue, which provider. */
@Category({"netmem", "Page Pool"})
public abstract class PagePoolEvent extends Event {
    /** {@link dev.netmem.api.PagePool#id()}. */
    @Label("Pool Id")
    public int poolId;

    /** The ifindex of the pool's RX queue, -1 without one. */
    @Label("Ifindex")
    public int ifindex;

    /** The index of the pool's RX queue, -1 without one. */
    @Label("Queue")
    public int queue;

    /** The memory provider's kind. */
    @Label("Provider")
    @Description("host, dmabuf or io-uring")
    public String provider;

    /** The provider's binding id (dma-buf binding), 0 if it has none. */
    @Label("Provider Id")
    public long providerId;

    /** Subclasses only. */
    protected PagePoolEvent() {
    }
}
