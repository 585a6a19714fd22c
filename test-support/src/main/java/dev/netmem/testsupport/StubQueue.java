package dev.netmem.testsupport;

import dev.netmem.api.DmaDevice;
import dev.netmem.api.NetIov;
import dev.netmem.api.NetdevRxQueue;
import dev.netmem.api.PagePoolParams;
import dev.netmem.api.spi.MemoryProvider;

/**
 * An RX queue of no device ({@code struct netdev_rx_queue} as the page pool sees it): an index, an
 * interface index and the provider bound to it, for pools a test creates outside a NIC.
 *
 * @param queueIndex     the queue index
 * @param ifindex        the interface index of its (absent) device
 * @param memoryProvider the provider bound to the queue, or {@code null} for host pages
 */
public record StubQueue(int queueIndex, int ifindex, MemoryProvider memoryProvider) implements NetdevRxQueue {
    /** Queue 0 of ifindex 1, bound to {@code provider}. */
    public static StubQueue of(MemoryProvider provider) {
        return new StubQueue(0, 1, provider);
    }

    /**
     * The pool parameters a driver uses on a queue bound to {@code provider}: unreadable netmem
     * allowed, DMA map and sync (a provider pool needs both), page-sized buffers on {@code device},
     * queue 0 of ifindex 1.
     */
    public static PagePoolParams.Builder poolParams(MemoryProvider provider, DmaDevice device) {
        return PagePoolParams.builder()
                .flags(PagePoolParams.PP_FLAG_DMA_MAP | PagePoolParams.PP_FLAG_DMA_SYNC_DEV
                        | PagePoolParams.PP_FLAG_ALLOW_UNREADABLE_NETMEM)
                .device(device)
                .maxLen(NetIov.PAGE_SIZE)
                .queue(of(provider));
    }
}
