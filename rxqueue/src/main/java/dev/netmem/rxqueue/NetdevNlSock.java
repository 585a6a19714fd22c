package dev.netmem.rxqueue;

import dev.netmem.api.spi.MemoryProvider;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Models a netlink socket of the netdev family ({@code struct netdev_nl_sock}): the handle that owns
 * RX bindings. Closing it unbinds everything it bound, as the kernel does when the process that
 * bound a dma-buf exits ({@code netdev_nl_sock_priv_destroy}).
 *
 * <p>Thread safety: all methods may be called from any thread.
 */
public final class NetdevNlSock implements AutoCloseable {
    private static final AtomicLong NEXT_GENERIC_ID = new AtomicLong(1);

    private final List<RxBinding> bindings = new ArrayList<>();
    private boolean closed;

    NetdevNlSock() {
    }

    /**
     * {@code bind-rx} for any memory provider object: binds {@code provider} to {@code queues} of
     * {@code device} and restarts them. The checks, in order, for each queue: index in range
     * ({@link Errno#ERANGE} "rx queue index out of range"), header split on ({@link Errno#EINVAL}
     * "tcp-data-split is disabled"), not already bound ({@link Errno#EEXIST} "designated queue already
     * memory provider bound"); then a non-empty list ({@link Errno#EINVAL} "no rx queues to bind").
     * A restart that fails ({@link Errno#ENODATA} if the new pool ignores the provider) unbinds the
     * queues bound so far and rethrows.
     *
     * @return the binding; its id is the provider's introspection id, or a fresh one if it has none
     */
    public RxBinding bindRx(NetDevice device, MemoryProvider provider, int... queues) {
        long pid = provider.fill(null).id();
        return bind(device, provider, queues, pid > 0 ? pid : NEXT_GENERIC_ID.getAndIncrement(),
                RxBinding::closeQueues);
    }

    RxBinding bind(NetDevice device, MemoryProvider provider, int[] queues, long id, RxBinding.Unbinder unbinder) {
        synchronized (this) {
            if (closed) {
                throw new IllegalStateException("netdev netlink socket is closed");
            }
        }
        device.openRxQueues(provider, queues.clone());
        RxBinding b = new RxBinding(id, device, provider, queues.clone(), unbinder, this);
        boolean lateClose;
        synchronized (this) {
            lateClose = closed;
            if (!lateClose) {
                bindings.add(b);
            }
        }
        if (lateClose) {
            b.close();
            throw new IllegalStateException("netdev netlink socket is closed");
        }
        return b;
    }

    synchronized void forget(RxBinding b) {
        bindings.remove(b);
    }

    /** The live bindings this socket owns. */
    public synchronized List<RxBinding> bindings() {
        return List.copyOf(bindings);
    }

    /** Closes the socket and every binding it owns. Idempotent. */
    @Override
    public void close() {
        List<RxBinding> toClose;
        synchronized (this) {
            closed = true;
            toClose = new ArrayList<>(bindings);
        }
        for (RxBinding b : toClose) {
            b.close();
        }
    }
}
