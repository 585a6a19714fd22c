package dev.netmem.rxqueue.nic;

import dev.netmem.api.DmaDevice;
import dev.netmem.api.Errno;
import dev.netmem.api.ErrnoException;
import dev.netmem.api.Napi;
import dev.netmem.api.NetIov;
import dev.netmem.api.PagePool;
import dev.netmem.api.PagePoolParams;
import dev.netmem.api.spi.MemoryProvider;
import dev.netmem.api.spi.MemoryProviderParams;
import dev.netmem.providers.host.HostPageProvider;
import dev.netmem.rxqueue.jfr.RxEvents;
import dev.netmem.rxqueue.jfr.RxQueueRestartEvent;
import dev.netmem.rxqueue.net.Headers;
import dev.netmem.rxqueue.net.Netif;
import dev.netmem.rxqueue.net.NetifRx;
import dev.netmem.rxqueue.net.SkBuff;
import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.UnaryOperator;

/**
 * An emulated NIC ({@code struct net_device} plus its driver): {@code N} RX queues, an ifindex,
 * header split ({@code tcp-data-split}) with a threshold ({@code hds-thresh}), and flow steering
 * (destination port → queue; other flows are hashed over the queues no rule names, as RSS would).
 *
 * <p>Packets enter through {@link #receive} (the emulated wire: {@code dev.netmem.rxqueue.wire}). The
 * NAPI poll hands each finished skb to the stack through the {@link NetifRx} seam that the stack
 * installed with {@link #rxHandlerRegister}; without one, skbs are freed. Providers are bound to
 * queues through the netdev family ({@code dev.netmem.rxqueue.netdev}).
 *
 * <h2>Lifecycle</h2>
 * {@code DOWN ⇄ UP}, then {@code UNREGISTERED}. {@link #open()} allocates every queue's memory and
 * starts the NAPI threads (page pools appear); {@link #close()} stops and frees them (pools
 * disappear, or stay detached while buffers are held); {@link #unregister()} closes, uninstalls
 * bound providers and removes the device from the netdev family.
 *
 * <p>Threads: control operations serialize on the device's control lock and never run on a NAPI
 * thread; {@link #receive} may be called from any number of wire threads.
 */
public final class NetDevice implements Netif, AutoCloseable {
    /** Most RX queues a device may have. */
    public static final int MAX_RX_QUEUES = 1024;
    /**
     * The largest receive buffer ({@code rx_page_size}) either driver accepts in its
     * {@code ndo_validate_qcfg}: 64 KiB (order 4), the io_uring driver's largest buffer order.
     */
    public static final int MAX_RX_PAGE_SIZE = dev.netmem.api.NetIov.PAGE_SIZE << 4;
    /** The largest {@code hds-thresh}: headers and payload must fit one header buffer. */
    public static final int HDS_THRESH_MAX = QueueMem.HEADER_BUF_SIZE - Headers.HEADER_LEN;

    private static final System.Logger LOG = System.getLogger("dev.netmem.rxqueue");
    /** ifindex 1 is loopback. */
    private static final AtomicInteger NEXT_IFINDEX = new AtomicInteger(2);
    /** {@code dev_base}: registered devices by ifindex. */
    private static final ConcurrentHashMap<Integer, NetDevice> DEVICES = new ConcurrentHashMap<>();
    private static final CopyOnWriteArrayList<NetdevNotifier> NOTIFIERS = new CopyOnWriteArrayList<>();
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(5);
    /** Not a netdevsim reset: the queue ops keep the queue's NAPI instance (as bnxt's do). */
    private static final int RQ_RESET_KEEP_NAPI = -1;

    private final String name;
    private final int ifindex;
    private final RxQueue[] queues;
    private final Object controlLock = new Object();
    /** WARN splats of the queue control path ({@link #warnings}); written under {@code controlLock}. */
    private volatile long warnings;
    private final MemoryProvider hostPages;
    private final DmaDevice dmaDevice;
    /** Descriptors per queue ({@code ethtool -G rx}); used at the next queue memory allocation. */
    private volatile int ringSize;
    private final int skbPrealloc;
    private final long rcvbuf;
    private volatile long rmemHardLimit;
    /** The settings every queue pool shares (stats, release retry, stall warning, leak tracking), validated once. */
    private final PagePoolParams poolTemplate;
    private final boolean allowUnreadable;
    private final QueueMgmtOps ops;
    /** Whether the driver offers the queue management API ({@code netdev_need_ops_lock}): providers need it. */
    private final boolean queueApi;
    /** A virtual netdev: no parent device ({@code dev->dev.parent == NULL}), so no provider binds. */
    private final boolean virtual;
    /** netdevsim-like: the emulated NIC posts a queue's ring only once the first packet arrives. */
    private final boolean postOnDemand;
    /**
     * netdevsim's {@code rq_reset_mode} for the {@link #queueReset} in progress, else
     * {@link #RQ_RESET_KEEP_NAPI} (the emulated NIC's own restarts keep the queue's NAPI). Control lock.
     */
    private int rqResetMode = RQ_RESET_KEEP_NAPI;
    /** netdevsim's {@code pp_hold}: the page held from queue 0's pool, or null. Control lock. */
    private dev.netmem.api.NetIov ppHeld;
    private PagePool ppHeldPool;
    private final NicDriver driver;
    /** The stack's receive handler ({@code dev->rx_handler}): set once, read by every NAPI. */
    private final AtomicReference<NetifRx> rxHandler = new AtomicReference<>();

    private volatile boolean up;
    private volatile boolean registered = true;
    private volatile boolean headerSplit;
    private volatile int hdsThresh;
    /** Test hook: payloads up to this size stay in the header buffer whatever {@code hds-thresh} says. */
    private volatile int unsplitPayloads;
    private volatile AllocFailPolicy allocFailPolicy = AllocFailPolicy.none();
    /** {@code real_num_rx_queues}: the active queues are {@code 0 .. channels-1} ({@code ethtool -L rx}). */
    private volatile int channels;
    /** An XDP program is attached ({@code dev_xdp_prog_count(dev) > 0}). Control lock. */
    private boolean xdpProg;
    /** port → queue + 1 (0: no rule); replaced whole on change. */
    private volatile int[] flowRules = new int[65536];
    /** Queues named by no rule, for hashing other flows. */
    private volatile int[] rssQueues;

    private NetDevice(Builder b) {
        this.name = b.name;
        this.ifindex = NEXT_IFINDEX.getAndIncrement();
        this.hostPages = b.hostPages != null ? b.hostPages : HostPageProvider.create(b.hostBytes);
        this.dmaDevice = b.dmaDevice != null ? b.dmaDevice : new DmaDevice(b.name, true);
        this.ringSize = b.ringSize;
        this.skbPrealloc = b.skbPrealloc;
        this.rcvbuf = b.rcvbuf;
        this.driver = b.driver;
        this.rmemHardLimit = rmemHardLimit(b.driver, b.rxQueues, b.ringSize, b.rcvbuf);
        this.poolTemplate = b.template;
        this.allowUnreadable = b.allowUnreadable;
        this.queueApi = b.queueApi;
        this.virtual = b.virtual;
        this.postOnDemand = b.postOnDemand;
        this.headerSplit = b.headerSplit;
        this.hdsThresh = b.hdsThresh;
        this.unsplitPayloads = b.unsplitPayloads;
        this.queues = new RxQueue[b.rxQueues];
        for (int i = 0; i < queues.length; i++) {
            queues[i] = new RxQueue(this, i);
        }
        this.ops = b.queueOps.apply(new DriverOps());
        this.channels = b.rxQueues;
        recomputeRss(flowRules);
    }

    /** What a socket may hold past {@code rcvbuf}: everything the rings may have accepted for it. */
    private static long rmemHardLimit(NicDriver driver, int rxQueues, int ringSize, long rcvbuf) {
        // what the rings can hold for a socket, in truesize: a header page plus a data buffer per slot
        // io_uring: a receive cancelled because the window closed may still fill what the ring holds and
        // what the poll posts until the cancel lands, so twice the ring; incremental buffers carry up to
        // one skb (one header page) per piece; a provider may ask for buffers up to MAX_RX_PAGE_SIZE
        // (rx_page_size), so the limit is sized for those
        long ringBytes = driver instanceof IoUringNic u
                ? 2L * rxQueues * ringSize * (dev.netmem.api.NetIov.PAGE_SIZE + Math.max(u.bufferSize(), MAX_RX_PAGE_SIZE))
                        * (u.incremental() ? 64 : 1)
                : (long) rxQueues * ringSize * (2L * dev.netmem.api.NetIov.PAGE_SIZE);
        // saturating: a huge rcvbuf must not wrap negative, which would make every socket drop everything
        return rcvbuf > Long.MAX_VALUE - ringBytes ? Long.MAX_VALUE : rcvbuf + ringBytes;
    }

    /** {@code register_netdevice}: lists the device and tells the notifiers. */
    private static void register(NetDevice d) {
        synchronized (NOTIFIERS) {
            DEVICES.put(d.ifindex, d);
            for (NetdevNotifier n : NOTIFIERS) {
                n.netdevRegister(d);
            }
        }
    }

    /**
     * {@code register_netdevice_notifier}: adds {@code n} and replays {@link NetdevNotifier#netdevRegister}
     * for every device registered so far.
     */
    public static void registerNotifier(NetdevNotifier n) {
        Objects.requireNonNull(n, "notifier");
        synchronized (NOTIFIERS) {
            NOTIFIERS.add(n);
            for (NetDevice d : DEVICES.values()) {
                n.netdevRegister(d);
            }
        }
    }

    /** {@code dev_get_by_index}: the registered device with {@code ifindex}, or {@code null}. Any thread. */
    public static NetDevice byIfindex(int ifindex) {
        return DEVICES.get(ifindex);
    }

    /** A builder for a device named {@code name}. */
    public static Builder builder(String name) {
        return new Builder(name);
    }

    @Override
    public String name() {
        return name;
    }

    /** The interface index (from 2; 1 is loopback). */
    @Override
    public int ifindex() {
        return ifindex;
    }

    /** {@code real_num_rx_queues}: the active queues, {@code 0 .. numRxQueues()-1} ({@link #setChannels}). */
    public int numRxQueues() {
        return channels;
    }

    /** {@code num_rx_queues}: the queues the device has, active or not (the builder's {@code rxQueues}). */
    public int maxRxQueues() {
        return queues.length;
    }

    /**
     * {@code ethtool -L rx N}: activates queues {@code 0 .. n-1}. The checks, in {@code ethnl_set_channels}'
     * order: {@code n} in {@code [1, maxRxQueues()]} ({@link Errno#EINVAL} "requested channel count exceeds
     * maximum"); no flow rule steering to a queue that would go ({@link Errno#EINVAL} "requested channel
     * counts are too low for existing ntuple filter settings"); no memory provider on such a queue
     * ({@link Errno#EINVAL} "requested channel counts are too low for existing memory provider setting (m)",
     * m the fewest channels that keep every bound queue, ncdevmem's check); no AF_XDP pool on it
     * ({@link Errno#EINVAL} "requested channel counts are too low due to busy queues (AF_XDP or queue
     * leasing)"). While up, queues that go are stopped and freed and queues that come are started.
     * Emulated NIC only ({@link Errno#EOPNOTSUPP} on the io_uring driver).
     */
    public void setChannels(int n) {
        synchronized (controlLock) {
            checkRegistered();
            if (driver != EmulatedNic.INSTANCE) {
                throw Errno.EOPNOTSUPP.exception(name + ": channel changes need the emulated NIC");
            }
            if (n < 1 || n > queues.length) {
                throw Errno.EINVAL.exception("requested channel count exceeds maximum");
            }
            int minMp = 0; // dev_get_min_mp_channel_count
            for (int i = 0; i < queues.length; i++) {
                if (queues[i].memoryProvider() != null) {
                    minMp = i + 1;
                }
            }
            for (int rule : flowRules) {
                if (rule > n) {
                    throw Errno.EINVAL.exception("requested channel counts are too low for existing ntuple filter settings");
                }
            }
            if (n < minMp) {
                throw Errno.EINVAL.exception("requested channel counts are too low for existing memory provider setting ("
                        + minMp + ")");
            }
            for (int i = n; i < channels; i++) {
                if (queues[i].xskPool()) {
                    throw Errno.EINVAL.exception(
                            "requested channel counts are too low due to busy queues (AF_XDP or queue leasing)");
                }
            }
            int old = channels;
            if (up) {
                for (int i = n; i < old; i++) {
                    stopAndFree(queues[i]);
                }
                channels = n;
                recomputeRss(flowRules);
                for (int i = old; i < n; i++) {
                    startQueue(queues[i]);
                }
            } else {
                channels = n;
                recomputeRss(flowRules);
            }
        }
    }

    /**
     * RX queue {@code index}.
     *
     * @throws IndexOutOfBoundsException if out of range
     */
    public RxQueue rxQueue(int index) {
        return queues[Objects.checkIndex(index, queues.length)];
    }

    /** Whether the device is up ({@code netif_running}). */
    public boolean isUp() {
        return up;
    }

    @Override
    public boolean isRegistered() {
        return registered;
    }

    /** The DMA device the queues map buffers for ({@code ndo_queue_get_dma_dev}). */
    public DmaDevice dmaDevice() {
        return dmaDevice;
    }

    /** Host memory for the header pools and for queues without a provider. */
    public MemoryProvider hostPages() {
        return hostPages;
    }

    /** {@code tcp-data-split}. */
    public boolean headerSplit() {
        return headerSplit;
    }

    /** {@code hds-thresh}: payloads up to this many bytes are not split. */
    public int hdsThresh() {
        return hdsThresh;
    }

    /**
     * The receive window of sockets on this device, in bytes of {@link SkBuff#truesize()}: past it
     * {@link #receive} refuses packets for the socket (a zero window).
     */
    @Override
    public long rcvbuf() {
        return rcvbuf;
    }

    @Override
    public long rmemHardLimit() {
        return rmemHardLimit;
    }

    @Override
    public NetifRx rxHandler() {
        return rxHandler.get();
    }

    @Override
    public NetifRx rxHandlerRegister(NetifRx handler) {
        Objects.requireNonNull(handler, "handler");
        NetifRx witness = rxHandler.compareAndExchange(null, handler);
        return witness == null ? handler : witness;
    }

    /** The driver this device was built with. */
    public NicDriver driver() {
        return driver;
    }

    @Override
    public void rxWake() {
        if (driver != EmulatedNic.INSTANCE) {
            for (int i = 0; i < channels; i++) {
                queues[i].rxWake();
            }
        }
    }

    /** The queue management ops in use (the driver's, possibly decorated). */
    public QueueMgmtOps queueOps() {
        return ops;
    }

    Object controlLock() {
        return controlLock;
    }

    // =====================================================================================
    // Configuration
    // =====================================================================================

    /**
     * {@code ethtool -G tcp-data-split / hds-thresh}. Takes effect at the next queue memory
     * allocation (open or restart), as ring parameters do.
     *
     * @throws dev.netmem.api.ErrnoException {@link Errno#EINVAL} if the threshold is out of range, or while a
     *                         provider is bound, if header split would be turned off or the threshold would
     *                         be non-zero ({@code ethnl_set_rings}, in that order)
     */
    public void setHeaderSplit(boolean enabled, int thresh) {
        synchronized (controlLock) {
            if (thresh < 0 || thresh > HDS_THRESH_MAX) {
                throw Errno.EINVAL.exception("hds-thresh must be in [0, " + HDS_THRESH_MAX + "]: " + thresh);
            }
            if (anyProviderBound()) {
                if (!enabled) {
                    throw Errno.EINVAL.exception("can't disable tcp-data-split while device has memory provider enabled");
                }
                if (thresh != 0) {
                    throw Errno.EINVAL.exception("can't set non-zero hds_thresh while device is memory provider enabled");
                }
            }
            headerSplit = enabled;
            hdsThresh = thresh;
        }
    }

    /** {@code dev_get_min_mp_channel_count(dev) != 0}: some queue has a memory provider. Control lock. */
    private boolean anyProviderBound() {
        for (RxQueue q : queues) {
            if (q.memoryProvider() != null) {
                return true;
            }
        }
        return false;
    }

    /**
     * Attaches an XDP program ({@code dev_xdp_install}; the program itself is not modelled, only that
     * one is attached, which the queue-open checks refuse).
     *
     * @throws dev.netmem.api.ErrnoException {@link Errno#EBUSY} "unable to install XDP to device using memory
     *                         provider" while a queue has a provider
     */
    public void xdpAttach() {
        synchronized (controlLock) {
            if (anyProviderBound()) {
                throw Errno.EBUSY.exception("unable to install XDP to device using memory provider");
            }
            xdpProg = true;
        }
    }

    /** Detaches the XDP program, if any. */
    public void xdpDetach() {
        synchronized (controlLock) {
            xdpProg = false;
        }
    }

    /** Whether an XDP program is attached. */
    public boolean xdpAttached() {
        synchronized (controlLock) {
            return xdpProg;
        }
    }

    /**
     * Gives rx queue {@code index} an AF_XDP buffer pool ({@code xsk_bind} → {@code xp_assign_dev}: only
     * the fact that one is there is modelled), or takes it away.
     *
     * @throws dev.netmem.api.ErrnoException {@link Errno#ERANGE} for a bad index; {@link Errno#EBUSY} when
     *                         giving a pool while some queue of the device has a memory provider
     */
    public void setXskPool(int index, boolean present) {
        synchronized (controlLock) {
            if (index < 0 || index >= channels) {
                throw Errno.ERANGE.exception("rx queue index out of range");
            }
            if (present && anyProviderBound()) {
                throw Errno.EBUSY.exception("AF_XDP pool on a device using memory provider");
            }
            queues[index].setXskPool(present);
        }
    }

    /**
     * Test hook of the emulated NIC: with header split on, payloads of at most {@code maxBytes} are not
     * split but land in the header buffer (linear), whatever {@code hds-thresh} says, as a NIC leaves a
     * packet it cannot split in the linear part; 0 (the default) turns it off. Unlike {@code hds-thresh}
     * it is allowed while a provider is bound, so tests can make the linear data devmem and zcrx receive
     * must handle. Takes effect at the next queue memory allocation.
     *
     * @throws IllegalArgumentException if not in {@code [0, HDS_THRESH_MAX]}
     */
    public void setUnsplitPayloads(int maxBytes) {
        if (maxBytes < 0 || maxBytes > HDS_THRESH_MAX) {
            throw new IllegalArgumentException("unsplitPayloads must be in [0, " + HDS_THRESH_MAX + "]: " + maxBytes);
        }
        unsplitPayloads = maxBytes;
    }

    /** Descriptors per queue. */
    public int ringSize() {
        return ringSize;
    }

    /**
     * {@code ethtool -G rx N}: changes the descriptor ring size. While up, every queue is restarted on
     * new memory of the new size, keeping its provider (a driver reallocates its rings), so traffic
     * goes on; while down, the next open uses it. Packets the old rings accepted are delivered.
     *
     * @throws IllegalArgumentException if {@code n} is not a power of two in {@code [8, 4096]}
     * @throws dev.netmem.api.ErrnoException {@link Errno#ENODEV} once unregistered, or what a restart throws
     */
    public void setRingSize(int n) {
        if (n < 8 || n > 4096 || Integer.bitCount(n) != 1) {
            throw new IllegalArgumentException("ringSize must be a power of two in [8, 4096]: " + n);
        }
        synchronized (controlLock) {
            checkRegistered();
            if (n == ringSize) {
                return;
            }
            int old = ringSize;
            ringSize = n;
            rmemHardLimit = rmemHardLimit(driver, queues.length, Math.max(old, n), rcvbuf); // old rings drain first
            if (up) {
                for (int i = 0; i < channels; i++) {
                    restartLocked(queues[i]);
                }
            }
            rmemHardLimit = rmemHardLimit(driver, queues.length, n, rcvbuf);
        }
    }

    /**
     * netdevsim's debugfs {@code pp_hold}: {@code true} allocates a page from queue 0's page pool and
     * holds it (the pool then reports it in flight, and if the device goes down the pool stays
     * detached until it is released); {@code false} returns it with {@code page_pool_put_full_page}.
     * Setting what is already set does nothing. Emulated NIC only: the page is allocated by the queue's
     * NAPI thread, the pool's allocation context.
     *
     * @throws dev.netmem.api.ErrnoException {@link Errno#ENETDOWN} to hold while the device is down;
     *                         {@link Errno#ENOMEM} if the pool has no page; {@link Errno#EOPNOTSUPP} on
     *                         the io_uring driver
     */
    public void setPpHold(boolean hold) {
        synchronized (controlLock) {
            if (hold == (ppHeld != null)) {
                return;
            }
            if (!hold) {
                ppHeldPool.putFullPage(ppHeld, false);
                ppHeld = null;
                ppHeldPool = null;
                return;
            }
            if (!up) {
                throw Errno.ENETDOWN.exception(name + " is down");
            }
            if (!(queues[0].mem() instanceof EmulatedQueueMem m)) {
                throw Errno.EOPNOTSUPP.exception("pp_hold needs the emulated NIC");
            }
            dev.netmem.api.NetIov page = m.allocOnNapi();
            if (page == null) {
                throw Errno.ENOMEM.exception("page pool " + m.pagePool().id() + " has no page to hold");
            }
            ppHeld = page;
            ppHeldPool = m.pagePool();
        }
    }

    /** Whether {@link #setPpHold} holds a page. */
    public boolean ppHeld() {
        synchronized (controlLock) {
            return ppHeld != null;
        }
    }

    /**
     * netdevsim's debugfs {@code queue_reset}: writing "{@code queue mode}" sets the driver's
     * {@code rq_reset_mode}, restarts RX queue {@code queue} ({@code netdev_rx_queue_restart}, as
     * {@link #restartQueue} does: new queue memory, new page pools, the bound provider kept) and sets
     * the mode back. The mode decides what the queue ops ({@code nsim_queue_mem_alloc}, {@code _start},
     * {@code _stop}, {@code _mem_free}) do with the queue's NAPI:
     * <ul>
     *   <li>0: a new NAPI, added when the new memory is allocated; the old one is deleted when the old
     *       memory is freed;</li>
     *   <li>1: the same NAPI, only disabled and enabled again; the old pool is unlinked from it at stop
     *       and a new pool created with it;</li>
     *   <li>2: a new NAPI; at start the old one is deleted, then the new one added;</li>
     *   <li>3: a new NAPI; at start the new one is added, then the old one deleted.</li>
     * </ul>
     * In every mode the queue keeps its NAPI id: netdevsim adds its NAPIs with
     * {@code netif_napi_add_config}, and {@code napi_restore_config} gives a new instance the id the
     * queue's persistent config holds. So {@code queue-get}, {@code napi-get} and the new pools'
     * {@code napi-id} report the same id before and after; what changes in modes 0, 2 and 3 is the
     * instance ({@link RxQueue#napi()}), which the new pools are created with. The old pools are
     * unlinked from their NAPI and destroyed (detached while buffers are out). While the device is
     * down, modes 0, 2 and 3 only allocate and free new memory, and mode 1 fails. Emulated NIC only.
     *
     * @apiNote The device keeps {@code rq_reset_mode} only for the duration of this call, as
     *          {@code nsim_qreset_write} does; every other restart (bind, unbind, ring size) keeps the
     *          queue's NAPI instance, where netdevsim's use mode 0's new instance (with the same id).
     * @throws dev.netmem.api.ErrnoException in this order: {@link Errno#EOPNOTSUPP} on the io_uring driver
     *                         (no netdevsim); {@link Errno#ENODEV} once unregistered; {@link Errno#EINVAL}
     *                         "queue_reset: rx queue Q out of range: N queues" ({@code queue} not below
     *                         {@code real_num_rx_queues}); {@link Errno#EOPNOTSUPP} without the queue
     *                         management API; {@link Errno#EINVAL} "queue_reset: mode M is not in [0, 3]";
     *                         {@link Errno#ENETDOWN} "queue_reset: mode 1 needs NAME up"; or what the
     *                         restart throws
     */
    public void queueReset(int queue, int mode) {
        synchronized (controlLock) {
            if (driver != EmulatedNic.INSTANCE) {
                throw Errno.EOPNOTSUPP.exception(name + ": queue_reset needs the emulated NIC");
            }
            checkRegistered();
            if (queue < 0 || queue >= channels) { // nsim_qreset_write: unsigned, so negative is out of range
                throw Errno.EINVAL.exception("queue_reset: rx queue " + queue + " out of range: " + channels
                        + " queues");
            }
            checkQueueApi(); // netdev_rx_queue_restart: no queue ops
            // nsim_queue_mem_alloc's checks: the mode is unsigned; only mode 1 needs the NAPI running
            if (mode < 0 || mode > 3) {
                throw Errno.EINVAL.exception("queue_reset: mode " + Integer.toUnsignedString(mode)
                        + " is not in [0, 3]");
            }
            if (mode == 1 && !up) {
                throw Errno.ENETDOWN.exception("queue_reset: mode 1 needs " + name + " up");
            }
            rqResetMode = mode;
            try {
                restartLocked(queues[queue]);
            } finally {
                rqResetMode = RQ_RESET_KEEP_NAPI;
            }
        }
    }

    /** Sets the RX allocation fault injection (the kernel's page_pool fail_function). Any thread. */
    public void setAllocFailPolicy(AllocFailPolicy policy) {
        allocFailPolicy = Objects.requireNonNull(policy, "policy");
    }

    AllocFailPolicy allocFailPolicy() {
        return allocFailPolicy;
    }

    /**
     * {@code ethtool -N flow-type tcp4 dst-port P action Q}: steers flows to {@code dstPort} to
     * queue {@code queue}.
     *
     * @throws dev.netmem.api.ErrnoException {@link Errno#ERANGE} if the queue does not exist,
     *                         {@link Errno#EINVAL} if the port is not in [0, 65535]
     */
    public void addFlowRule(int dstPort, int queue) {
        checkPort(dstPort);
        synchronized (controlLock) {
            if (queue < 0 || queue >= channels) {
                throw Errno.ERANGE.exception("rx queue index out of range");
            }
            int[] r = flowRules.clone();
            r[dstPort] = queue + 1;
            recomputeRss(r);
            flowRules = r;
        }
    }

    /** Removes the rule for {@code dstPort}, if any. */
    public void removeFlowRule(int dstPort) {
        checkPort(dstPort);
        synchronized (controlLock) {
            int[] r = flowRules.clone();
            r[dstPort] = 0;
            recomputeRss(r);
            flowRules = r;
        }
    }

    private void recomputeRss(int[] rules) {
        int active = channels;
        boolean[] named = new boolean[active];
        for (int q : rules) {
            if (q != 0) {
                named[q - 1] = true;
            }
        }
        int n = 0;
        for (boolean b : named) {
            n += b ? 0 : 1;
        }
        int[] rss = new int[n == 0 ? active : n];
        int j = 0;
        for (int i = 0; i < active; i++) {
            if (n == 0 || !named[i]) {
                rss[j++] = i;
            }
        }
        rssQueues = rss;
    }

    /** The queue a flow lands on: its rule, else a hash over the queues no rule names. */
    public int steer(int srcPort, int dstPort) {
        int q = flowRules[dstPort] - 1;
        if (q >= 0) {
            return q;
        }
        int[] rss = rssQueues;
        int h = (srcPort * 0x9E3779B1) ^ (dstPort * 0x85EBCA77);
        h ^= h >>> 15;
        return rss[(h & 0x7fffffff) % rss.length];
    }

    private static void checkPort(int port) {
        if (port < 0 || port > 65535) {
            throw Errno.EINVAL.exception("port must be in [0, 65535]: " + port);
        }
    }

    // =====================================================================================
    // Data path
    // =====================================================================================

    /**
     * A TCP segment arrives from the wire: the NIC steers it to a queue and DMA-writes it into the
     * next posted descriptor. Any thread.
     *
     * @return false if the packet was not taken: the device is down, the destination socket's
     *         receive window is closed, or the queue had no posted descriptor (counted as
     *         {@link RxQueue#rxMissed()}); a reliable sender retries
     * @throws IllegalArgumentException if the payload does not fit a receive buffer
     */
    public boolean receive(int srcPort, int dstPort, MemorySegment payload) {
        if (driver != EmulatedNic.INSTANCE) {
            throw new UnsupportedOperationException(name + " is driven by " + driver.name()
                    + ": the kernel receives its packets; only the emulated NIC takes packets from a wire");
        }
        if (!up) {
            return false;
        }
        NetifRx h = rxHandler.get();
        if (h != null && !h.rcvWindowOpen(srcPort, dstPort)) {
            return false;
        }
        return queues[steer(srcPort, dstPort)].nicReceive(srcPort, dstPort, payload);
    }

    // =====================================================================================
    // Up / down / unregister
    // =====================================================================================

    /**
     * {@code dev_open}: allocates every queue's memory (pools appear) and starts the NAPI threads.
     * Idempotent.
     *
     * @throws dev.netmem.api.ErrnoException or the pool's exception if a queue cannot start; the device stays down
     */
    public void open() {
        synchronized (controlLock) {
            checkRegistered();
            if (up) {
                return;
            }
            int started = 0;
            try {
                for (int i = 0; i < channels; i++) {
                    startQueue(queues[i]);
                    started++;
                }
            } catch (RuntimeException e) {
                for (int i = 0; i < started; i++) {
                    stopAndFree(queues[i]);
                }
                throw e;
            }
            up = true;
        }
    }

    /** {@code dev_close}: stops every queue and frees its memory (pools are destroyed). Idempotent. */
    @Override
    public void close() {
        synchronized (controlLock) {
            if (!up) {
                return;
            }
            up = false;
            for (RxQueue q : queues) {
                if (q.mem() != null) { // the active ones
                    stopAndFree(q);
                }
            }
        }
    }

    private void startQueue(RxQueue q) {
        QueueMem m = ops.memAlloc(q);
        try {
            ops.start(m);
        } catch (RuntimeException e) {
            ops.memFree(m);
            throw e;
        }
        q.setMem(m);
    }

    private void stopAndFree(RxQueue q) {
        QueueMem m = q.mem();
        q.setMem(null);
        ops.stop(m);
        ops.memFree(m);
    }

    /**
     * {@code unregister_netdevice}: closes the device, calls {@code uninstall} of every bound
     * provider ({@code dev_memory_provider_uninstall}), tells the stack ({@link NetifRx#netdevUnregister})
     * and runs the unregister hooks (the netdev family forgets the device; pools still detached
     * become orphans without an ifindex). Idempotent.
     */
    public void unregister() {
        synchronized (controlLock) {
            if (!registered) {
                return;
            }
            close();
            for (RxQueue q : queues) {
                MemoryProvider mp = q.memoryProvider();
                if (mp != null) {
                    mp.uninstall(q);
                    q.setMemoryProvider(null);
                }
            }
            registered = false;
        }
        if (driver instanceof IoUringNic u) {
            u.deviceUnregistered();
        }
        NetifRx h = rxHandler.get();
        if (h != null) {
            h.netdevUnregister();
        }
        for (NetdevNotifier n : NOTIFIERS) {
            n.netdevUnregister(this);
        }
        DEVICES.remove(ifindex, this);
        PagePool.unregisterNetdev(ifindex); // page_pool_netdevice_event: detached pools move to loopback (CHANGE)
        synchronized (controlLock) {
            setPpHold(false); // netdevsim frees the held page when the device goes: the orphaned pool is released
        }
    }

    private void checkRegistered() {
        if (!registered) {
            throw Errno.ENODEV.exception(name + " is unregistered");
        }
    }

    private void checkQueueApi() {
        if (!queueApi) {
            throw Errno.EOPNOTSUPP.exception(name + " does not support the queue management API");
        }
    }

    // =====================================================================================
    // Queue restart and provider binding (netdev_rx_queue.c)
    // =====================================================================================

    /**
     * {@code netdev_rx_queue_restart}: allocates new queue memory (new pools pick up the queue's
     * provider), checks that a new pool honours the provider, then, if the device is up, stops the
     * old memory and starts the new; if the new one fails to start the old one is restarted and the
     * error rethrown. Finally frees the old memory (its pools stay detached while buffers are out).
     * While down, the new memory is only checked and freed.
     *
     * @throws dev.netmem.api.ErrnoException {@link Errno#ENODEV} once unregistered; {@link Errno#EOPNOTSUPP}
     *                         without the queue management API; {@link Errno#ERANGE} for a bad index;
     *                         {@link Errno#ENODATA} if no new pool uses the bound provider; or whatever the ops throw
     */
    public void restartQueue(int index) {
        synchronized (controlLock) {
            checkRegistered();
            checkQueueApi();
            if (index < 0 || index >= channels) {
                throw Errno.ERANGE.exception("rx queue index out of range");
            }
            restartLocked(queues[index]);
        }
    }

    private void restartLocked(RxQueue q) {
        QueueMem fresh = ops.memAlloc(q);
        try {
            checkMemoryProvider(q);
        } catch (RuntimeException e) {
            ops.memFree(fresh);
            throw e;
        }
        if (!up) {
            ops.memFree(fresh);
            return;
        }
        QueueMem old = q.mem();
        RxQueueRestartEvent restart = RxEvents.restartBegin(q.pagePool());
        ops.stop(old);
        try {
            ops.start(fresh);
        } catch (RuntimeException e) {
            try {
                ops.start(old);
            } catch (RuntimeException e2) {
                warn("Failed to restart old queue in error path. RX queue " + q.queueIndex() + " may be unhealthy: "
                        + e2.getMessage());
            }
            ops.memFree(fresh);
            throw e;
        }
        q.setMem(fresh);
        RxEvents.restartEnd(restart, q, q.pagePool());
        ops.memFree(old);
    }

    /** {@code page_pool_check_memory_provider}: some live pool of this queue must use its provider. */
    private static void checkMemoryProvider(RxQueue q) {
        MemoryProvider mp = q.memoryProvider();
        if (mp == null) {
            return;
        }
        for (PagePool p : PagePool.pools()) {
            if (p.provider() == mp && p.params().queue() == q && p.state() == PagePool.State.ACTIVE) {
                return;
            }
        }
        throw Errno.ENODATA.exception("rx queue " + q.queueIndex()
                + ": no page pool uses the bound memory provider");
    }

    /**
     * {@code netdev_queue_get_dma_dev}: the DMA device of RX queue {@code index}, the driver's
     * {@link QueueMgmtOps#getDmaDev} if it answers, otherwise the device's own {@link #dmaDevice}.
     * Control path.
     *
     * @throws dev.netmem.api.ErrnoException {@link Errno#ERANGE} for a bad index
     */
    public DmaDevice queueDmaDevice(int index) {
        if (index < 0 || index >= channels) {
            throw Errno.ERANGE.exception("rx queue index out of range");
        }
        DmaDevice d = ops.getDmaDev(queues[index]);
        return d != null ? d : dmaDevice;
    }

    /**
     * {@code netdev_nl_get_dma_dev}: the one DMA device a {@code bind-rx} of {@code indices} imports
     * its dma-buf for. Walks the queues in index order (the kernel's bitmap), after checking every
     * index is in range ({@link Errno#ERANGE} "rx queue index out of range").
     *
     * @throws dev.netmem.api.ErrnoException {@link Errno#EOPNOTSUPP} "DMA device mismatch between queue
     *                         Q and P (multi-PF device?)" if two queues sit behind different DMA devices;
     *                         {@link Errno#ENODEV} once unregistered
     */
    public DmaDevice bindDmaDevice(int[] indices) {
        synchronized (controlLock) {
            checkRegistered();
            java.util.BitSet set = new java.util.BitSet(channels);
            for (int idx : indices) {
                if (idx < 0 || idx >= channels) {
                    throw Errno.ERANGE.exception("rx queue index out of range");
                }
                set.set(idx);
            }
            DmaDevice dma = dmaDevice; // an empty list: bind-rx rejects it later ("no rx queues to bind")
            int prev = -1;
            for (int q = set.nextSetBit(0); q >= 0; q = set.nextSetBit(q + 1)) {
                DmaDevice d = queueDmaDevice(q);
                if (prev >= 0 && d != dma) {
                    throw Errno.EOPNOTSUPP.exception("DMA device mismatch between queue " + q + " and " + prev
                            + " (multi-PF device?)");
                }
                dma = d;
                prev = q;
            }
            return dma;
        }
    }

    /**
     * {@code bind-rx}'s queue opening ({@code netdev_nl_bind_rx_doit} reading the queue list, then
     * {@code __net_mp_open_rxq} for each queue), with the checks in the kernel's order: the device is
     * registered ({@link Errno#ENODEV}) and its driver has the queue management API
     * ({@link Errno#EOPNOTSUPP}); every index is in range ({@link Errno#ERANGE} "rx queue index out of
     * range"); then, per queue in index order: the device is physical ({@link Errno#EBUSY} "rx queue is mapped to a
     * virtual netdev"), header split is on ({@link Errno#EINVAL} "tcp-data-split is disabled"),
     * {@code hds-thresh} is 0 ({@link Errno#EINVAL} "hds-thresh is not zero"), no XDP program is attached
     * ({@link Errno#EEXIST}), the queue has no provider yet ({@link Errno#EEXIST} "designated queue
     * already memory provider bound"; also for an index repeated in the list) and no AF_XDP pool
     * ({@link Errno#EBUSY} "designated queue already in use by AF_XDP"); finally the list is not empty
     * ({@link Errno#EINVAL} "no rx queues to bind"). Every check runs before anything is bound, so a
     * failed check binds nothing. If a restart fails, the queues bound so far are closed again.
     * Binds with the driver's default buffer size; see {@link #openRxQueues(MemoryProviderParams, int[])}.
     */
    public void openRxQueues(MemoryProvider mp, int[] indices) {
        openRxQueues(MemoryProviderParams.of(mp), indices);
    }

    /**
     * {@link #openRxQueues(MemoryProvider, int[])} with the whole {@code pp_memory_provider_params}:
     * a non-zero {@link MemoryProviderParams#rxPageSize} is refused with {@link Errno#EOPNOTSUPP}
     * "device does not support: rx_page_size" unless the driver lists
     * {@link QueueMgmtOps#QCFG_RX_PAGE_SIZE} (checked per queue after the XDP check, before the
     * already-bound one, as {@code __net_mp_open_rxq} does); then, per queue, after the params are
     * set, the queue config is validated ({@code netdev_queue_config_validate}: the driver's
     * {@link QueueMgmtOps#validateQcfg} on its defaults and on the provider's overrides), whose
     * refusal clears the params and closes the queues bound so far, like a failed restart.
     */
    public void openRxQueues(MemoryProviderParams params, int[] indices) {
        MemoryProvider mp = params.provider();
        synchronized (controlLock) {
            checkRegistered();
            checkQueueApi();
            for (int idx : indices) {
                if (idx < 0 || idx >= channels) {
                    throw Errno.ERANGE.exception("rx queue index out of range");
                }
            }
            int[] ascending = indices.clone(); // the kernel reads the list into a bitmap and opens in index order
            java.util.Arrays.sort(ascending);
            for (int i = 0; i < ascending.length; i++) {
                checkOpenRxQueue(queues[ascending[i]], i > 0 && ascending[i - 1] == ascending[i], params.rxPageSize());
            }
            if (indices.length == 0) {
                throw Errno.EINVAL.exception("no rx queues to bind");
            }
            for (int i = 0; i < indices.length; i++) {
                RxQueue q = queues[indices[i]];
                q.setMemoryProvider(mp, params.rxPageSize());
                try {
                    queueConfig(q, true); // netdev_queue_config_validate
                    restartLocked(q);
                } catch (RuntimeException e) {
                    q.setMemoryProvider(null);
                    for (int j = 0; j < i; j++) {
                        closeRxQueue(indices[j], mp);
                    }
                    throw e;
                }
            }
        }
    }

    /** {@code __net_mp_open_rxq}'s checks for one queue, in order; {@code repeated}: named earlier in the list. */
    private void checkOpenRxQueue(RxQueue q, boolean repeated, int rxPageSize) {
        if (virtual) {
            throw Errno.EBUSY.exception("rx queue is mapped to a virtual netdev");
        }
        if (!headerSplit) {
            throw Errno.EINVAL.exception("tcp-data-split is disabled");
        }
        if (hdsThresh != 0) {
            throw Errno.EINVAL.exception("hds-thresh is not zero");
        }
        if (xdpProg) {
            throw Errno.EEXIST.exception("unable to custom memory provider to device with XDP program attached");
        }
        if (rxPageSize != 0 && (ops.supportedParams() & QueueMgmtOps.QCFG_RX_PAGE_SIZE) == 0) {
            throw Errno.EOPNOTSUPP.exception("device does not support: rx_page_size");
        }
        if (q.memoryProvider() != null || repeated) {
            // a repeated index would find its queue bound by the first occurrence: the kernel's
            // EEXIST, reported before anything is bound
            throw Errno.EEXIST.exception("designated queue already memory provider bound");
        }
        if (q.xskPool()) {
            throw Errno.EBUSY.exception("designated queue already in use by AF_XDP");
        }
    }

    /**
     * {@code netdev_queue_config}: the config queue {@code index} is (re)allocated with: zeroed, the
     * driver's defaults ({@link QueueMgmtOps#defaultQcfg}), then the bound provider's
     * {@code rx_page_size} if it set one. The driver reads it in {@link QueueMgmtOps#memAlloc}.
     * Control path.
     *
     * @throws dev.netmem.api.ErrnoException {@link Errno#ERANGE} for a bad index
     */
    public NetdevQueueConfig queueConfig(int index) {
        synchronized (controlLock) {
            if (index < 0 || index >= queues.length) {
                throw Errno.ERANGE.exception("rx queue index out of range");
            }
            return queueConfig(queues[index], false);
        }
    }

    /** {@code __netdev_queue_config}; with {@code validate}, the driver checks the defaults, then the overrides. */
    private NetdevQueueConfig queueConfig(RxQueue q, boolean validate) {
        NetdevQueueConfig c = ops.defaultQcfg();
        if (validate) {
            ops.validateQcfg(c);
        }
        int mpSize = q.mpRxPageSizeLocked();
        if (mpSize != 0) {
            c = c.withRxPageSize(mpSize);
        }
        if (validate) {
            ops.validateQcfg(c);
        }
        return c;
    }

    /**
     * {@code __net_mp_close_rxq}: clears the queue's binding and restarts it without the provider.
     * Nothing to report to the caller (the kernel returns void); what the kernel {@code WARN}s about is
     * logged and counted in {@link #warnings}:
     * <ul>
     *   <li>an index out of range: warns, does nothing;</li>
     *   <li>the device unregistered and the queue has no provider (uninstalled on the way down,
     *       {@code dev_memory_provider_uninstall}): silently does nothing;</li>
     *   <li>the queue bound to another provider than {@code mp} (the caller's params no longer match):
     *       warns and leaves the queue as it is;</li>
     *   <li>the restart fails: the binding stays cleared; {@link Errno#ENETDOWN} (a driver that cannot
     *       reallocate while down) is expected and only logged at debug level, any other error warns.</li>
     * </ul>
     * Control path.
     */
    public void closeRxQueue(int index, MemoryProvider mp) {
        synchronized (controlLock) {
            if (index < 0 || index >= channels) {
                warn("rx queue " + index + " of " + name + " out of range: " + channels + " queues");
                return;
            }
            RxQueue q = queues[index];
            if (!registered && q.memoryProvider() == null) {
                return;
            }
            if (q.memoryProvider() != mp) {
                warn("rx queue " + index + " of " + name + " is bound to " + q.memoryProvider() + ", not " + mp);
                return;
            }
            q.setMemoryProvider(null);
            try {
                restartLocked(q);
            } catch (ErrnoException e) {
                if (e.errno() == Errno.ENETDOWN) {
                    LOG.log(System.Logger.Level.DEBUG, "rx queue {0,number,#} of {1}: closed while down: {2}", index,
                            name, e.getMessage());
                } else {
                    warn("rx queue " + index + " of " + name + ": restart without provider failed: " + e.getMessage());
                }
            } catch (RuntimeException e) {
                warn("rx queue " + index + " of " + name + ": restart without provider failed: " + e);
            }
        }
    }

    /**
     * How many times this device's queue control path hit a kernel {@code WARN}: a failed rollback
     * in {@link #restartQueue}, or a {@link #closeRxQueue} out of range, with stale params, or whose
     * restart failed with anything but {@link Errno#ENETDOWN}. Counted every time (the kernel's
     * {@code WARN_ON_ONCE} prints once per boot). Any thread.
     */
    public long warnings() {
        return warnings;
    }

    /** Caller holds {@code controlLock}. */
    private void warn(String message) {
        warnings++; // single writer: the control lock holder
        LOG.log(System.Logger.Level.WARNING, message);
    }

    @Override
    public String toString() {
        return "NetDevice[" + name + " ifindex=" + ifindex + (up ? " UP" : " DOWN") + "]";
    }

    // =====================================================================================
    // The driver
    // =====================================================================================

    /** The driver's queue management ops. */
    private final class DriverOps implements QueueMgmtOps {
        @Override
        public QueueMem memAlloc(RxQueue queue) {
            int flags = PagePoolParams.PP_FLAG_DMA_MAP | PagePoolParams.PP_FLAG_DMA_SYNC_DEV;
            int rxPageSize = queueConfig(queue, false).rxPageSize();
            // the pool's order from the config's buffer size (validated a power of two >= PAGE_SIZE)
            int order = rxPageSize == 0 ? defaultOrder() : Integer.numberOfTrailingZeros(rxPageSize) - NetIov.PAGE_SHIFT;
            PagePoolParams.Builder b = poolTemplate.toBuilder().device(queueDmaDevice(queue.queueIndex())).napi(napiForMemAlloc(queue)).queue(queue)
                    .hostPages(hostPages).order(order).maxLen(dev.netmem.api.NetIov.PAGE_SIZE << order);
            PagePool pool = PagePool.create(b.flags(allowUnreadable
                    ? flags | PagePoolParams.PP_FLAG_ALLOW_UNREADABLE_NETMEM : flags).build());
            PagePool hdr = null;
            if (headerSplit || driver instanceof IoUringNic) { // io_uring: headers are always written apart
                try {
                    // headers are small: order-0 host pages whatever the payload buffers' order
                    hdr = PagePool.create(b.flags(flags).order(0).maxLen(dev.netmem.api.NetIov.PAGE_SIZE).build());
                } catch (RuntimeException e) {
                    pool.destroy();
                    throw e;
                }
            }
            if (driver instanceof IoUringNic u) {
                return new UringQueueMem(queue, pool, hdr, u, ringSize, skbPrealloc);
            }
            return new EmulatedQueueMem(queue, pool, hdr, Math.max(hdsThresh, unsplitPayloads), ringSize, skbPrealloc,
                    postOnDemand);
        }

        @Override
        public void memFree(QueueMem mem) {
            mem.free();
        }

        /** Both drivers: {@code rx_page_size} is the main pool's buffer size. */
        @Override
        public int supportedParams() {
            return QCFG_RX_PAGE_SIZE;
        }

        /** The driver's own buffer size: 4 KiB, or the io_uring driver's buffer order. */
        @Override
        public NetdevQueueConfig defaultQcfg() {
            return new NetdevQueueConfig(NetIov.PAGE_SIZE << defaultOrder());
        }

        /** A power of two in {@code [PAGE_SIZE, MAX_RX_PAGE_SIZE]}, else {@link Errno#ERANGE} (as bnxt does). */
        @Override
        public void validateQcfg(NetdevQueueConfig qcfg) {
            int size = qcfg.rxPageSize();
            if (Integer.bitCount(size) != 1 || size < NetIov.PAGE_SIZE || size > MAX_RX_PAGE_SIZE) {
                throw Errno.ERANGE.exception(name + ": rx_page_size " + size + " is not a power of two in ["
                        + NetIov.PAGE_SIZE + ", " + MAX_RX_PAGE_SIZE + "]");
            }
        }

        private int defaultOrder() {
            return driver instanceof IoUringNic u ? u.poolOrder() : 0;
        }

        @Override
        public void start(QueueMem mem) {
            // a new NAPI (netdevsim reset modes 0, 2, 3) replaces the queue's here; mode 2 deletes the old
            // one before adding the new, mode 3 after, mode 0 added it at allocation and deletes the old
            // when the old memory is freed: only the kernel's NAPI list sees the order, the model derives
            // its list from the queues (Netdev.napiGetDump)
            mem.queue().setNapi(mem.napi());
            mem.fill();
            mem.startNapi();
            mem.queue().activate(mem);
        }

        @Override
        public void stop(QueueMem mem) {
            mem.queue().activate(null);
            mem.stopNapi(STOP_TIMEOUT);
        }
    }

    /**
     * {@code nsim_queue_mem_alloc}'s NAPI: in reset modes 0, 2 and 3 a new instance that takes the
     * queue's id ({@code netif_napi_add_config}: the id persists in the per-queue NAPI config), otherwise
     * the queue's own. Control lock.
     */
    private Napi napiForMemAlloc(RxQueue queue) {
        int mode = rqResetMode;
        if (mode == 0 || mode == 2 || mode == 3) {
            return new Napi(name + "-rx-" + queue.queueIndex(), queue.napi());
        }
        return queue.napi();
    }

    /** Builds a {@link NetDevice}; {@link #build()} validates and registers it with the netdev family. */
    public static final class Builder {
        private final String name;
        private int rxQueues = 1;
        private boolean headerSplit = true;
        private int hdsThresh;
        private int unsplitPayloads;
        private int ringSize = 256;
        private int skbPrealloc = 256;
        private long rcvbuf = 4L << 20;
        private long hostBytes = 64L << 20;
        private MemoryProvider hostPages;
        private DmaDevice dmaDevice;
        /** The queue pools' shared settings, in the one params builder (validated by {@link PagePoolParams}). */
        private final PagePoolParams.Builder pool = PagePoolParams.builder().stats(true)
                .releaseRetry(Duration.ofMillis(100)).stallWarn(Duration.ofSeconds(60));
        private PagePoolParams template;
        private boolean allowUnreadable = true;
        private UnaryOperator<QueueMgmtOps> queueOps = UnaryOperator.identity();
        private boolean queueApi = true;
        private boolean virtual;
        private boolean postOnDemand;
        private NicDriver driver = EmulatedNic.INSTANCE;

        private Builder(String name) {
            this.name = Objects.requireNonNull(name, "name");
        }

        /** Number of RX queues, in {@code [1, MAX_RX_QUEUES]}; default 1. */
        public Builder rxQueues(int n) {
            rxQueues = n;
            return this;
        }

        /** {@code tcp-data-split} and {@code hds-thresh}; default on, 0. */
        public Builder headerSplit(boolean enabled, int thresh) {
            headerSplit = enabled;
            hdsThresh = thresh;
            return this;
        }

        /** The initial {@link NetDevice#setUnsplitPayloads} test hook; default 0 (off). */
        public Builder unsplitPayloads(int maxBytes) {
            unsplitPayloads = maxBytes;
            return this;
        }

        /** Descriptors per queue, a power of two in {@code [8, 4096]}; default 256. */
        public Builder ringSize(int n) {
            ringSize = n;
            return this;
        }

        /** skbs preallocated per queue; default 256. */
        public Builder skbPrealloc(int n) {
            skbPrealloc = n;
            return this;
        }

        /** Socket receive buffer limit in bytes; default 4 MiB. */
        public Builder rcvbuf(long bytes) {
            rcvbuf = bytes;
            return this;
        }

        /** Host memory (a readable provider); default a 64 MiB {@link HostPageProvider}. */
        public Builder hostPages(MemoryProvider provider) {
            hostPages = provider;
            return this;
        }

        /** Size of the default host memory; default 64 MiB. */
        public Builder hostBytes(long bytes) {
            hostBytes = bytes;
            return this;
        }

        /** The DMA device; default a coherent one named after the device. */
        public Builder dmaDevice(DmaDevice device) {
            dmaDevice = device;
            return this;
        }

        /** Whether the queues' pools keep statistics; default true. */
        public Builder poolStats(boolean enabled) {
            pool.stats(enabled);
            return this;
        }

        /**
         * Whether the driver creates its pools with {@code PP_FLAG_ALLOW_UNREADABLE_NETMEM}; default
         * true. A driver without it ignores bound providers, which binding reports as
         * {@link Errno#ENODATA}.
         */
        public Builder allowUnreadable(boolean allow) {
            allowUnreadable = allow;
            return this;
        }

        /** The pools' deferred-release retry period; default 100 ms. */
        public Builder releaseRetry(Duration period) {
            pool.releaseRetry(period);
            return this;
        }

        /** The pools' stalled-shutdown warning interval; default 60 s (the kernel's {@code DEFER_WARN_INTERVAL}). */
        public Builder stallWarn(Duration interval) {
            pool.stallWarn(interval);
            return this;
        }

        /**
         * Whether the queues' pools record where each outstanding buffer was allocated, so a stalled
         * shutdown names the code holding buffers; default false (a debugging mode: a stack walk per
         * allocation).
         */
        public Builder leakTracking(boolean enabled) {
            pool.leakTracking(enabled);
            return this;
        }

        /**
         * The NIC driver: {@link NicDriver#emulated()} (default) or an {@link IoUringNic}, which
         * fails {@link #build()} with {@link Errno#EOPNOTSUPP} where io_uring cannot be used.
         */
        public Builder driver(NicDriver d) {
            driver = Objects.requireNonNull(d, "driver");
            return this;
        }

        /**
         * Whether the driver implements the queue management API (and so the netdev instance lock,
         * {@code netdev_need_ops_lock}); default true. Without it the device still goes up and down,
         * but binding a provider and restarting a queue fail with {@link Errno#EOPNOTSUPP}.
         */
        public Builder queueApi(boolean supported) {
            queueApi = supported;
            return this;
        }

        /**
         * Whether the device is virtual (no parent device, as a veth or a netkit without a leased
         * queue); default false. A provider binds only to a physical device's queues
         * ({@link Errno#EBUSY}).
         */
        public Builder virtual(boolean isVirtual) {
            virtual = isVirtual;
            return this;
        }

        /**
         * netdevsim-like: the emulated NIC posts a queue's descriptor ring only when the first packet
         * arrives (that packet is missed and a reliable wire retries it), so an up device's pools report
         * nothing in flight until traffic, as netdevsim's do; default false (the ring is posted when the
         * queue starts).
         */
        public Builder postOnDemand(boolean onDemand) {
            postOnDemand = onDemand;
            return this;
        }

        /** Decorates the driver's queue management ops (fault injection in tests). */
        public Builder queueOps(UnaryOperator<QueueMgmtOps> decorator) {
            queueOps = Objects.requireNonNull(decorator, "decorator");
            return this;
        }

        /**
         * Validates, creates the device (down) and registers it with the netdev family.
         *
         * @throws IllegalArgumentException with the rule that failed
         */
        public NetDevice build() {
            if (rxQueues < 1 || rxQueues > MAX_RX_QUEUES) {
                throw new IllegalArgumentException("rxQueues must be in [1, " + MAX_RX_QUEUES + "]: " + rxQueues);
            }
            if (ringSize < 8 || ringSize > 4096 || Integer.bitCount(ringSize) != 1) {
                throw new IllegalArgumentException("ringSize must be a power of two in [8, 4096]: " + ringSize);
            }
            if (hdsThresh < 0 || hdsThresh > HDS_THRESH_MAX) {
                throw new IllegalArgumentException("hdsThresh must be in [0, " + HDS_THRESH_MAX + "]: " + hdsThresh);
            }
            if (unsplitPayloads < 0 || unsplitPayloads > HDS_THRESH_MAX) {
                throw new IllegalArgumentException("unsplitPayloads must be in [0, " + HDS_THRESH_MAX + "]: "
                        + unsplitPayloads);
            }
            if (skbPrealloc < 0 || rcvbuf < 1) {
                throw new IllegalArgumentException("skbPrealloc must be >= 0 and rcvbuf >= 1: skbPrealloc="
                        + skbPrealloc + ", rcvbuf=" + rcvbuf);
            }
            // checked here, not first at open(): a device that can never open must not be registered.
            // PagePoolParams checks its own settings (and that hostPages is readable), once, with its messages.
            template = pool.hostPages(hostPages).build();
            if (driver instanceof IoUringNic u) {
                u.checkAvailable(); // before anything is allocated: an unusable device is never built
            }
            NetDevice d = new NetDevice(this);
            if (driver instanceof IoUringNic u) {
                u.attach(d);
            }
            register(d);
            return d;
        }
    }
}
