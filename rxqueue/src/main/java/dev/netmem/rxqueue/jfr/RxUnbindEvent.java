package dev.netmem.rxqueue.jfr;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;

/** A binding was closed: the queue restarted without its provider (one event per queue). */
@Name("dev.netmem.RxUnbind")
@Label("RX Queue Unbound")
@Description("A memory-provider binding of an RX queue was closed")
@Category({"netmem", "RX Queue"})
public final class RxUnbindEvent extends RxQueueEvent {
    /** The binding id. */
    @Label("Binding Id")
    public long bindingId;
}
