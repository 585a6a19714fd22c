package dev.netmem.rxqueue.nic;

/**
 * Models {@code struct netdev_queue_mgmt_ops}: how the core replaces an RX queue's memory
 * ({@link NetDevice#restartQueue}). The device's own driver implements them; a test may decorate
 * them ({@link NetDevice.Builder#queueOps}) to inject failures.
 *
 * <p>Caller of every op: the device's control lock holder, never the queue's NAPI.
 */
public interface QueueMgmtOps {
    /**
     * {@code ndo_queue_mem_alloc}: creates the queue's new page pools (which pick up the queue's
     * memory provider) and an empty descriptor ring. May run while the device is down.
     */
    QueueMem memAlloc(RxQueue queue);

    /** {@code ndo_queue_mem_free}: releases the ring's buffers and destroys the pools. */
    void memFree(QueueMem mem);

    /** {@code ndo_queue_start}: fills the ring if it is empty and starts the NAPI thread. Device up only. */
    void start(QueueMem mem);

    /** {@code ndo_queue_stop}: stops the NIC writing into the ring and the NAPI thread. Device up only. */
    void stop(QueueMem mem);

    /**
     * {@code ndo_queue_get_dma_dev}: the DMA device queue {@code queue} writes through, for a device
     * whose queues sit behind different DMA devices (a multi-PF NIC). The default, {@code null}, is
     * the kernel's op left unset: the core uses the netdev's parent ({@link NetDevice#dmaDevice}).
     * Read by {@link NetDevice#queueDmaDevice}; control path.
     */
    default dev.netmem.api.DmaDevice getDmaDev(RxQueue queue) {
        return null;
    }
}
