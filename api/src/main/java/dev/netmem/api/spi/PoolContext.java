package dev.netmem.api.spi;

import dev.netmem.api.NetIov;
import dev.netmem.api.PagePool;
import dev.netmem.api.PagePoolParams;

/**
 * The page pool as a memory provider sees it: the pool plus the provider support functions the
 * kernel exports to providers ({@code net_mp_niov_set_page_pool}, {@code net_mp_niov_clear_page_pool},
 * {@code net_mp_netmem_place_in_cache}, {@code net_mp_niov_set_dma_addr}).
 *
 * <p>Only providers see this view; drivers and applications use {@link PagePool}.
 */
public interface PoolContext {
    /** The pool. */
    PagePool pool();

    /** The pool's parameters. */
    PagePoolParams params();

    /**
     * The NUMA node to allocate host pages from now: {@code pool->p.nid}, which
     * {@link PagePool#updateNid} changes ({@link NetIov#NUMA_NO_NODE} = the local node).
     */
    int nid();

    /** {@code pool->alloc.count}. Caller: allocation context. */
    int allocCacheCount();

    /**
     * {@code net_mp_netmem_place_in_cache}: pushes a buffer already accounted to this pool onto the
     * fast cache. Caller: allocation context, with room in the cache.
     *
     * @throws IllegalStateException if the cache is full or the buffer is not this pool's
     */
    void placeInCache(NetIov netmem);

    /**
     * {@code net_mp_niov_set_page_pool}: makes the pool the buffer's owner ({@code set_pp_info},
     * {@code pp_ref_count = 1}) and counts it held ({@code hold_cnt++}). For a readable provider on a
     * pool with {@code PP_FLAG_DMA_MAP} it first maps the buffer; if mapping fails nothing is
     * accounted and this returns {@code false}: the provider keeps the buffer.
     * Caller: allocation context.
     */
    boolean setPagePool(NetIov netmem);

    /** {@code net_mp_niov_clear_page_pool}: clears the buffer's pool link and signature. */
    void clearPagePool(NetIov netmem);

    /** {@code net_mp_niov_set_dma_addr}. */
    void setDmaAddr(NetIov netmem, long dmaAddr);

    /** Turns off DMA syncs for the device on this pool (dmabuf memory must not be synced). Caller: init. */
    void disableDmaSync();

    /**
     * Clears the pool's {@code dma_sync_for_cpu}, so {@link dev.netmem.api.PagePool#dmaSyncNetmemForCpu}
     * does nothing: provider memory the CPU never reads through the pool's mapping (dma-buf, zcrx
     * user memory) must not be synced for it. Caller: init.
     */
    void disableDmaSyncForCpu();

    /** {@code page_pool_dma_sync_for_device}: syncs {@code min(size, maxLen)} bytes if syncs are on. */
    void dmaSyncForDevice(NetIov netmem, int size);
}
