package dev.netmem.rxqueue.nic;

/**
 * Models {@code struct netdev_queue_config}: the per-queue settings the core hands the driver when
 * it (re)allocates a queue's memory. Rendered by {@link NetDevice#queueConfig}
 * ({@code netdev_queue_config}): zeroed, then the driver's defaults
 * ({@link QueueMgmtOps#defaultQcfg}), then the bound provider's overrides
 * ({@link dev.netmem.api.spi.MemoryProviderParams#rxPageSize}).
 *
 * @param rxPageSize {@code rx_page_size}: bytes of each receive buffer (page-pool buffer), or 0 when
 *                   neither the driver nor a provider set it (the driver uses its own default)
 */
public record NetdevQueueConfig(int rxPageSize) {
    /** The zeroed config ({@code memset(qcfg, 0, ...)}): what a driver without {@code ndo_default_qcfg} gets. */
    public static final NetdevQueueConfig ZERO = new NetdevQueueConfig(0);

    /**
     * Validates.
     *
     * @throws IllegalArgumentException if {@code rxPageSize} is negative
     */
    public NetdevQueueConfig {
        if (rxPageSize < 0) {
            throw new IllegalArgumentException("rxPageSize must be >= 0: " + rxPageSize);
        }
    }

    /** This config with {@code size} as its {@code rx_page_size}. */
    public NetdevQueueConfig withRxPageSize(int size) {
        return new NetdevQueueConfig(size);
    }
}
