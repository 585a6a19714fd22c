package dev.netmem.rxqueue.netdev;

import dev.netmem.api.spi.MemoryProvider;
import dev.netmem.rxqueue.jfr.RxEvents;
import dev.netmem.rxqueue.nic.NetDevice;
import java.util.List;

/**
 * A memory provider bound to RX queues of one device ({@code bind-rx}'s result), owned by the
 * {@link NetdevNlSock} that created it. Closing it (or its socket) unbinds: every queue restarts
 * without the provider; buffers still held keep the old pools detached until they come home.
 *
 * <p>Thread safety: {@link #close()} is idempotent and may be called from any thread.
 */
public final class RxBinding implements AutoCloseable {
    /** What closing does (the provider-specific unbind, which closes each queue). */
    @FunctionalInterface
    interface Unbinder {
        void unbind(RxBinding binding);
    }

    private final long id;
    private final NetDevice device;
    private final MemoryProvider provider;
    private final List<Integer> queues;
    private final Unbinder unbinder;
    private final NetdevNlSock.Owner owner;
    private boolean closed;

    RxBinding(long id, NetDevice device, MemoryProvider provider, int[] queues, Unbinder unbinder,
              NetdevNlSock.Owner owner) {
        this.id = id;
        this.device = device;
        this.provider = provider;
        this.queues = java.util.Arrays.stream(queues).boxed().toList();
        this.unbinder = unbinder;
        this.owner = owner;
    }

    /** The binding id ({@code bind-rx} reply {@code id}; the dma-buf binding id for devmem). */
    public long id() {
        return id;
    }

    /** The device. */
    public NetDevice device() {
        return device;
    }

    /** The bound provider. */
    public MemoryProvider provider() {
        return provider;
    }

    /** The bound queue indices. */
    public List<Integer> queues() {
        return queues;
    }

    /** Whether the binding was closed. */
    public synchronized boolean isClosed() {
        return closed;
    }

    /** Closes every bound queue (restart without the provider), then releases the provider side. */
    void closeQueues() {
        for (int q : queues) {
            device.closeRxQueue(q, provider);
        }
    }

    /** Unbinds. Idempotent. */
    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        owner.forget(this);
        unbinder.unbind(this);
        RxEvents.unbind(device.ifindex(), queues, provider, id);
    }

    @Override
    public String toString() {
        return "RxBinding[id=" + id + ", " + device.name() + " queues=" + queues + "]";
    }
}
