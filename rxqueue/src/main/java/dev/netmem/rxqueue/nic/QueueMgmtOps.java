package dev.netmem.rxqueue.nic;

/**
 * Models {@code struct netdev_queue_mgmt_ops}: how the core replaces an RX queue's memory
 * ({@link NetDevice#restartQueue}). The device's own driver implements them; a test may decorate
 * them ({@link NetDevice.Builder#queueOps}) to inject failures.
 *
 * <p>The queue config ({@code struct netdev_queue_config}, {@link NetdevQueueConfig}): the kernel
 * passes the config it rendered to {@code ndo_queue_mem_alloc} and {@code ndo_queue_start}; here
 * {@link #memAlloc} reads it with {@link NetDevice#queueConfig} ({@code netdev_queue_config}, the
 * helper the kernel offers drivers), which renders the same value from the same queue params. The
 * core validates it ({@link #validateQcfg}) before it binds a provider.
 *
 * <p>Caller of every op: the device's control lock holder, never the queue's NAPI.
 */
public interface QueueMgmtOps {
    /** {@code QCFG_RX_PAGE_SIZE}: the driver checks and honours {@link NetdevQueueConfig#rxPageSize}. */
    int QCFG_RX_PAGE_SIZE = 0x1;

    /**
     * {@code ndo_queue_mem_alloc}: creates the queue's new page pools (which pick up the queue's
     * memory provider) and an empty descriptor ring, with buffers of the queue config's
     * {@code rx_page_size} ({@link NetDevice#queueConfig}). May run while the device is down.
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

    /**
     * {@code ndo_default_qcfg}: the driver's defaults, applied to the zeroed config before a
     * provider's overrides. The default, {@link NetdevQueueConfig#ZERO}, is the kernel's op left unset.
     */
    default NetdevQueueConfig defaultQcfg() {
        return NetdevQueueConfig.ZERO;
    }

    /**
     * {@code ndo_validate_qcfg}: refuses a config the driver cannot run a queue with, by throwing
     * ({@link dev.netmem.api.ErrnoException}). Called on the defaults and again with a provider's
     * overrides when a provider is bound ({@code netdev_queue_config_validate}). The default accepts
     * everything (the op left unset).
     */
    default void validateQcfg(NetdevQueueConfig qcfg) {
    }

    /**
     * {@code supported_params}: which queue-config parameters the driver honours, a mask of
     * {@link #QCFG_RX_PAGE_SIZE}. A provider asking for a parameter the driver does not list is
     * refused with {@link dev.netmem.api.Errno#EOPNOTSUPP} when it binds. The default, 0, lists none.
     */
    default int supportedParams() {
        return 0;
    }
}
