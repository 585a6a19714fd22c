/**
 * The netmem core: the page pool ({@code struct page_pool}), net_iov descriptors, the NAPI context
 * that owns a pool's fast cache, an emulated DMA device, and the memory-provider SPI.
 *
 * <p>{@code dev.netmem.api} is what drivers (RX queues) and applications use;
 * {@code dev.netmem.api.spi} is what memory providers implement. Everything else is internal.
 */
module dev.netmem.api {
    requires jdk.jfr; // the page pool's JFR events (dev.netmem.api.internal.jfr, not exported)

    exports dev.netmem.api;
    exports dev.netmem.api.spi;
}
