/**
 * netmem memory providers: implementations of {@link dev.netmem.api.spi.MemoryProvider}.
 * <ul>
 *   <li>{@code dev.netmem.providers.host}: host pages from off-heap slabs, the default;</li>
 *   <li>{@code dev.netmem.providers.dmabuf}: shared-memory dma-bufs and devmem bindings
 *       (net/core/devmem.c);</li>
 *   <li>{@code dev.netmem.providers.zcrx}: the io_uring zero-copy receive provider and its user-side
 *       ring, usable from another process (io_uring/zcrx.c).</li>
 * </ul>
 * {@code dev.netmem.providers.internal} is not exported.
 */
module dev.netmem.providers {
    requires transitive dev.netmem.api;

    exports dev.netmem.providers.host;
    exports dev.netmem.providers.dmabuf;
    exports dev.netmem.providers.zcrx;
}
