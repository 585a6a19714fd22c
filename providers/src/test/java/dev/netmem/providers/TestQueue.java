package dev.netmem.providers;

import dev.netmem.api.NetdevRxQueue;
import dev.netmem.api.spi.MemoryProvider;

/** An RX queue for tests: an index and the provider bound to it (what the rxqueue module will own). */
public record TestQueue(int queueIndex, int ifindex, MemoryProvider memoryProvider) implements NetdevRxQueue {
    /** Queue 0 of ifindex 1 bound to {@code provider}. */
    public static TestQueue of(MemoryProvider provider) {
        return new TestQueue(0, 1, provider);
    }
}
