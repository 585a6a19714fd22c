package dev.netmem.rxqueue.jfr;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;
import jdk.jfr.Throttle;

/**
 * The io_uring driver armed a multishot receive again after one ended (ENOBUFS, a window that closed
 * and opened, a bundle that emptied the ring): {@code rx-rearms}.
 */
@Name("dev.netmem.UringRearm")
@Label("io_uring Receive Re-armed")
@Description("A multishot receive was armed again after the previous one ended")
@Category({"netmem", "io_uring"})
@StackTrace(false)
@Throttle("100/s")
public final class UringRearmEvent extends RxQueueEvent {
    /** The page pool that fills the ring. */
    @Label("Pool Id")
    public int poolId;

    /** The connection's local port. */
    @Label("Local Port")
    public int localPort;

    /** The connection's peer port. */
    @Label("Remote Port")
    public int remotePort;

    /** Buffers posted on the ring when the receive was armed. */
    @Label("Posted Buffers")
    public int posted;
}
