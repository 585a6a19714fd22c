package dev.netmem.rxqueue.netdev;

import dev.netmem.api.Errno;
import dev.netmem.api.NetIov;
import dev.netmem.api.NetdevRxQueue;
import dev.netmem.api.spi.MemoryProvider;
import dev.netmem.api.spi.MemoryProviderParams;
import dev.netmem.providers.dmabuf.Dmabuf;
import dev.netmem.providers.dmabuf.DmabufBinding;
import dev.netmem.rxqueue.jfr.RxEvents;
import dev.netmem.rxqueue.nic.NetDevice;
import dev.netmem.rxqueue.nic.RxQueue;
import java.lang.ref.Cleaner;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

/**
 * Models a netlink socket of the netdev family ({@code struct netdev_nl_sock}): the handle that owns
 * RX bindings. Closing it unbinds everything it bound ({@code netdev_nl_sock_priv_destroy}). If the
 * owner goes away without closing it (the handle becomes unreachable, as a crashed process's
 * sockets are closed by the kernel), a {@link Cleaner} unbinds the same way.
 *
 * <p>Only the owner unbinds: a dma-buf binding (or a provider registered through
 * {@link #bindRx(NetDevice, ProviderRegistration, int...)}, such as a zcrx ifq) made here can be
 * unbound only through its {@link RxBinding} or this socket. Code that finds it another way
 * ({@link DmabufBinding#byId}, a queue's {@link RxQueue#memoryProvider()}) gets an
 * {@link IllegalCallerException} ({@code EPERM}) from {@link DmabufBinding#unbind()}, and the binding stays.
 *
 * <p>Thread safety: all methods may be called from any thread.
 */
public final class NetdevNlSock implements AutoCloseable {
    private static final AtomicLong NEXT_GENERIC_ID = new AtomicLong(1);
    private static final Cleaner CLEANER = Cleaner.create();

    private final Owner owner = new Owner();
    private final Cleaner.Cleanable cleanable;
    /** The opener's {@code CAP_NET_ADMIN}, checked where the kernel checks it (genetlink, io_uring). */
    private final boolean netAdmin;

    NetdevNlSock(boolean netAdmin) {
        this.netAdmin = netAdmin;
        cleanable = CLEANER.register(this, owner::closeAll); // owner never refers back to this handle
    }

    /** The bindings of one socket; what the cleaner keeps alive once the handle is gone. */
    static final class Owner {
        private final List<RxBinding> bindings = new ArrayList<>();
        private boolean closed;

        synchronized boolean add(RxBinding b) {
            if (!closed) {
                bindings.add(b);
            }
            return !closed;
        }

        synchronized boolean isClosed() {
            return closed;
        }

        synchronized void forget(RxBinding b) {
            bindings.remove(b);
        }

        synchronized List<RxBinding> bindings() {
            return List.copyOf(bindings);
        }

        void closeAll() {
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

    /**
     * {@code bind-rx} for any memory provider object: binds {@code provider} to {@code queues} of
     * {@code device} and restarts them. The checks, in order: the caller has {@code CAP_NET_ADMIN}
     * ({@link Errno#EPERM}, before anything else, as genetlink checks {@code GENL_ADMIN_PERM}), then
     * those of {@link NetDevice#openRxQueues} (device, index range, then per queue: physical device,
     * header split, {@code hds-thresh} 0, no XDP, not yet bound, no AF_XDP; a non-empty list).
     * A restart that fails ({@link Errno#ENODATA} if the new pool ignores the provider) unbinds the
     * queues bound so far and rethrows.
     *
     * @return the binding; its id is the provider's introspection id, or a fresh one if it has none
     */
    public RxBinding bindRx(NetDevice device, MemoryProvider provider, int... queues) {
        checkNetAdmin();
        long pid = provider.fill(null).id();
        return bind(device, MemoryProviderParams.of(provider), queues, pid > 0 ? pid : NEXT_GENERIC_ID.getAndIncrement(),
                RxBinding::closeQueues, q -> { });
    }

    /**
     * {@code bind-rx} with a dma-buf ({@code netdev_nl_bind_rx_doit}) and no {@code rx-buf-size}:
     * {@link #bindRx(NetDevice, DmabufAttrs, int...)} with {@link DmabufAttrs#of(Dmabuf)}, a binding of
     * page-sized net_iovs that asks the driver for no {@code rx_page_size}.
     *
     * @return the binding; its id is the devmem binding id that devmem records carry
     */
    public RxBinding bindRx(NetDevice device, Dmabuf dmabuf, int... queues) {
        return bindRx(device, DmabufAttrs.of(dmabuf), queues);
    }

    /**
     * {@code bind-rx} with a dma-buf ({@code netdev_nl_bind_rx_doit}): checks {@code rx-buf-size} if
     * present ({@link Errno#EINVAL} "rx_buf_size N must be a power of 2 &gt;= page size (4096)" unless a
     * power of two of at least {@code PAGE_SIZE}; its log2 is the binding's {@code niov_shift}, else
     * {@code PAGE_SHIFT}), then imports the dma-buf for the queues' one DMA device
     * ({@link NetDevice#bindDmaDevice}: {@code EOPNOTSUPP} if they sit behind different ones) as a
     * {@link DmabufBinding} of net_iovs that size ({@code -EINVAL} unless the dma-buf's address and size
     * are multiples of it), then binds it to {@code queues} with the checks of
     * {@link #bindRx(NetDevice, MemoryProvider, int...)}. A binding of net_iovs larger than a page
     * binds the queues with that {@code rx_page_size} ({@code net_devmem_bind_dmabuf_to_queue}): the
     * driver must list {@code QCFG_RX_PAGE_SIZE} ({@link Errno#EOPNOTSUPP}) and accept the size, and
     * the queues' pools then have buffers of that size. Any failure after the import unbinds and frees
     * the binding. Closing the returned binding (or this socket) unbinds the dma-buf, which restarts
     * every bound queue without it.
     *
     * <p>{@code rx-buf-size} models a net-next series that is not in the 6.18 kernel; see
     * {@link DmabufAttrs}.
     *
     * @return the binding; its id is the devmem binding id that devmem records carry
     */
    public RxBinding bindRx(NetDevice device, DmabufAttrs attrs, int... queues) {
        checkNetAdmin();
        Dmabuf dmabuf = attrs.dmabuf();
        return bindRx(device, new ProviderRegistration<DmabufBinding>() {
            @Override
            public DmabufBinding create(Object owner, Consumer<NetdevRxQueue> closeQueue) {
                checkOpen(); // a closed socket reports that before any queue is looked at
                int niovShift = niovShift(attrs.rxBufSize()); // before the binding is created
                // netdev_nl_get_dma_dev: the queues' one DMA device, before the import
                return DmabufBinding.bind(dmabuf, device.bindDmaDevice(queues), niovShift, closeQueue, owner);
            }

            @Override
            public int rxPageSize(DmabufBinding binding) {
                // net_devmem_bind_dmabuf_to_queue: mp_params.rx_page_size only for net_iovs larger than a page
                return binding.niovShift() != NetIov.PAGE_SHIFT ? binding.niovSize() : 0;
            }

            @Override
            public long id(DmabufBinding binding) {
                return binding.id();
            }

            @Override
            public void queueBound(DmabufBinding binding, NetdevRxQueue queue) {
                binding.addQueue(queue);
            }

            @Override
            public void release(DmabufBinding binding, Object owner) {
                binding.unbind(owner);
            }
        }, queues);
    }

    /**
     * A provider that a binding made through this socket creates and owns: a dma-buf binding, or a
     * provider of a layer above the netdev family (io_uring's zcrx ifq, {@code IORING_REGISTER_ZCRX_IFQ},
     * which the kernel ties to its io_uring instance as devmem ties bindings to this socket).
     *
     * @param <P> the provider type
     */
    public interface ProviderRegistration<P extends MemoryProvider> {
        /**
         * Creates the provider. {@code owner} is this socket's owner token: only a release with it
         * may free the provider ({@code EPERM} for anyone else). {@code closeQueue} is the provider's
         * queue-close hook ({@code __net_mp_close_rxq} on the device).
         */
        P create(Object owner, Consumer<NetdevRxQueue> closeQueue);

        /** The binding id to report (the provider's own id). */
        long id(P provider);

        /** Called for each queue once it is bound and restarted on the provider. */
        void queueBound(P provider, NetdevRxQueue queue);

        /** Unbinds and releases the provider as its owner; idempotent. */
        void release(P provider, Object owner);

        /**
         * The {@code rx_page_size} of the provider's {@code pp_memory_provider_params}: the receive
         * buffer size it needs from the driver, or 0 (the default) for the driver's own.
         */
        default int rxPageSize(P provider) {
            return 0;
        }
    }

    /**
     * {@code bind-rx} for a provider created by {@code registration}, owned by this socket: creates
     * it, binds it to {@code queues} with the checks of {@link #bindRx(NetDevice, MemoryProvider, int...)}
     * and reports each bound queue to it. Closing the returned binding (or this socket) releases it,
     * which restarts every bound queue without it. If binding fails the provider is released.
     */
    public <P extends MemoryProvider> RxBinding bindRx(NetDevice device, ProviderRegistration<P> registration,
                                                       int... queues) {
        checkNetAdmin(); // io_register_zcrx_ifq checks CAP_NET_ADMIN first too
        AtomicReference<P> self = new AtomicReference<>();
        Owner o = owner; // a local: the unbind lambda must not capture this handle (the cleaner needs it unreachable)
        P provider = registration.create(o, closeHook(device, self::get));
        self.set(provider);
        try {
            return bind(device, new MemoryProviderParams(provider, registration.rxPageSize(provider)), queues,
                    registration.id(provider), b -> registration.release(provider, o),
                    q -> registration.queueBound(provider, q));
        } catch (RuntimeException e) {
            registration.release(provider, o);
            throw e;
        }
    }

    /**
     * {@code rx-buf-size} to {@code niov_shift}: absent is {@code PAGE_SHIFT}; present, a power of two
     * of at least {@code PAGE_SIZE} ({@code -EINVAL} otherwise, 0 included), its log2.
     */
    private static int niovShift(OptionalInt rxBufSize) {
        if (rxBufSize.isEmpty()) {
            return NetIov.PAGE_SHIFT;
        }
        long size = Integer.toUnsignedLong(rxBufSize.getAsInt()); // the attribute is a u32
        if (Long.bitCount(size) != 1 || size < NetIov.PAGE_SIZE) {
            throw Errno.EINVAL.exception("rx_buf_size " + size + " must be a power of 2 >= page size ("
                    + NetIov.PAGE_SIZE + ")");
        }
        return Long.numberOfTrailingZeros(size);
    }

    private void checkOpen() {
        if (owner.isClosed()) {
            throw new IllegalStateException("netdev netlink socket is closed");
        }
    }

    private void checkNetAdmin() {
        if (!netAdmin) {
            throw Errno.EPERM.exception("operation needs CAP_NET_ADMIN");
        }
    }

    /** Whether the opener has {@code CAP_NET_ADMIN}. */
    public boolean netAdmin() {
        return netAdmin;
    }

    /** The provider's queue-close hook: {@code __net_mp_close_rxq} on this device. */
    private static Consumer<NetdevRxQueue> closeHook(NetDevice device,
                                                     java.util.function.Supplier<? extends MemoryProvider> mp) {
        return q -> device.closeRxQueue(q.queueIndex(), mp.get());
    }

    private RxBinding bind(NetDevice device, MemoryProviderParams params, int[] queues, long id,
                           RxBinding.Unbinder unbinder, Consumer<RxQueue> onBound) {
        checkOpen();
        MemoryProvider provider = params.provider();
        int[] qs = queues.clone();
        device.openRxQueues(params, qs);
        for (int q : qs) {
            onBound.accept(device.rxQueue(q));
        }
        RxBinding b = new RxBinding(id, device, provider, qs, unbinder, owner);
        RxEvents.bind(device.ifindex(), b.queues(), provider, id);
        if (!owner.add(b)) {
            b.close();
            throw new IllegalStateException("netdev netlink socket is closed");
        }
        return b;
    }

    /** The live bindings this socket owns. */
    public List<RxBinding> bindings() {
        return owner.bindings();
    }

    /** Closes the socket and every binding it owns. Idempotent. */
    @Override
    public void close() {
        cleanable.clean();
    }
}
