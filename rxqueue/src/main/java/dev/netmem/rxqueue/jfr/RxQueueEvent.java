package dev.netmem.rxqueue.jfr;

import jdk.jfr.Description;
import jdk.jfr.Event;
import jdk.jfr.Label;

/** The fields every RX-queue event carries: which queue, which memory provider. */
public abstract class RxQueueEvent extends Event {
    /** The device's ifindex. */
    @Label("Ifindex")
    public int ifindex;

    /** The RX queue index. */
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
    protected RxQueueEvent() {
    }
}
