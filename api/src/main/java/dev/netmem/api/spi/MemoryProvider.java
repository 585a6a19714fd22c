package dev.netmem.api.spi;

import dev.netmem.api.NetIov;
import dev.netmem.api.NetdevRxQueue;

/**
 * Models {@code struct memory_provider_ops}: where a page pool's buffers come from when its cache
 * and ring are empty, and where they go when they leave the pool.
 *
 * <p>Contract, per operation:
 * <ul>
 *   <li>{@link #init}: validate the pool and take a reference on the provider object; throw to abort
 *       pool creation. Called once, before any allocation.</li>
 *   <li>{@link #allocNetmems}: called only in the pool's allocation context (its NAPI) when the fast
 *       cache is empty. Each buffer handed to the pool must first be accounted with
 *       {@link PoolContext#setPagePool} ({@code hold_cnt++}); the provider may place extra buffers in
 *       the cache with {@link PoolContext#placeInCache} and returns one buffer, or {@code null} when it
 *       has none.</li>
 *   <li>{@link #releaseNetmem}: called from the pool's single release path, on any thread, exactly once
 *       per buffer leaving the pool. A net_iov provider takes the buffer back
 *       ({@link PoolContext#clearPagePool}) and returns {@code false}; a host-page provider returns
 *       {@code true} so the pool frees it as a page ({@code put_page}).</li>
 *   <li>{@link #destroy}: drop the reference taken by init; called once, after the pool's last buffer
 *       came home.</li>
 *   <li>{@link #fill}: describe the provider for introspection.</li>
 *   <li>{@link #uninstall}: the queue loses the provider because its device is going away.</li>
 * </ul>
 */
public interface MemoryProvider {
    /**
     * {@code page_pool_is_unreadable()}: whether buffers are net_iovs the stack cannot read. A readable
     * provider serves host pages: the pool DMA-maps them itself, counts {@code slow} allocations and
     * applies the NUMA filter, as the kernel does when no {@code mp_ops} is set.
     */
    default boolean unreadable() {
        return true;
    }

    /** {@code init}. */
    void init(PoolContext pool);

    /** {@code alloc_netmems}. Caller: the pool's allocation context. */
    NetIov allocNetmems(PoolContext pool);

    /** {@code release_netmem}; returns whether the pool must free the buffer as a page. Any thread. */
    boolean releaseNetmem(PoolContext pool, NetIov netmem);

    /** {@code destroy}. */
    void destroy(PoolContext pool);

    /** {@code nl_fill}: {@code rxq} is the queue being described, or {@code null} for a page pool. */
    ProviderInfo fill(NetdevRxQueue rxq);

    /** {@code uninstall}. */
    void uninstall(NetdevRxQueue rxq);

    /**
     * The dma-buf binding id that devmem records carry for this provider's buffers
     * ({@code net_devmem_iov_binding_id}), or 0 for memory that is not a dma-buf. Called for every
     * devmem frag a socket reports: must not allocate.
     */
    default long bindingId() {
        return 0;
    }
}
