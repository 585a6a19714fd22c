package dev.netmem.rxqueue.nic;

/**
 * A driver's four core queue ops forwarded to the driver, for tests that replace or wrap one of them
 * ({@link NetDevice.Builder#queueOps}). The queue-config ops are not forwarded: the decorated device
 * answers as a driver that predates the queue config (no {@code supported_params}) unless a subclass
 * forwards them too.
 */
public class ForwardingQueueOps implements QueueMgmtOps {
    /** The driver's own ops. */
    protected final QueueMgmtOps driver;

    /** Forwards to {@code driver}. */
    public ForwardingQueueOps(QueueMgmtOps driver) {
        this.driver = driver;
    }

    @Override
    public QueueMem memAlloc(RxQueue queue) {
        return driver.memAlloc(queue);
    }

    @Override
    public void memFree(QueueMem mem) {
        driver.memFree(mem);
    }

    @Override
    public void start(QueueMem mem) {
        driver.start(mem);
    }

    @Override
    public void stop(QueueMem mem) {
        driver.stop(mem);
    }
}
