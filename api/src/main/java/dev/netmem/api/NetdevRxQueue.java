package dev.netmem.api;

import dev.netmem.api.spi.MemoryProvider;

/**
 * Models {@code struct netdev_rx_queue} as the page pool sees it: a queue index and the memory
 * provider bound to it ({@code mp_params}).
 *
 * <p>A pool created with {@link PagePoolParams#PP_FLAG_ALLOW_UNREADABLE_NETMEM} and a queue reads
 * the queue's provider once, at creation (kernel: {@code page_pool_init} copies
 * {@code rxq->mp_params}); that is how a queue's binding reaches its page pool.
 */
public interface NetdevRxQueue {
    /** The queue index on its device ({@code queue_idx}). */
    int queueIndex();

    /** The interface index of the device the queue belongs to ({@code ifindex}, at least 1). */
    int ifindex();

    /** The memory provider bound to this queue, or {@code null} for host pages. */
    MemoryProvider memoryProvider();
}
