package dev.netmem.providers;

import dev.netmem.api.DmaDevice;
import dev.netmem.api.NetIov;
import dev.netmem.api.NetdevRxQueue;
import dev.netmem.api.PagePoolParams;
import dev.netmem.api.spi.MemoryProvider;

/** An RX queue for tests: an index and the provider bound to it (what the rxqueue module will own). */
public record TestQueue(int queueIndex, int ifindex, MemoryProvider memoryProvider) implements NetdevRxQueue {
    /** Queue 0 of ifindex 1 bound to {@code provider}. */
    public static TestQueue of(MemoryProvider provider) {
        return new TestQueue(0, 1, provider);
    }

    /**
     * Pool parameters a driver uses on a queue bound to {@code provider}: unreadable netmem allowed,
     * DMA map and sync (a provider pool needs both), page-sized buffers on {@code device}.
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
