/**
 * The page pool's JFR events, one class per event, and {@link dev.netmem.api.internal.jfr.PoolEvents},
 * the only code that builds them. Not exported: recordings name the events ({@code dev.netmem.*}), not
 * the classes.
 *
 * <h2>Cost when JFR is off</h2>
 * Every hook is a static call on a slow path (create, destroy, the release retry, an allocation that
 * found no memory); it first asks a shared, never-committed instance {@code isEnabled()} and returns
 * before anything is allocated or read. The allocation fast path has no hook. Events that a busy
 * queue could raise per packet ({@code PagePoolAllocFailed}) are throttled and carry no stack trace.
 *
 * <h2>Fields</h2>
 * Every event names its pool as the netdev family does: {@code poolId}, the {@code ifindex} and
 * {@code queue} of the RX queue it serves (-1 for a pool outside any queue), the memory
 * {@code provider} ({@code host}, {@code dmabuf}, {@code io-uring}: {@link dev.netmem.api.spi.ProviderInfo#kind()})
 * and {@code providerId} (the dma-buf binding id, else 0). Counts follow the kernel's
 * {@code page_pool_release} tracepoint: {@code inflight}, {@code hold}, {@code release}.
 */
package dev.netmem.api.internal.jfr;
