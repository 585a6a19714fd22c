package dev.netmem.providers.dmabuf;

import dev.netmem.api.DmaDevice;
import dev.netmem.api.DmaDirection;
import dev.netmem.api.NetIov;
import dev.netmem.api.NetIovArea;
import dev.netmem.api.NetIovType;
import dev.netmem.api.NetdevRxQueue;
import dev.netmem.api.PagePoolParams;
import dev.netmem.api.spi.MemoryProvider;
import dev.netmem.api.spi.PoolContext;
import dev.netmem.api.spi.ProviderInfo;
import dev.netmem.providers.internal.CyclicIds;
import dev.netmem.providers.internal.IndexFreelist;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * Models {@code struct net_devmem_dmabuf_binding} and its provider ops ({@code dmabuf_devmem_ops},
 * net/core/devmem.c): a {@link Dmabuf} imported for a DMA device and carved into net_iovs
 * ({@link NetIovType#DMABUF}) of {@code 1 << niov_shift} bytes that the page pools of the bound RX
 * queues allocate from. {@code niov_shift} is {@code PAGE_SHIFT} (4 KiB net_iovs, the 6.18 kernel)
 * unless bind-rx asked for larger receive buffers ({@code NETDEV_A_DMABUF_RX_BUF_SIZE}, a net-next
 * series not in 6.18; see {@link #bind(Dmabuf, DmaDevice, int, Consumer, Object)}).
 *
 * <p>Chunk {@code i} lives at offset {@code i << niov_shift} of the dma-buf
 * ({@link NetIov#virtualAddress()}, the {@code frag_offset} a devmem socket reports) and at device
 * address {@code base + (i << niov_shift)}, where {@code base} is the IOVA the device mapped the whole
 * dma-buf at. A genpool-like index allocator hands chunks out, a whole net_iov each; a chunk is
 * either free or out, never lost, never handed out twice.
 *
 * <h2>References</h2>
 * The binding is freed when its reference count reaches zero. References are held by the owner
 * (from {@link #bind} until {@link #unbind}) and by each page pool using the binding (provider
 * {@code init} to {@code destroy}). A buffer out of the genpool holds none: its pool does, and a
 * pool is not destroyed while its buffers are in flight (devmem.c: RX net_iovs take no binding
 * reference).
 *
 * <h2>Lifecycle</h2>
 * {@code BOUND → UNBOUND → FREED}. {@link #unbind()} erases the id, stops handing out chunks (even
 * if some are free), calls the queue-close hook for each bound queue (the RX-queue layer restarts the
 * queue without the provider: {@code __net_mp_close_rxq}) and drops the owner reference. Buffers
 * still out come home through their pools' release path; the last reference unmaps the dma-buf and
 * drops the binding's dma-buf reference. If chunks were still out at that point (a buffer whose
 * release was refused, for a {@code pp_ref_count} other than 1, keeps its chunk while its pool
 * counts it released), the binding logs the kernel's "can't destroy genpool" warning and leaks only
 * the chunk allocator ({@code LEAKED}): the dma-buf is still unmapped and its reference dropped, as
 * {@code __net_devmem_dmabuf_binding_free} does.
 *
 * <p>Each binding carves the whole dma-buf into chunks of its own (the kernel gives each binding its
 * own genpool): nothing ties two bindings of one dma-buf. Binding a dma-buf again before its last
 * binding is {@link #isFreed() freed} hands out chunks whose bytes a socket or the application may
 * still be reading, and the NIC overwrites them; wait for {@link #isFreed()} first.
 *
 * <h2>Execution contexts</h2>
 * {@code allocNetmems}: the pool's allocation context (NAPI). {@code releaseNetmem}, queries and
 * {@link #unbind()}: any thread. {@link #bind}, {@link #addQueue} and {@link #uninstall}: the control
 * path (the device lock of the RX-queue layer).
 */
public final class DmabufBinding implements MemoryProvider {
    /** The lifecycle state. */
    public enum State {
        /** Handing out chunks to the pools of the bound queues. */
        BOUND,
        /** {@link #unbind()} ran; buffers may still be out. */
        UNBOUND,
        /** Every buffer came home and the last reference is gone: unmapped, dma-buf released. */
        FREED,
        /**
         * The last reference went while chunks were out ("can't destroy genpool"): the chunk
         * allocator is leaked; the dma-buf was still unmapped and released.
         */
        LEAKED
    }

    private static final System.Logger LOG = System.getLogger("dev.netmem.devmem");
    private static final CyclicIds<DmabufBinding> IDS = new CyclicIds<>();

    private final int id;
    private final Dmabuf dmabuf;
    private final DmaDevice dmaDevice;
    private final long dmaBase;
    /** {@code niov_shift}: log2 of the net_iov size; the pools' order is {@code niov_shift - PAGE_SHIFT}. */
    private final int niovShift;
    private final NetIovArea area;
    private final IndexFreelist chunks;
    private final Consumer<NetdevRxQueue> closeQueue;
    /** Who may {@link #unbind(Object)}; {@code null} for a binding any holder may unbind. */
    private final Object owner;
    private final CopyOnWriteArrayList<NetdevRxQueue> queues = new CopyOnWriteArrayList<>();
    private final AtomicInteger refs = new AtomicInteger(1);
    private final AtomicInteger pools = new AtomicInteger();
    private final AtomicLong releaseErrors = new AtomicLong();
    private volatile State state = State.BOUND;
    /** {@code binding->dev}: cleared when the last queue is uninstalled. */
    private volatile DmaDevice dev;

    private DmabufBinding(Dmabuf dmabuf, DmaDevice device, long dmaBase, int niovShift,
                          Consumer<NetdevRxQueue> closeQueue, Object owner) {
        this.dmabuf = dmabuf;
        this.owner = owner;
        this.dmaDevice = device;
        this.dev = device;
        this.dmaBase = dmaBase;
        this.niovShift = niovShift;
        this.closeQueue = closeQueue;
        // num_niovs = len >> niov_shift; net_iov i at base + (i << niov_shift)
        this.area = new NetIovArea(dmabuf.segment(), niovShift - NetIov.PAGE_SHIFT, NetIovType.DMABUF, 0, dmaBase,
                NetIov.NUMA_NO_NODE, null);
        this.chunks = new IndexFreelist(area.numNiovs());
        this.id = IDS.alloc(this);
    }

    /**
     * {@code net_devmem_bind_dmabuf} with page-sized net_iovs ({@code niov_shift = PAGE_SHIFT}):
     * imports {@code dmabuf} for {@code device} (takes a dma-buf reference, maps it
     * {@code FROM_DEVICE}), builds one net_iov per page and registers the binding under a fresh cyclic
     * id (at least 1). Control path.
     *
     * @param dmabuf     the memory; its size must be a multiple of {@link NetIov#PAGE_SIZE}
     * @param device     the DMA device of the queues to bind ({@code netdev_queue_get_dma_dev})
     * @param closeQueue called by {@link #unbind()} once per bound queue, to restart it without this
     *                   provider ({@code __net_mp_close_rxq}); supplied by the RX-queue layer
     * @throws UnsupportedOperationException if {@code device} is null ({@code -EOPNOTSUPP})
     * @throws IllegalArgumentException      if the size is not a whole number of pages
     * @throws IllegalStateException         if the dma-buf is closed or cannot be mapped
     */
    public static DmabufBinding bind(Dmabuf dmabuf, DmaDevice device, Consumer<NetdevRxQueue> closeQueue) {
        return bind(dmabuf, device, closeQueue, null);
    }

    /**
     * {@link #bind(Dmabuf, DmaDevice, Consumer)} for an owner: only {@link #unbind(Object)} with the
     * same {@code owner} unbinds it. The kernel ties a binding to the netlink socket that made it
     * ({@code netdev_nl_sock}); the RX-queue layer passes an object only that socket holds, so code that
     * finds the binding by id ({@link #byId}) or through a queue's provider cannot unbind it.
     *
     * @param owner the owner, or {@code null} for a binding any holder may unbind
     * @throws UnsupportedOperationException if {@code device} is null ({@code -EOPNOTSUPP})
     * @throws IllegalArgumentException      if the size is not a whole number of pages
     * @throws IllegalStateException         if the dma-buf is closed or cannot be mapped
     */
    public static DmabufBinding bind(Dmabuf dmabuf, DmaDevice device, Consumer<NetdevRxQueue> closeQueue,
                                     Object owner) {
        return bind(dmabuf, device, NetIov.PAGE_SHIFT, closeQueue, owner);
    }

    /**
     * {@code net_devmem_bind_dmabuf} with net_iovs of {@code 1 << niovShift} bytes (the net-next
     * series that adds bind-rx's {@code rx-buf-size}; not in 6.18): imports and maps {@code dmabuf} as
     * {@link #bind(Dmabuf, DmaDevice, Consumer, Object)} does, then requires its one scatterlist entry
     * (the whole dma-buf: its DMA address and length) to be aligned to the net_iov size, and carves it
     * into {@code size >> niovShift} net_iovs; net_iov {@code i} is at dma-buf offset
     * {@code i << niovShift} and device address {@code base + (i << niovShift)}. The pools of the bound
     * queues must have order {@code niovShift - PAGE_SHIFT} ({@link #init}). The caller checked the size
     * asked for (bind-rx: a power of two of at least {@code PAGE_SIZE}). Control path.
     *
     * @param niovShift log2 of the net_iov size, in {@code [PAGE_SHIFT, 31]} (a {@code u32} size);
     *                  netmem's net_iovs are at most {@code PAGE_SIZE << MAX_PAGE_ORDER} (4 MiB), so a
     *                  larger one the dma-buf is aligned to is refused after the alignment check
     * @param owner     the owner, or {@code null} for a binding any holder may unbind
     * @throws UnsupportedOperationException if {@code device} is null ({@code -EOPNOTSUPP})
     * @throws IllegalArgumentException      if {@code niovShift} is out of range; if the size is not a
     *                                       whole number of pages; after the import, if the dma-buf's
     *                                       address or size is not a multiple of the net_iov size
     *                                       ({@code -EINVAL} "dmabuf sg entry ... not aligned to niov size"),
     *                                       or the net_iov is above 4 MiB (the import undone either way)
     * @throws IllegalStateException         if the dma-buf is closed or cannot be mapped
     */
    public static DmabufBinding bind(Dmabuf dmabuf, DmaDevice device, int niovShift,
                                     Consumer<NetdevRxQueue> closeQueue, Object owner) {
        Objects.requireNonNull(dmabuf, "dmabuf");
        Objects.requireNonNull(closeQueue, "closeQueue");
        if (niovShift < NetIov.PAGE_SHIFT || niovShift > Integer.SIZE - 1) {
            throw new IllegalArgumentException("niovShift must be in [" + NetIov.PAGE_SHIFT + ", "
                    + (Integer.SIZE - 1) + "]: " + niovShift);
        }
        if (device == null) {
            throw new UnsupportedOperationException("EOPNOTSUPP: Device doesn't support DMA");
        }
        long size = dmabuf.size();
        if (size % NetIov.PAGE_SIZE != 0) {
            throw new IllegalArgumentException("dmabuf size " + size + " is not a multiple of PAGE_SIZE "
                    + NetIov.PAGE_SIZE);
        }
        dmabuf.get();
        long base = device.map(size, DmaDirection.FROM_DEVICE);
        if (base == DmaDevice.DMA_MAPPING_ERROR) {
            dmabuf.close();
            throw new IllegalStateException("ENOMEM: " + device + " cannot map " + dmabuf);
        }
        String refused = checkSgEntry(base, size, niovShift);
        if (refused == null && niovShift > NetIov.PAGE_SHIFT + PagePoolParams.MAX_PAGE_ORDER) {
            refused = "niov size " + (1L << niovShift) + " is above netmem's largest net_iov, "
                    + (NetIov.PAGE_SIZE << PagePoolParams.MAX_PAGE_ORDER) + " (PAGE_SIZE << MAX_PAGE_ORDER)";
        }
        if (refused != null) { // the import undone: unmap, drop the dma-buf reference
            device.unmap(base, size, DmaDirection.FROM_DEVICE);
            dmabuf.close();
            throw new IllegalArgumentException(refused);
        }
        return new DmabufBinding(dmabuf, device, base, niovShift, closeQueue, owner);
    }

    /**
     * The per-entry check of {@code net_devmem_bind_dmabuf}: a scatterlist entry's DMA address and
     * length must both be multiples of the net_iov size, else {@code -EINVAL} with the kernel's
     * message ({@code %pad} prints the address as 16 hex digits). Returns that message, or
     * {@code null} when the entry is aligned.
     */
    static String checkSgEntry(long dmaAddr, long len, int niovShift) {
        long niovSize = 1L << niovShift;
        if ((dmaAddr & (niovSize - 1)) == 0 && (len & (niovSize - 1)) == 0) {
            return null;
        }
        return "EINVAL: dmabuf sg entry (addr=0x" + String.format("%016x", dmaAddr) + ", len=" + len
                + ") not aligned to niov size " + niovSize;
    }

    /** The live (not yet unbound) binding with this id ({@code net_devmem_lookup_dmabuf}). */
    public static Optional<DmabufBinding> byId(int id) {
        return IDS.get(id);
    }

    // =====================================================================================
    // Queue binding (control path)
    // =====================================================================================

    /**
     * Records {@code rxq} as bound ({@code bound_rxqs}); the RX-queue layer calls this after it set
     * the queue's provider to this binding ({@code net_devmem_bind_dmabuf_to_queue}).
     *
     * @throws IllegalStateException if the binding is unbound or the queue is already bound
     */
    public void addQueue(NetdevRxQueue rxq) {
        Objects.requireNonNull(rxq, "rxq");
        synchronized (this) {
            if (state != State.BOUND) {
                throw unbound();
            }
            if (queues.contains(rxq)) {
                throw new IllegalStateException("queue " + rxq.queueIndex() + " is already bound to devmem binding "
                        + id);
            }
            queues.add(rxq);
            dev = dmaDevice;
        }
    }

    /** The queues bound now, in binding order. */
    public List<NetdevRxQueue> boundQueues() {
        return List.copyOf(queues);
    }

    /**
     * {@code net_devmem_unbind_dmabuf}: erases the id, stops handing out chunks, calls the queue-close
     * hook for every bound queue and drops the owner's reference. Any thread. A hook that throws is
     * logged and the remaining queues are still closed (the kernel WARNs and goes on).
     *
     * @return the chunks still out when the owner reference was dropped; the binding is freed when
     *         the pools using it are released, which they are once those chunks came home
     * @throws IllegalCallerException if the binding has an owner ({@code EPERM}): use
     *                                {@link #unbind(Object)}
     * @throws IllegalStateException  if the binding was already unbound
     */
    public int unbind() {
        return unbind(null);
    }

    /**
     * {@link #unbind()} by the owner given to {@link #bind(Dmabuf, DmaDevice, Consumer, Object)}.
     *
     * @throws IllegalCallerException if {@code caller} is not the owner ({@code EPERM}); nothing changes
     * @throws IllegalStateException  if the binding was already unbound
     */
    public int unbind(Object caller) {
        if (caller != owner) {
            throw new IllegalCallerException("EPERM: devmem binding " + idString()
                    + " belongs to another netdev netlink socket; only its owner can unbind it");
        }
        synchronized (this) {
            if (state != State.BOUND) {
                throw new IllegalStateException("devmem binding " + idString() + " is already unbound");
            }
            state = State.UNBOUND;
        }
        IDS.erase(id, this);
        for (NetdevRxQueue q : queues) {
            try {
                closeQueue.accept(q);
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "devmem binding " + idString() + ": closing queue " + q.queueIndex()
                        + " failed", e);
            }
        }
        queues.clear();
        int out = chunks.outCount();
        put();
        return out;
    }

    // =====================================================================================
    // Provider ops (dmabuf_devmem_ops)
    // =====================================================================================

    /**
     * {@code mp_dmabuf_devmem_init}: turns off DMA syncs (dma-buf memory must not be synced), requires
     * the pool's buffers to be the binding's net_iovs (order {@code niov_shift - PAGE_SHIFT}, 0 for a
     * binding of page-sized net_iovs) and takes a binding reference for the pool.
     *
     * @throws IllegalStateException    if the binding is unbound ({@code -EINVAL})
     * @throws IllegalArgumentException if the pool's order is another ({@code -E2BIG})
     */
    @Override
    public void init(PoolContext pool) {
        if (state != State.BOUND) {
            throw new IllegalStateException("EINVAL: devmem binding " + idString() + " is unbound");
        }
        pool.disableDmaSync();
        pool.disableDmaSyncForCpu(); // mp_dmabuf_devmem_init: dma-buf addresses are never synced
        int order = pool.params().order();
        if (order != niovShift - NetIov.PAGE_SHIFT) {
            throw new IllegalArgumentException("E2BIG: devmem binding " + idString() + " serves order-"
                    + (niovShift - NetIov.PAGE_SHIFT) + " buffers only, got order " + order);
        }
        refs.incrementAndGet();
        pools.incrementAndGet();
    }

    /**
     * {@code mp_dmabuf_devmem_alloc_netmems}: one chunk from the genpool, accounted to the pool
     * ({@code set_pp_info}, {@code hold++}); never fills the cache. Caller: the pool's allocation
     * context.
     *
     * @return the buffer, or {@code null} when the genpool is empty or the binding is unbound
     */
    @Override
    public NetIov allocNetmems(PoolContext pool) {
        if (state != State.BOUND) {
            return null;
        }
        int idx = chunks.pop();
        if (idx < 0) {
            return null;
        }
        NetIov niov = area.niov(idx);
        pool.setPagePool(niov);
        return niov;
    }

    /**
     * {@code mp_dmabuf_devmem_release_page}: takes the chunk back into the genpool. A buffer that is
     * not one of this binding's chunks, or whose {@code pp_ref_count} is not 1, or whose chunk is
     * already free, is refused: logged, counted in {@link #releaseErrors()}, and its chunk stays out
     * rather than being freed while someone may still use it (the pool still counts it released).
     * Any thread.
     *
     * @return {@code false}: a net_iov is never freed as a page
     */
    @Override
    public boolean releaseNetmem(PoolContext pool, NetIov netmem) {
        if (netmem.owner() != area) {
            return releaseError(netmem + " is not a chunk of devmem binding " + idString());
        }
        long ref = netmem.ppRefCount();
        if (ref != 1) {
            return releaseError("devmem binding " + idString() + ": release of " + netmem + " with pp_ref_count " + ref
                    + " (must be 1); chunk kept out");
        }
        pool.clearPagePool(netmem);
        if (!chunks.push(netmem.index())) {
            return releaseError("devmem binding " + idString() + ": chunk " + netmem.index() + " is already free");
        }
        return false;
    }

    private boolean releaseError(String msg) {
        releaseErrors.incrementAndGet();
        LOG.log(System.Logger.Level.WARNING, msg);
        return false;
    }

    /** {@code mp_dmabuf_devmem_destroy}: drops the pool's binding reference. */
    @Override
    public void destroy(PoolContext pool) {
        pools.decrementAndGet();
        put();
    }

    /** {@code mp_dmabuf_devmem_nl_fill}: {@code ("dmabuf", id)}. */
    @Override
    public ProviderInfo fill(NetdevRxQueue rxq) {
        return new ProviderInfo("dmabuf", Integer.toUnsignedLong(id));
    }

    @Override
    public long bindingId() {
        return id;
    }

    /**
     * {@code mp_dmabuf_devmem_uninstall}: the queue's device is going away; forget the queue, and when
     * the last one goes, the device ({@code binding->dev = NULL}). Control path.
     */
    @Override
    public void uninstall(NetdevRxQueue rxq) {
        synchronized (this) {
            queues.remove(rxq);
            if (queues.isEmpty()) {
                dev = null;
            }
        }
    }

    // =====================================================================================
    // References and free
    // =====================================================================================

    private void put() {
        if (refs.decrementAndGet() == 0) {
            free();
        }
    }

    /**
     * {@code __net_devmem_dmabuf_binding_free}: with chunks still out, WARN "can't destroy genpool"
     * and leak the chunk allocator only; either way unmap the dma-buf and drop its reference.
     */
    private void free() {
        int out = chunks.outCount();
        State end = State.FREED;
        if (out != 0) {
            LOG.log(System.Logger.Level.WARNING, "devmem binding " + idString() + ": can't destroy genpool. size="
                    + ((long) chunks.size() << niovShift) + ", avail=" + ((long) chunks.freeCount() << niovShift));
            end = State.LEAKED;
        }
        dmaDevice.unmap(dmaBase, dmabuf.size(), DmaDirection.FROM_DEVICE);
        dmabuf.close();
        state = end;
    }

    // =====================================================================================
    // Queries (any thread)
    // =====================================================================================

    /**
     * The binding id: a u32 held in an {@code int} ({@code xa_alloc_cyclic} over {@code [1, 2^32 - 1]}),
     * unique among live bindings; past {@code 2^31 - 1} it is negative as an {@code int}, so print it
     * with {@link #idString()}.
     */
    public int id() {
        return id;
    }

    /** {@link #id()} as an unsigned decimal, as netlink reports it. */
    public String idString() {
        return Integer.toUnsignedString(id);
    }

    /** Test hook: the next id to try; returns the previous value. */
    static int nextIdForTest(int next) {
        return IDS.nextForTest(next);
    }

    /** The imported dma-buf. */
    public Dmabuf dmabuf() {
        return dmabuf;
    }

    /** {@code binding->dev}: the DMA device, or {@code null} once the last queue was uninstalled. */
    public DmaDevice device() {
        return dev;
    }

    /** The device address of chunk 0. */
    public long dmaBase() {
        return dmaBase;
    }

    /** {@code binding->niov_shift}: log2 of the net_iov size ({@code PAGE_SHIFT} unless bind-rx set {@code rx-buf-size}). */
    public int niovShift() {
        return niovShift;
    }

    /** {@code 1 << niov_shift}: the bytes of each net_iov, the genpool's allocation unit. */
    public int niovSize() {
        return 1 << niovShift;
    }

    /** The chunks as net_iovs ({@code owner->area}); chunk {@code i} is at dma-buf offset {@code i << niov_shift}. */
    public NetIovArea area() {
        return area;
    }

    /** The lifecycle state. */
    public State state() {
        return state;
    }

    /** Whether the binding was freed (every chunk home, memory unmapped). */
    public boolean isFreed() {
        return state == State.FREED;
    }

    /** Chunks out of the genpool (in pools, sockets or user hands). */
    public int chunksOut() {
        return chunks.outCount();
    }

    /** Chunks free in the genpool. */
    public int chunksAvail() {
        return chunks.freeCount();
    }

    /** References held: owner + pools. */
    public int refCount() {
        return refs.get();
    }

    /** Pools currently using the binding. */
    public int poolCount() {
        return pools.get();
    }

    /** Releases refused by {@code releaseNetmem} (wrong buffer, {@code pp_ref_count != 1}, double free). */
    public long releaseErrors() {
        return releaseErrors.get();
    }

    private IllegalStateException unbound() {
        return new IllegalStateException("devmem binding " + idString() + " is unbound");
    }

    @Override
    public String toString() {
        return "DmabufBinding[id=" + id + ", " + state + ", " + chunks.outCount() + "/" + chunks.size()
                + " chunks out]";
    }
}
