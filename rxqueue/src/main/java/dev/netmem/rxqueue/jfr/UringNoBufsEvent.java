package dev.netmem.rxqueue.jfr;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;
import jdk.jfr.Throttle;

/**
 * The io_uring driver: a multishot receive ended with {@code -ENOBUFS}, its provided-buffer ring ran
 * dry (the kernel keeps the data in its socket until the receive is re-armed).
 */
@Name("dev.netmem.UringNoBufs")
@Label("io_uring Receive ENOBUFS")
@Description("A multishot receive ended because the provided-buffer ring was empty")
@Category({"netmem", "io_uring"})
@StackTrace(false)
@Throttle("100/s")
public final class UringNoBufsEvent extends RxQueueEvent {
    /** The page pool that fills the ring. */
    @Label("Pool Id")
    public int poolId;

    /** The connection's local port. */
    @Label("Local Port")
    public int localPort;

    /** The connection's peer port. */
    @Label("Remote Port")
    public int remotePort;
}
