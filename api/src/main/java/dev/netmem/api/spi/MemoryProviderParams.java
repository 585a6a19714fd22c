package dev.netmem.api.spi;

import java.util.Objects;

/**
 * Models {@code struct pp_memory_provider_params}: what a queue is bound with. The core copies it
 * into the queue ({@code rxq->mp_params}), so it survives queue restarts, and clears all of it when
 * the provider is closed.
 *
 * @param provider   {@code mp_ops} and {@code mp_priv}: the provider
 * @param rxPageSize {@code rx_page_size}: the receive buffer size the provider wants the driver to
 *                   use, or 0 for the driver's default. A non-zero size needs a driver that lists
 *                   {@code QCFG_RX_PAGE_SIZE} in its {@code supported_params}; the driver's
 *                   {@code ndo_validate_qcfg} decides which sizes it accepts.
 */
public record MemoryProviderParams(MemoryProvider provider, int rxPageSize) {
    /**
     * Validates.
     *
     * @throws IllegalArgumentException if {@code rxPageSize} is negative (the kernel's field is a
     *                                  {@code u32}; netmem keeps sizes below 2 GiB)
     */
    public MemoryProviderParams {
        Objects.requireNonNull(provider, "provider");
        if (rxPageSize < 0) {
            throw new IllegalArgumentException("rxPageSize must be >= 0: " + rxPageSize);
        }
    }

    /** {@code provider} with the driver's default buffer size ({@code rx_page_size} 0). */
    public static MemoryProviderParams of(MemoryProvider provider) {
        return new MemoryProviderParams(provider, 0);
    }
}
