package dev.netmem.rxqueue.jfr;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;

/** {@code bind-rx}: a memory provider was bound to a queue (one event per queue), after its restart. */
@Name("dev.netmem.RxBind")
@Label("RX Queue Bound")
@Description("A memory provider was bound to an RX queue (netdev bind-rx)")
@Category({"netmem", "RX Queue"})
public final class RxBindEvent extends RxQueueEvent {
    /** The binding id ({@code bind-rx} reply {@code id}). */
    @Label("Binding Id")
    public long bindingId;
}
