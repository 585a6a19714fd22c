package dev.netmem.rxqueue.jfr;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;

/**
 * {@code netdev_rx_queue_restart} on a running device: from stopping the old queue memory to the new
 * one running (its duration is the queue's outage). The provider is the new pool's.
 */
@Name("dev.netmem.RxQueueRestart")
@Label("RX Queue Restart")
@Description("An RX queue was restarted on new queue memory (new page pools)")
@Category({"netmem", "RX Queue"})
public final class RxQueueRestartEvent extends RxQueueEvent {
    /** The page pool the queue had before. */
    @Label("Old Pool Id")
    public int oldPoolId;

    /** The page pool the queue has now. */
    @Label("Pool Id")
    public int poolId;
}
