package dev.netmem.api;

/** Models {@code enum dma_data_direction}; the ordinals match the kernel's values. */
public enum DmaDirection {
    /** {@code DMA_BIDIRECTIONAL} (0). */
    BIDIRECTIONAL,
    /** {@code DMA_TO_DEVICE} (1). */
    TO_DEVICE,
    /** {@code DMA_FROM_DEVICE} (2). */
    FROM_DEVICE,
    /** {@code DMA_NONE} (3). */
    NONE
}
