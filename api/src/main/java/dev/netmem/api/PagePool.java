package dev.netmem.api;

import dev.netmem.api.internal.DmaIndexTable;
import dev.netmem.api.internal.LeakTracker;
import dev.netmem.api.internal.MpscArrayRing;
import dev.netmem.api.internal.PoolCounters;
import dev.netmem.api.internal.ReleaseScheduler;
import dev.netmem.api.internal.jfr.PoolEvents;
import dev.netmem.api.spi.MemoryProvider;
import dev.netmem.api.spi.PoolContext;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.time.Instant;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Models {@code struct page_pool}: a per-RX-queue buffer allocator with a lockless fast cache owned
 * by the queue's NAPI, a multi-producer ring for buffers freed elsewhere, and a slow path into its
 * memory provider.
 *
 * <pre>{@code
 *   driver (NAPI)             any thread
 *       | alloc()                 | putNetmem(..., allowDirect=false)
 *       v                         v
 *   +-----------+  refill 64  +--------+  ring full  +------------------+
 *   | fast cache| <---------- |  ring  | ----------> | release path     |--> provider
 *   |  (128)    |             | (1024) |             | (the only exit)  |    releaseNetmem
 *   +-----------+             +--------+             +------------------+
 *       ^   | empty & ring empty                         ^
 *       |   v                                            | cache full & ring full,
 *       |  provider.allocNetmems (slow path, hold++)     | page still referenced,
 *       |                                                | or pool destroyed
 *   put on the NAPI thread (NAPI-local) / recycleDirect
 * }</pre>
 *
 * <h2>Execution contexts</h2>
 * <ul>
 *   <li><b>Allocation context</b>: {@link #alloc}, {@link #allocFrag}, {@link #recycleDirect},
 *       {@link #updateNid} run only on the thread running the pool's {@link Napi} (or, for a pool
 *       without one, on the single thread the driver uses). Checked by {@code assert}.</li>
 *   <li><b>Any thread</b>: {@link #putNetmem}/{@link #putFullPage} with {@code allowDirect=false},
 *       {@link #putBulk}, {@link #refNetmem}, {@link #destroy}, and every query. A put made on the
 *       thread that currently runs the pool's NAPI goes to the fast cache (NAPI-local recycling);
 *       from any other thread it goes to the ring.</li>
 * </ul>
 *
 * <h2>Accounting</h2>
 * A buffer enters the pool once ({@code hold++}, in the provider's slow path) and leaves it once,
 * through one private method, {@code returnNetmem}: it unmaps (if the pool maps), hands the buffer to
 * {@link MemoryProvider#releaseNetmem} and bumps {@code release} exactly once.
 * {@link #inflight()} {@code = hold - release}.
 *
 * <h2>Lifecycle</h2>
 * {@code ACTIVE → DESTROYING → RELEASED}. {@link #destroy()} disables direct recycling, drains the
 * frag page and runs the release pass ({@code page_pool_release}): the first pass empties the cache,
 * unmaps every buffer the pool still has mapped (in flight or not) and turns syncs off; every pass
 * drains the ring and computes the in-flight count. If buffers are still in flight the pool stays
 * {@link State#DESTROYING DESTROYING} (the kernel's detached pool): it records the detach time,
 * notifies {@link PagePoolListener#changed}, re-runs the release pass every {@code releaseRetry}
 * and, if the pool is {@link Visibility#INVISIBLE invisible}, logs a stall warning every
 * {@code stallWarn}. From then on every put goes straight to the release path, never into the cache
 * or ring. Only a release pass, or the put that returns the last buffer of a pool already detached,
 * moves the pool to {@link State#RELEASED RELEASED}, calls the provider's {@code destroy} and
 * unlists the pool; so for one pool {@link PagePoolListener#changed CHANGE} always comes before
 * {@link PagePoolListener#deleted DEL}. Nothing changes a pool after that.
 *
 * <h2>Visibility</h2>
 * A pool created for an RX queue is linked to the queue's netdev ({@link Visibility#NORMAL}); when
 * that netdev unregisters, {@link #unregisterNetdev} moves it to loopback
 * ({@link Visibility#ORPHANED}, with a {@code CHANGE} notification); when loopback itself goes, or
 * for a pool created without a queue, it is {@link Visibility#INVISIBLE} (the kernel's
 * {@code page_pools} list and {@code slow.netdev}, page_pool_user.c).
 *
 * @apiNote Unlike the kernel, a put on a detached pool does not park the buffer in the ring until
 * the next retry: it releases at once, so the last put completes the release without waiting.
 */
public final class PagePool {
    /** {@code PP_ALLOC_CACHE_SIZE}: the fast cache holds two NAPI budgets; the spare half absorbs direct recycling. */
    public static final int PP_ALLOC_CACHE_SIZE = 128;
    /** {@code PP_ALLOC_CACHE_REFILL}: one NAPI budget (64) per refill from the ring or the provider. */
    public static final int PP_ALLOC_CACHE_REFILL = 64;
    /** {@code BIAS_MAX}: the frag allocator's initial reference bias ({@code LONG_MAX >> 1}). */
    public static final long BIAS_MAX = Long.MAX_VALUE >> 1;
    /** {@code dma_get_cache_alignment()} on x86-64: frag sizes are rounded up to it. */
    public static final int DMA_CACHE_ALIGNMENT = 64;
    /** The node {@link NetIov#NUMA_NO_NODE} resolves to ({@code numa_mem_id()} of the emulated CPU). */
    public static final int LOCAL_NODE = 0;
    /**
     * {@code XDP_BULK_QUEUE_SIZE}: the most entries one {@code page_pool_put_netmem_bulk} call handles
     * (its on-stack batch); {@link #putBulk} works through longer arrays in batches of this size, each
     * with its own NAPI-locality check and ring claim per pool.
     */
    public static final int XDP_BULK_QUEUE_SIZE = 16;
    /** {@code LOOPBACK_IFINDEX}: the netdev orphaned pools are moved to. */
    public static final int LOOPBACK_IFINDEX = 1;

    /** The pool's lifecycle state. */
    public enum State {
        /** Allocating and recycling. */
        ACTIVE,
        /** {@link #destroy()} ran; buffers are still in flight (the kernel's detached pool). */
        DESTROYING,
        /** Every buffer came home; the provider was released. */
        RELEASED
    }

    /**
     * Who can see the pool ({@code pool->slow.netdev}, page_pool_user.c): it decides netlink
     * visibility and whether a stalled shutdown is worth a warning.
     */
    public enum Visibility {
        /** Linked to the netdev of the RX queue it was created for. */
        NORMAL,
        /** That netdev unregistered: linked to loopback now; still listed, without an ifindex. */
        ORPHANED,
        /** Created without a netdev, or its netdev is gone ({@code NET_PTR_POISON}): nobody can see it. */
        INVISIBLE
    }

    private static final int ACTIVE = 0;
    private static final int DESTROYING = 1;
    private static final int RELEASED = 2;

    private static final System.Logger LOG = System.getLogger("dev.netmem.pagepool");
    private static final ConcurrentHashMap<Integer, PagePool> POOLS = new ConcurrentHashMap<>();
    private static final CopyOnWriteArrayList<PagePoolListener> LISTENERS = new CopyOnWriteArrayList<>();
    /**
     * {@code netdev->page_pools}, one list per ifindex, newest first ({@code hlist_add_head}); the
     * {@link #LOOPBACK_IFINDEX} list holds the orphans. Keys in ifindex order, as the dump walks them
     * ({@code for_each_netdev_dump}). Guarded by {@code POOLS} ({@code page_pools_lock}); control path only.
     */
    private static final java.util.TreeMap<Integer, java.util.ArrayDeque<PagePool>> NETDEV_POOLS =
            new java.util.TreeMap<>();
    /** The next pool id to try: a u32 ({@code xa_alloc_cyclic} over {@code [1, U32_MAX]}); 0 is never an id. */
    private static final AtomicInteger NEXT_ID = new AtomicInteger(1);
    private static final AtomicLong BULK_STAMPS = new AtomicLong();

    private static final VarHandle STATE;
    private static final VarHandle RELEASE_CNT;
    private static final VarHandle HOLD_CNT;
    private static final VarHandle DETACHED;
    private static final VarHandle DMA_SYNC;
    private static final VarHandle SYNCS_IN_FLIGHT;

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            STATE = l.findVarHandle(PagePool.class, "state", int.class);
            RELEASE_CNT = l.findVarHandle(PagePool.class, "releaseCnt", int.class);
            HOLD_CNT = l.findVarHandle(PagePool.class, "holdCnt", int.class);
            DETACHED = l.findVarHandle(PagePool.class, "detached", boolean.class);
            DMA_SYNC = l.findVarHandle(PagePool.class, "dmaSync", boolean.class);
            SYNCS_IN_FLIGHT = l.findVarHandle(PagePool.class, "syncsInFlight", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    // ---- configuration (immutable after create) ----
    private final int id;
    private final PagePoolParams params;
    private final MemoryProvider provider;
    private final boolean unreadable;
    /** The pool itself maps buffers: host pages with PP_FLAG_DMA_MAP. */
    private final boolean dmaMap;
    private final DmaDevice device;
    private final int bufferSize;
    private final MpscArrayRing<NetIov> ring;
    private final PoolCounters counters;
    private final LeakTracker leaks;
    private final Mp mp = new Mp();
    /** {@code slow.init_callback} (null: {@code has_init_callback == false}). */
    private final PagePoolParams.InitCallback initCallback;
    /** {@code user_cnt}: the driver's reference plus one per XDP memory-model user. */
    private final AtomicInteger userCnt = new AtomicInteger(1);
    /** {@code pool->disconnect}: set by {@link #useXdpMem}, called once by {@code __page_pool_destroy}. */
    private volatile java.util.function.Consumer<PagePool> disconnect;
    private final Object drainLock = new Object();
    /**
     * {@code dma_mapped}: the buffers this pool mapped and has not unmapped, by their index
     * ({@link NetIov#dmaIndex}, from 1). Whoever removes an entry unmaps it, so the release path and
     * the scrub never unmap one buffer twice. Null unless the pool maps.
     */
    private final DmaIndexTable dmaMapped;
    /**
     * PP_FLAG_DMA_SYNC_DEV on a device that needs syncs, unless the provider turned it off in init or
     * the scrub did. Accessed only through DMA_SYNC (plain reads on the recycle path; the scrub's
     * volatile write pairs with the volatile re-check in {@link #syncForDeviceRcu}).
     */
    @SuppressWarnings("unused")
    private boolean dmaSync;
    /**
     * {@code dma_sync_for_cpu}: true from creation, cleared by a provider in init (before the pool is
     * published, so a plain field). Read by {@link #dmaSyncNetmemForCpu}.
     */
    private boolean dmaSyncForCpu = true;
    /** Syncs for the device under way (the RCU read side the scrub waits out). Only through SYNCS_IN_FLIGHT. */
    @SuppressWarnings("unused")
    private int syncsInFlight;

    // ---- allocation context (NAPI-owned): plain fields ----
    private final NetIov[] cache = new NetIov[PP_ALLOC_CACHE_SIZE];
    private int allocCount;
    /** pages_state_hold_cnt: written only in allocation context; read elsewhere with opaque/volatile loads. */
    private int holdCnt;
    private int nid;
    private NetIov fragPage;
    private int fragOffset;
    private long fragUsers;
    private int lastFragOffset;
    private int lastAllocSize;

    // ---- shared ----
    /** pages_state_release_cnt: bumped once per buffer leaving the pool, from any thread. */
    private volatile int releaseCnt;
    private volatile int state;
    /** p.napi; cleared by destroy (page_pool_disable_direct_recycling). */
    private volatile Napi napi;
    private volatile Instant detachTime;
    private volatile ScheduledFuture<?> retry;
    /**
     * Set once {@link #detach} has sent CHANGE; only through DETACHED (volatile). From then on the
     * put that returns the last buffer may finish the release itself.
     */
    @SuppressWarnings("unused")
    private boolean detached;
    /** {@code destroy_cnt}: release passes so far. Written by destroy, then only by the retry thread. */
    private volatile long destroyCnt;
    private long deferWarnAt;
    private volatile int stallWarnings;
    /** {@code slow.netdev}, as a {@link Visibility} ordinal; written under the registry lock. */
    private volatile int visibility;
    private final AtomicLong pagePoolLeaks = new AtomicLong();
    private final AtomicLong refcntViolations = new AtomicLong();

    private PagePool(int id, PagePoolParams params, MemoryProvider provider, boolean unreadable) {
        this.id = id;
        this.params = params;
        this.provider = provider;
        this.unreadable = unreadable;
        this.device = params.device();
        this.dmaMap = !unreadable && params.hasFlag(PagePoolParams.PP_FLAG_DMA_MAP);
        this.dmaMapped = dmaMap ? new DmaIndexTable() : null;
        this.dmaSync = params.hasFlag(PagePoolParams.PP_FLAG_DMA_SYNC_DEV) && device.needSync();
        this.visibility = params.queue() == null ? Visibility.INVISIBLE.ordinal() : Visibility.NORMAL.ordinal();
        this.bufferSize = params.bufferSize();
        this.ring = new MpscArrayRing<>(params.ringSize());
        this.counters = PoolCounters.create(params.stats());
        this.leaks = params.leakTracking() ? LeakTracker.recording() : LeakTracker.NONE;
        this.nid = params.nid();
        this.napi = params.napi();
        this.initCallback = params.initCallback();
    }

    /**
     * Creates a pool ({@code page_pool_create}). With {@link PagePoolParams#PP_FLAG_ALLOW_UNREADABLE_NETMEM}
     * the pool uses the memory provider bound to {@code params.queue()} if there is one; otherwise it
     * uses {@code params.hostPages()}. The checks run in {@code page_pool_init}'s order: with a
     * provider, the DMA flags and then the provider's {@code init} (which judges the order itself:
     * devmem answers {@code -E2BIG}); without one, {@code order > MAX_PAGE_ORDER} is {@code -EINVAL}.
     * The pool is listed after that.
     *
     * @throws IllegalArgumentException      if there is no memory to use, or the order is above
     *                                       {@link PagePoolParams#MAX_PAGE_ORDER} without a provider
     * @throws UnsupportedOperationException if a provider is bound but the flags lack
     *                                       {@code PP_FLAG_DMA_MAP | PP_FLAG_DMA_SYNC_DEV}
     *                                       ({@code -EOPNOTSUPP})
     * @throws RuntimeException              whatever the provider's {@code init} throws
     */
    public static PagePool create(PagePoolParams params) {
        Objects.requireNonNull(params, "params");
        MemoryProvider mp = null;
        if (params.hasFlag(PagePoolParams.PP_FLAG_ALLOW_UNREADABLE_NETMEM)) {
            mp = params.queue().memoryProvider();
        }
        boolean fromQueue = mp != null;
        if (!fromQueue) {
            mp = params.hostPages();
            if (mp == null) {
                throw new IllegalArgumentException(params.queue() == null
                        ? "no memory: hostPages is null and no queue is given"
                        : "no memory: queue " + params.queue().queueIndex()
                                + " has no memory provider usable by this pool and hostPages is null");
            }
        }
        boolean unreadable = mp.unreadable();
        if (unreadable && (!params.hasFlag(PagePoolParams.PP_FLAG_DMA_MAP)
                || !params.hasFlag(PagePoolParams.PP_FLAG_DMA_SYNC_DEV))) {
            throw new UnsupportedOperationException(
                    "a memory provider requires PP_FLAG_DMA_MAP and PP_FLAG_DMA_SYNC_DEV");
        }
        if (!fromQueue && params.order() > PagePoolParams.MAX_PAGE_ORDER) {
            // Only the page allocator is bound by MAX_PAGE_ORDER; a provider checks the order in init.
            throw new IllegalArgumentException("EINVAL: order " + params.order() + " > MAX_PAGE_ORDER "
                    + PagePoolParams.MAX_PAGE_ORDER + " without a memory provider");
        }
        PagePool pool = new PagePool(allocId(), params, mp, unreadable);
        try {
            mp.init(pool.mp);
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "page pool {0}: mem-provider init failed: {1}", pool.idString(),
                    e.getMessage());
            throw e;
        }
        synchronized (POOLS) { // page_pools_lock: ADD before any orphaning CHANGE or DEL of this pool
            POOLS.put(pool.id, pool);
            if (pool.visibility == Visibility.NORMAL.ordinal()) { // page_pool_list: hlist_add_head
                NETDEV_POOLS.computeIfAbsent(params.queue().ifindex(), k -> new java.util.ArrayDeque<>())
                        .addFirst(pool);
            }
            for (PagePoolListener l : LISTENERS) {
                l.added(pool);
            }
        }
        PoolEvents.created(pool);
        return pool;
    }

    /** {@code xa_alloc_cyclic(..., xa_limit_32b)} from 1: u32 ids, 0xffffffff wraps to 1. */
    private static int allocId() {
        while (true) {
            int id = NEXT_ID.getAndUpdate(i -> i == -1 ? 1 : i + 1);
            if (id != 0 && !POOLS.containsKey(id)) {
                return id;
            }
        }
    }

    /** Test hook: the next id to try; returns the previous value. */
    static int nextIdForTest(int next) {
        return NEXT_ID.getAndSet(next);
    }

    // =====================================================================================
    // Allocation (allocation context)
    // =====================================================================================

    /**
     * Allocates one buffer ({@code page_pool_alloc_netmems}): the fast cache, else a refill of up to
     * {@link #PP_ALLOC_CACHE_REFILL} from the ring, else the provider.
     * Caller: allocation context.
     *
     * @return a buffer with {@code pp_ref_count == 1}, or {@code null} if no memory could be had
     * @throws IllegalStateException if the pool was destroyed
     */
    public NetIov alloc() {
        assert allocContext() : notAllocContext();
        int n = allocCount;
        if (n > 0) {
            NetIov niov = cache[--n];
            allocCount = n;
            niov.allocated = true;
            counters.fast();
            leaks.allocated(niov);
            return niov;
        }
        return allocSlowPath();
    }

    private NetIov allocSlowPath() {
        if ((int) STATE.getVolatile(this) != ACTIVE) {
            throw Errors.destroyed(this);
        }
        NetIov niov = refillAllocCache();
        if (niov == null) {
            niov = allocFromProvider();
        }
        if (niov != null) {
            leaks.allocated(niov);
        }
        return niov;
    }

    /** {@code page_pool_refill_alloc_cache}: move up to REFILL buffers from the ring to the cache. */
    private NetIov refillAllocCache() {
        if (ring.isEmpty()) {
            counters.empty();
            return null;
        }
        int pref = nid == NetIov.NUMA_NO_NODE ? LOCAL_NODE : nid;
        int n = allocCount;
        do {
            NetIov niov = ring.poll();
            if (niov == null) {
                break;
            }
            if (!isPrefNid(niov, pref)) {
                returnNetmem(niov);
                counters.waive();
                break;
            }
            cache[n++] = niov;
        } while (n < PP_ALLOC_CACHE_REFILL);
        if (n == 0) {
            return null;
        }
        NetIov niov = cache[--n];
        allocCount = n;
        niov.allocated = true;
        counters.refill();
        return niov;
    }

    /** {@code netmem_is_pref_nid}: net_iovs and node-less pages always are. */
    private static boolean isPrefNid(NetIov niov, int pref) {
        int node = niov.nid();
        return niov.type() != NetIovType.PAGE || node == NetIov.NUMA_NO_NODE || node == pref;
    }

    private NetIov allocFromProvider() {
        NetIov niov = provider.allocNetmems(mp);
        if (niov == null) {
            PoolEvents.allocFailed(this);
            return null;
        }
        assert niov.pp == this : "provider returned a buffer not accounted to pool " + id + ": " + niov;
        if (!unreadable) {
            if (params.order() > 0) {
                counters.slowHighOrder();
            } else {
                counters.slow();
            }
        }
        niov.allocated = true;
        return niov;
    }

    /**
     * Allocates a fragment of {@code size} bytes ({@code page_pool_alloc_frag_netmem}): fragments are
     * carved from one buffer that holds a {@link #BIAS_MAX} reference bias; each fragment holds one
     * {@code pp_ref_count} and is freed with {@link #putNetmem putNetmem(netmem, -1, ...)}. The offset of
     * the returned fragment is {@link #lastFragOffset()}. Caller: allocation context.
     *
     * @param size bytes, rounded up to {@link #DMA_CACHE_ALIGNMENT}
     * @return the buffer holding the fragment, or {@code null} if no memory could be had
     * @throws IllegalArgumentException if {@code size} is not in {@code [1, bufferSize]}
     */
    public NetIov allocFrag(int size) {
        assert allocContext() : notAllocContext();
        if (size <= 0 || size > bufferSize) {
            throw Errors.fragSize(size, bufferSize);
        }
        size = (size + DMA_CACHE_ALIGNMENT - 1) & -DMA_CACHE_ALIGNMENT;
        NetIov page = fragPage;
        int offset = fragOffset;
        if (page != null && offset + size > bufferSize) {
            page = drainFrag(page);
            if (page != null) {
                counters.cached();
                counters.fast();
                return fragReset(page, size);
            }
        }
        if (page == null) {
            page = alloc();
            fragPage = page;
            return page == null ? null : fragReset(page, size);
        }
        fragUsers++;
        lastFragOffset = offset;
        fragOffset = offset + size;
        return page;
    }

    /** The offset of the fragment {@link #allocFrag} or {@link #allocNetmem} returned last. Caller: allocation context. */
    public int lastFragOffset() {
        return lastFragOffset;
    }

    /**
     * {@code page_pool_alloc_netmem(pool, &offset, &size)}: a whole buffer when {@code size * 2} exceeds
     * the buffer size (offset 0, size = the buffer), else a fragment; when no further fragment of
     * this size would fit after it, the fragment takes the rest of the buffer (the "truesize
     * underestimate" fix). The offset and size granted are {@link #lastFragOffset()} and
     * {@link #lastAllocSize()}. Caller: allocation context.
     *
     * @return the buffer, or {@code null} if no memory could be had
     * @throws IllegalArgumentException if {@code size} is not in {@code [1, bufferSize]}
     */
    public NetIov allocNetmem(int size) {
        int max = bufferSize;
        if (size <= 0 || size > max) {
            throw Errors.fragSize(size, max);
        }
        if ((long) size << 1 > max) {
            lastFragOffset = 0;
            lastAllocSize = max;
            return alloc();
        }
        NetIov n = allocFrag(size);
        if (n == null) {
            return null;
        }
        lastAllocSize = size;
        if (fragOffset + size > max) {
            lastAllocSize = max - lastFragOffset;
            fragOffset = max;
        }
        return n;
    }

    /** The size {@link #allocNetmem} granted last. Caller: allocation context. */
    public int lastAllocSize() {
        return lastAllocSize;
    }

    private NetIov fragReset(NetIov page, int size) {
        fragUsers = 1;
        lastFragOffset = 0;
        fragOffset = size;
        page.setPpRefCountRelease(BIAS_MAX);
        return page;
    }

    /** {@code page_pool_drain_frag}: drop the unused bias; reuse the page if that was the last reference. */
    private NetIov drainFrag(NetIov page) {
        if (unrefNetmem(page, BIAS_MAX - fragUsers) != 0) {
            return null;
        }
        if (recyclable(page)) {
            syncForDevice(page, -1);
            return page;
        }
        page.allocated = false;
        leaks.returned(page);
        returnNetmem(page);
        return null;
    }

    /** {@code page_pool_free_frag}. */
    private void freeFrag() {
        NetIov page = fragPage;
        fragPage = null;
        if (page == null || unrefNetmem(page, BIAS_MAX - fragUsers) != 0) {
            return;
        }
        page.allocated = false;
        leaks.returned(page);
        returnNetmem(page);
    }

    // =====================================================================================
    // pp_ref_count (models helpers.h)
    // =====================================================================================

    /**
     * {@code page_pool_ref_netmem}: takes one more {@code pp_ref_count} reference (an skb clone, a
     * socket token, a user ref). Any thread.
     *
     * @throws IllegalStateException if the buffer is not out of its pool
     */
    public static void refNetmem(NetIov netmem) {
        if (!netmem.allocated) {
            throw Errors.refAtRest(netmem);
        }
        netmem.getAndAddPpRefCount(1);
    }

    /**
     * {@code page_pool_unref_netmem}: drops {@code nr} references and returns what is left. When the
     * caller holds exactly {@code nr} there is no atomic read-modify-write. When the count reaches 0
     * it is reset to 1 (every buffer at rest has {@code pp_ref_count == 1}) and the caller must put
     * the buffer with {@link #putUnrefedNetmem}. Any thread.
     *
     * @throws IllegalArgumentException if {@code nr < 1} (a negative count would add references)
     * @throws IllegalStateException    if more references are dropped than are held (nothing changes)
     */
    public static long unrefNetmem(NetIov netmem, long nr) {
        if (nr < 1) {
            throw Errors.badRefCount(nr);
        }
        if (netmem.getPpRefCountAcquire() == nr) {
            if (nr != 1) {
                netmem.setPpRefCountRelease(1);
            }
            return 0;
        }
        long ret = netmem.getAndAddPpRefCount(-nr) - nr;
        if (ret < 0) {
            netmem.getAndAddPpRefCount(nr);
            throw Errors.refUnderflow(netmem, nr, ret + nr);
        }
        if (ret == 0) {
            netmem.setPpRefCountRelease(1);
        }
        return ret;
    }

    /**
     * {@code page_pool_fragment_netmem}: sets {@code pp_ref_count} to {@code nr} on a buffer just
     * allocated and not yet shared.
     */
    public static void fragmentNetmem(NetIov netmem, long nr) {
        if (nr < 1) {
            throw Errors.badRefCount(nr);
        }
        netmem.setPpRefCountRelease(nr);
    }

    // =====================================================================================
    // Put (recycle) paths
    // =====================================================================================

    /**
     * {@code page_pool_put_netmem}: drops one reference; the last one recycles the buffer (fast cache
     * when {@code allowDirect} or NAPI-local, else the ring) or releases it.
     *
     * @param netmem      a buffer of this pool
     * @param dmaSyncSize bytes to sync for the device ({@code min(dmaSyncSize, maxLen)}); -1 for all
     * @param allowDirect the caller guarantees allocation context
     * @throws IllegalArgumentException if the buffer is foreign or belongs to another pool
     * @throws IllegalStateException    if the buffer is already back in the pool (double put)
     */
    public void putNetmem(NetIov netmem, int dmaSyncSize, boolean allowDirect) {
        assert !allowDirect || allocContext() : notAllocContext();
        if (netmem.pp != this || !netmem.allocated) {
            throw Errors.badPut(this, netmem);
        }
        if (unrefNetmem(netmem, 1) != 0) {
            return;
        }
        putUnrefed(netmem, dmaSyncSize, allowDirect);
    }

    /** {@code page_pool_put_full_page}: {@link #putNetmem} syncing the whole {@code maxLen}. */
    public void putFullPage(NetIov netmem, boolean allowDirect) {
        putNetmem(netmem, -1, allowDirect);
    }

    /** {@code page_pool_recycle_direct}: put into the fast cache. Caller: allocation context. */
    public void recycleDirect(NetIov netmem) {
        putNetmem(netmem, -1, true);
    }

    /**
     * {@code page_pool_put_unrefed_netmem}: recycles a buffer whose last reference the caller already
     * dropped with {@link #unrefNetmem} (providers returning a buffer to the pool that owns it).
     *
     * @throws IllegalArgumentException if the buffer is foreign or belongs to another pool
     * @throws IllegalStateException    if it is already back in the pool
     */
    public void putUnrefedNetmem(NetIov netmem, int dmaSyncSize, boolean allowDirect) {
        assert !allowDirect || allocContext() : notAllocContext();
        if (netmem.pp != this || !netmem.allocated) {
            throw Errors.badPut(this, netmem);
        }
        putUnrefed(netmem, dmaSyncSize, allowDirect);
    }

    /** {@code page_pool_put_unrefed_netmem}: the recycle fast path, else {@link #putUnrefedSlowPath}. */
    private void putUnrefed(NetIov netmem, int dmaSyncSize, boolean allowDirect) {
        netmem.allocated = false;
        leaks.returned(netmem);
        // Recycle fast path: a recyclable buffer put in allocation context, room in the cache.
        if ((allowDirect || napiLocal()) && (int) STATE.getAcquire(this) == ACTIVE && recyclable(netmem)
                && allocCount < PP_ALLOC_CACHE_SIZE) {
            syncForDevice(netmem, dmaSyncSize);
            cache[allocCount++] = netmem;
            counters.cached();
            return;
        }
        putUnrefedSlowPath(netmem, dmaSyncSize, allowDirect);
    }

    /**
     * The puts the fast path does not take: a destroyed pool (straight to the release path), a page
     * with extra page references ({@code releasedRefcnt}), a full cache, or a put from outside the
     * pool's NAPI (the ring).
     */
    private void putUnrefedSlowPath(NetIov netmem, int dmaSyncSize, boolean allowDirect) {
        if ((int) STATE.getAcquire(this) != ACTIVE) {
            returnNetmem(netmem); // a late put on a destroyed pool: straight to the release path
            return;
        }
        if (!recyclable(netmem)) {
            counters.releasedRefcnt();
            returnNetmem(netmem);
            return;
        }
        syncForDevice(netmem, dmaSyncSize);
        if (allowDirect || napiLocal()) {
            counters.cacheFull(); // direct and recyclable, so the fast path found the cache full
        }
        recycleInRing(netmem);
    }

    private void recycleInRing(NetIov netmem) {
        if (!ring.offer(netmem)) {
            counters.ringFull();
            returnNetmem(netmem);
            return;
        }
        // Dekker partner of destroy(): it sets state (volatile) then drains; we produced (CAS) and now
        // re-read state. One of us sees the other, so a buffer produced while the pool is being
        // destroyed is drained by whoever sees it.
        if ((int) STATE.getVolatile(this) != ACTIVE) {
            drainRingSlowPath();
        }
    }

    /**
     * {@code page_pool_put_netmem_bulk}: drops one reference on each of {@code data[0..count)}, which
     * may belong to different pools, and recycles or releases the buffers whose last reference went.
     * Entries are handled in batches of {@link #XDP_BULK_QUEUE_SIZE}; within a batch, the buffers of
     * one pool are handled in one round with one NAPI-locality check and one ring claim.
     * A buffer may appear once per reference the caller holds on it (frags of one page). Every entry
     * is validated before any reference changes. The caller must not use {@code data}
     * afterwards. Any thread.
     *
     * @throws IllegalArgumentException if an entry is foreign, or {@code count} is out of range
     * @throws IllegalStateException    if an entry is already back in its pool, or appears more often
     *                                  than it has references
     */
    public static void putBulk(NetIov[] data, int count) {
        Objects.checkFromIndexSize(0, count, data.length);
        validateBulk(data, count);
        for (int base = 0; base < count; base += XDP_BULK_QUEUE_SIZE) {
            putBulkBatch(data, base, Math.min(XDP_BULK_QUEUE_SIZE, count - base));
        }
    }

    /**
     * One {@code page_pool_put_netmem_bulk} call of at most {@link #XDP_BULK_QUEUE_SIZE} entries,
     * {@code data[base..base+len)}: unref all, then one round per pool.
     */
    private static void putBulkBatch(NetIov[] data, int base, int len) {
        int n = base;
        for (int i = base; i < base + len; i++) {
            NetIov niov = data[i];
            if (unrefNetmem(niov, 1) == 0) {
                data[n++] = niov;
            }
        }
        int start = base;
        while (start < n) {
            PagePool pool = data[start].pp;
            int mid = start;
            for (int i = start; i < n; i++) {
                if (data[i].pp == pool) {
                    NetIov t = data[i];
                    data[i] = data[mid];
                    data[mid++] = t;
                }
            }
            pool.putBulkRound(data, start, mid);
            start = mid;
        }
    }

    private static void validateBulk(NetIov[] data, int count) {
        long stamp = BULK_STAMPS.incrementAndGet(); // unique per call: only this call writes it
        boolean repeats = false;
        for (int i = 0; i < count; i++) {
            NetIov niov = data[i];
            if (niov == null || niov.pp == null || !niov.allocated) {
                throw Errors.badPut(niov == null ? null : niov.pp, niov);
            }
            if (niov.bulkStamp == stamp) {
                repeats = true;
            } else {
                niov.bulkStamp = stamp;
            }
        }
        if (repeats) {
            checkRepeatsSlowPath(data, count);
        }
    }

    /**
     * A buffer appears more than once in one bulk put: legal once per reference held (frags of one
     * page), a double put beyond that. Rare, so exact and simple.
     */
    private static void checkRepeatsSlowPath(NetIov[] data, int count) {
        IdentityHashMap<NetIov, Integer> seen = new IdentityHashMap<>(count * 2);
        for (int i = 0; i < count; i++) {
            seen.merge(data[i], 1, Integer::sum);
        }
        seen.forEach((niov, times) -> {
            if (times > 1) {
                checkOccurrences(niov, times);
            }
        });
    }

    private static void checkOccurrences(NetIov niov, int times) {
        long refs = niov.ppRefCount();
        if (times > refs) {
            throw Errors.bulkDuplicate(niov, times, refs);
        }
    }

    /** One round of putBulk: data[from..to) all belong to this pool and dropped their last reference. */
    private void putBulkRound(NetIov[] data, int from, int to) {
        if ((int) STATE.getAcquire(this) != ACTIVE) {
            for (int i = from; i < to; i++) {
                data[i].allocated = false;
                leaks.returned(data[i]);
                returnNetmem(data[i]);
            }
            return;
        }
        boolean direct = napiLocal();
        int candidates = from;
        for (int i = from; i < to; i++) {
            NetIov niov = data[i];
            niov.allocated = false;
            leaks.returned(niov);
            if (!recyclable(niov)) {
                counters.releasedRefcnt();
                returnNetmem(niov);
                continue;
            }
            syncForDevice(niov, -1);
            if (direct) {
                if (allocCount < PP_ALLOC_CACHE_SIZE) {
                    cache[allocCount++] = niov;
                    counters.cached();
                    continue;
                }
                counters.cacheFull();
            }
            data[candidates++] = niov;
        }
        int want = candidates - from;
        int produced = ring.offerBulk(data, from, want);
        if (produced < want) {
            counters.ringFull();
            for (int i = from + produced; i < candidates; i++) {
                returnNetmem(data[i]);
            }
        }
        if (produced > 0 && (int) STATE.getVolatile(this) != ACTIVE) {
            drainRingSlowPath();
        }
    }

    /**
     * {@code __page_pool_page_can_be_recycled}: a net_iov always; a page only without extra page refs
     * and not from the allocator's reserves (a pfmemalloc page goes back so the reserves refill).
     */
    private static boolean recyclable(NetIov netmem) {
        return netmem.type() != NetIovType.PAGE || (netmem.pageRefCount() == 1 && !netmem.pfmemalloc);
    }

    /** {@code page_pool_napi_local}: the calling thread is running the pool's NAPI. */
    private boolean napiLocal() {
        Napi n = napi;
        return n != null && n.isOwnerThread();
    }

    private boolean allocContext() {
        Napi n = napi;
        return n == null || n.isOwnerThread();
    }

    private String notAllocContext() {
        return "page pool " + id + ": caller must run " + napi + ", not thread " + Thread.currentThread().getName();
    }

    // =====================================================================================
    // The release path: the only way a buffer leaves the pool
    // =====================================================================================

    /**
     * {@code page_pool_return_netmem}: unmap (if the pool maps and the scrub did not already), provider
     * release, then exactly one {@code release++}. A page the provider wants freed is freed before
     * that increment, so the pool is never seen {@link State#RELEASED RELEASED} while one of its pages
     * is on its way home. After the increment the pool may be released; only the lifecycle check
     * below touches it.
     */
    private void returnNetmem(NetIov netmem) {
        if (dmaMap) {
            releaseDma(netmem);
        }
        if (provider.releaseNetmem(mp, netmem)) {
            netmem.clearPpInfo();
            netmem.putPage();
        }
        int released = (int) RELEASE_CNT.getAndAdd(this, 1) + 1;
        // Dekker partner of detach(): we counted (volatile RMW) and now read DETACHED; it set DETACHED
        // and then reads the count. One of us sees the other, so the last buffer home after CHANGE
        // is never missed, and nothing here can send DEL before detach sent CHANGE.
        if ((boolean) DETACHED.getVolatile(this)) {
            releaseIfDrained(released);
        }
    }

    private void releaseIfDrained(int released) {
        if (released - (int) HOLD_CNT.getVolatile(this) == 0) {
            finishRelease();
        }
    }

    /**
     * {@code __page_pool_destroy}: once, when the pool is destroyed and every buffer is home: the
     * disconnect callback, the provider's {@code destroy}, then unlist ({@code DEL}).
     */
    private void finishRelease() {
        if (!STATE.compareAndSet(this, DESTROYING, RELEASED)) {
            return;
        }
        ScheduledFuture<?> r = retry;
        if (r != null) {
            r.cancel(false);
        }
        java.util.function.Consumer<PagePool> d = disconnect;
        if (d != null) {
            d.accept(this);
        }
        provider.destroy(mp);
        synchronized (POOLS) { // page_pools_lock: page_pool_unlist, ordered with page_pool_unreg_netdev
            POOLS.remove(id, this);
            unlinkFromNetdev();
            for (PagePoolListener l : LISTENERS) {
                l.deleted(this);
            }
        }
        PoolEvents.released(this);
    }

    /**
     * {@code page_pool_empty_ring}: returns every ring entry, checking the at-rest invariant on the
     * way (a buffer in the ring holds no page reference but the pool's: "page_pool refcnt %d
     * violation", counted in {@link #refcntViolations()}).
     */
    private void drainRingSlowPath() {
        synchronized (drainLock) {
            NetIov niov;
            while ((niov = ring.poll()) != null) {
                int ref = niov.pageRefCount();
                if (ref != 1) {
                    refcntViolations.incrementAndGet();
                    LOG.log(System.Logger.Level.ERROR, "page pool {0}: page_pool refcnt {1} violation: {2}",
                            idString(), Integer.toString(ref), niov);
                }
                returnNetmem(niov);
            }
        }
    }

    // =====================================================================================
    // DMA
    // =====================================================================================

    /**
     * {@code page_pool_dma_map}: maps the whole buffer, records it in {@code dma_mapped} under a
     * fresh index, and syncs {@code maxLen} for the device. Allocation context.
     */
    private boolean dmaMapNetmem(NetIov netmem) {
        long iova = device.map(bufferSize, params.dmaDir());
        if (iova == DmaDevice.DMA_MAPPING_ERROR) {
            return false;
        }
        netmem.dmaAddr = iova;
        netmem.dmaIndex = dmaMapped.add(netmem); // xa_alloc: the lowest free index from 1
        syncForDevice(netmem, params.maxLen());
        return true;
    }

    /**
     * {@code __page_pool_release_netmem_dma}: only the caller that takes the buffer out of
     * {@code dma_mapped} unmaps it, so a late put after the scrub never unmaps twice. Any thread.
     */
    private void releaseDma(NetIov netmem) {
        int idx = netmem.dmaIndex;
        if (idx == 0 || !dmaMapped.remove(idx, netmem)) {
            return; // the scrub, or another release, already unmapped it
        }
        device.unmap(netmem.dmaAddr, bufferSize, params.dmaDir());
        netmem.dmaAddr = 0;
        netmem.dmaIndex = 0;
    }

    /**
     * The DMA half of {@code page_pool_scrub} (first release pass): turn syncs off, wait out the syncs
     * that saw them on ({@code synchronize_net()}), then unmap every buffer still mapped, in flight
     * or not. Buffers out keep their memory; their late put only counts the release.
     */
    private void scrubDma() {
        if ((boolean) DMA_SYNC.getVolatile(this)) {
            DMA_SYNC.setVolatile(this, false);
            while ((int) SYNCS_IN_FLIGHT.getVolatile(this) != 0) {
                Thread.onSpinWait();
            }
        }
        dmaMapped.forEach(this::releaseDma);
    }

    /**
     * {@code page_pool_dma_sync_netmem_for_cpu}: the driver syncs {@code size} bytes of a received
     * buffer for the CPU, at {@code offset} past the pool's {@code offset}, before the stack reads
     * them. Does nothing when the pool's provider turned {@link #dmaSyncForCpu()} off, or the pool has
     * no device. Caller: the driver, in its NAPI poll.
     */
    public void dmaSyncNetmemForCpu(NetIov netmem, int offset, int size) {
        if (dmaSyncForCpu && device != null) {
            device.syncForCpu(netmem.dmaAddr + params.offset() + offset, size, params.dmaDir());
        }
    }

    /** {@code dma_sync_for_cpu}: whether {@link #dmaSyncNetmemForCpu} syncs (a provider may turn it off). */
    public boolean dmaSyncForCpu() {
        return dmaSyncForCpu;
    }

    /** {@code page_pool_dma_sync_for_device}: {@code min(size, maxLen)} bytes at {@code dma + offset}. */
    private void syncForDevice(NetIov netmem, int size) {
        if ((boolean) DMA_SYNC.get(this)) {
            syncForDeviceRcu(netmem, size);
        }
    }

    /**
     * The sync under {@code rcu_read_lock()}: announce it, re-check that syncs are still on (the
     * scrub's volatile write of DMA_SYNC is the partner of this volatile read; the scrub then waits
     * for SYNCS_IN_FLIGHT to drain), sync, withdraw.
     */
    private void syncForDeviceRcu(NetIov netmem, int size) {
        SYNCS_IN_FLIGHT.getAndAdd(this, 1);
        try {
            if ((boolean) DMA_SYNC.getVolatile(this)) {
                int maxLen = params.maxLen();
                int len = size < 0 || size > maxLen ? maxLen : size;
                device.syncForDevice(netmem.dmaAddr + params.offset(), len, params.dmaDir());
            }
        } finally {
            SYNCS_IN_FLIGHT.getAndAdd(this, -1);
        }
    }

    // =====================================================================================
    // Lifecycle
    // =====================================================================================

    /**
     * {@code page_pool_destroy}: disables direct recycling, releases the frag page and runs the
     * release pass; if buffers are still in flight the pool is detached ({@code CHANGE}) and the pass
     * re-runs every {@code releaseRetry} until they are home. Any thread, but the pool's NAPI must
     * not be running (the driver stopped the queue).
     *
     * @throws IllegalStateException if the pool was already destroyed, or its NAPI is running on
     *                               another thread
     */
    public void destroy() {
        Napi n = napi;
        if (n != null) {
            Thread owner = n.owner();
            if (owner != null && owner != Thread.currentThread()) {
                throw Errors.napiRunning(this, n, owner);
            }
        }
        int users = userCnt.decrementAndGet();
        if (users > 0) {
            return; // page_pool_put: another user (the XDP memory model) still holds the pool
        }
        if (users < 0 || !STATE.compareAndSet(this, ACTIVE, DESTROYING)) {
            userCnt.incrementAndGet();
            throw Errors.alreadyDestroyed(this);
        }
        napi = null;
        freeFrag();
        if (release() != 0) {
            detach(); // a negative count is a bug, but the pool still detaches and retries once
        }
    }

    /**
     * {@code page_pool_release}: scrub, the strict in-flight count, and {@code __page_pool_destroy}
     * when it is 0. With the last put of a detached pool, the only path that releases a pool.
     */
    private int release() {
        scrub();
        int inflight = (int) HOLD_CNT.getVolatile(this) - (int) RELEASE_CNT.getVolatile(this);
        if (inflight < 0) {
            LOG.log(System.Logger.Level.ERROR, "page pool {0}: Negative({1}) inflight packet-pages", idString(),
                    Integer.toString(inflight));
        } else if (inflight == 0) {
            finishRelease();
        }
        return inflight;
    }

    /** {@code page_pool_scrub}: the cache and the DMA work on the first pass only; the ring every pass. */
    private void scrub() {
        long passes = destroyCnt;
        destroyCnt = passes + 1; // single writer at a time: destroy, then the retry thread it scheduled
        if (passes == 0) {
            for (int i = allocCount - 1; i >= 0; i--) {
                NetIov niov = cache[i];
                cache[i] = null;
                returnNetmem(niov);
            }
            allocCount = 0;
            if (dmaMap) {
                scrubDma();
            }
        }
        drainRingSlowPath();
    }

    /** {@code page_pool_detached} plus scheduling {@code release_dw}. */
    private void detach() {
        detachTime = Instant.now();
        deferWarnAt = System.nanoTime() + params.stallWarn().toNanos();
        PoolEvents.detached(this);
        for (PagePoolListener l : LISTENERS) {
            l.changed(this);
        }
        retry = ReleaseScheduler.after(params.releaseRetry(), this::releaseRetry);
        // Dekker partner of returnNetmem's DETACHED read: the last buffer may have come home since
        // release() counted; whoever of us sees the other finishes (finishRelease is once only).
        DETACHED.setVolatile(this, true);
        releaseIfDrained((int) RELEASE_CNT.getVolatile(this));
    }

    /**
     * {@code page_pool_release_retry}: re-runs the release pass; stops when it reports 0 or less (a
     * negative count never recovers); warns every {@code stallWarn} while shutdown is stalled, but
     * only for a pool nobody can see ({@link Visibility#INVISIBLE}).
     */
    private void releaseRetry() {
        if ((int) STATE.getVolatile(this) == RELEASED) {
            return;
        }
        int inflight = release();
        if (inflight <= 0) {
            return; // released, or a negative count that never recovers: not re-armed
        }
        long now = System.nanoTime();
        if (now - deferWarnAt >= 0 && visibility == Visibility.INVISIBLE.ordinal()) {
            long sec = java.time.Duration.between(detachTime, Instant.now()).toSeconds();
            Map<String, Long> sites = leaks.outstandingBySite();
            LOG.log(System.Logger.Level.WARNING, "stalled pool shutdown: id {0,number,#}, {1,number,#} inflight"
                            + " {2,number,#} sec{3}", Integer.toUnsignedLong(id), inflight, sec,
                    sites.isEmpty() ? "" : "; outstanding buffers allocated at " + sites);
            deferWarnAt = now + params.stallWarn().toNanos();
            stallWarnings++; // single writer: the release scheduler thread
            PoolEvents.stalled(this, inflight, sec);
        }
        retry = ReleaseScheduler.after(params.releaseRetry(), this::releaseRetry); // still stuck: retry later
    }

    /**
     * {@code page_pool_use_xdp_mem}: the XDP memory model becomes a second user of the pool
     * ({@code user_cnt++}) and sets the disconnect callback. From then on the pool is destroyed only
     * by the last of its users' {@link #destroy()} calls; {@code disconnect} runs once, when the pool
     * is finally released, before it is unlisted. Control path.
     *
     * @throws IllegalStateException if the pool is destroyed
     */
    public void useXdpMem(java.util.function.Consumer<PagePool> disconnect) {
        Objects.requireNonNull(disconnect, "disconnect");
        if ((int) STATE.getVolatile(this) != ACTIVE) {
            throw Errors.destroyed(this);
        }
        userCnt.incrementAndGet();
        this.disconnect = disconnect;
    }

    /** {@code user_cnt}: users that still have to call {@link #destroy()}. */
    public int userCount() {
        return userCnt.get();
    }

    /**
     * {@code page_pool_update_nid}: allocate from {@code newNid} from now on and return the cached
     * buffers (they may be on the old node). Caller: allocation context.
     */
    public void updateNid(int newNid) {
        assert allocContext() : notAllocContext();
        if (newNid < NetIov.NUMA_NO_NODE) {
            throw new IllegalArgumentException("nid must be >= -1: " + newNid);
        }
        nid = newNid;
        while (allocCount > 0) {
            NetIov niov = cache[--allocCount];
            cache[allocCount] = null;
            returnNetmem(niov);
        }
    }

    /**
     * {@code page_pool_enable_direct_recycling}: links the pool to {@code napi}. Idempotent.
     *
     * @throws IllegalStateException if another NAPI is linked, or the pool is destroyed
     */
    public void enableDirectRecycling(Napi napi) {
        Objects.requireNonNull(napi, "napi");
        if ((int) STATE.getVolatile(this) != ACTIVE) {
            throw Errors.destroyed(this);
        }
        Napi cur = this.napi;
        if (cur != null && cur != napi) {
            throw new IllegalStateException("page pool " + id + " is already linked to " + cur);
        }
        this.napi = napi;
    }

    /** {@code page_pool_disable_direct_recycling}: unlinks the NAPI; puts go to the ring from now on. */
    public void disableDirectRecycling() {
        this.napi = null;
    }

    // =====================================================================================
    // Queries (any thread)
    // =====================================================================================

    /**
     * The pool id ({@code user.id}): a u32 held in an {@code int}, cyclic over {@code [1, 2^32 - 1]},
     * unique among listed pools. Ids past {@code 2^31 - 1} are negative as an {@code int}: print
     * them with {@link #idString()} or {@link Integer#toUnsignedString(int)}.
     */
    public int id() {
        return id;
    }

    /** {@link #id()} as an unsigned decimal, as netlink reports it. */
    public String idString() {
        return Integer.toUnsignedString(id);
    }

    /** The parameters the pool was created with. */
    public PagePoolParams params() {
        return params;
    }

    /** The memory provider in use (the queue's, or {@code hostPages}). */
    public MemoryProvider provider() {
        return provider;
    }

    /** {@code page_pool_is_unreadable}. */
    public boolean isUnreadable() {
        return unreadable;
    }

    /** The linked NAPI, or {@code null} (none, or destroyed). */
    public Napi napi() {
        return napi;
    }

    /** The lifecycle state. */
    public State state() {
        return State.values()[(int) STATE.getVolatile(this)];
    }

    /** When destroy left buffers in flight, or empty while attached ({@code detach_time}). */
    public Optional<Instant> detachTime() {
        return Optional.ofNullable(detachTime);
    }

    /** How many "stalled pool shutdown" warnings this pool has logged (volatile read). */
    public int stallWarnings() {
        return stallWarnings;
    }

    /** {@code destroy_cnt}: release passes run so far (destroy, then one per retry). Volatile read. */
    public long destroyCount() {
        return destroyCnt;
    }

    /**
     * Pages of this pool someone tried to free with {@link NetIov#putPage()} while the pool owned
     * them: the page allocator's "page_pool leak" bad-page reports. None of them was freed.
     */
    public long pagePoolLeaks() {
        return pagePoolLeaks.get();
    }

    /** Ring entries found with a page refcount other than 1 when the ring was drained ("refcnt violation"). */
    public long refcntViolations() {
        return refcntViolations.get();
    }

    /** Who can see the pool now (volatile read). */
    public Visibility visibility() {
        return Visibility.values()[visibility];
    }

    void countPagePoolLeak() {
        pagePoolLeaks.incrementAndGet();
        LOG.log(System.Logger.Level.ERROR, "page pool {0}: BUG: Bad page state: page_pool leak", idString());
    }

    /**
     * With {@code leakTracking}: outstanding buffers (handed out, not yet home) grouped by the code
     * that allocated them, most first. Empty without leak tracking.
     */
    public Map<String, Long> outstandingAllocationSites() {
        return leaks.outstandingBySite();
    }

    /** Buffers that entered the pool ({@code pages_state_hold_cnt}); an opaque read. */
    public int holdCount() {
        return (int) HOLD_CNT.getOpaque(this);
    }

    /** Buffers that left it ({@code pages_state_release_cnt}); a volatile read. */
    public int releaseCount() {
        return (int) RELEASE_CNT.getVolatile(this);
    }

    /** Buffers out of the pool's hands: {@code hold - release}, clamped at 0 for reporting. */
    public int inflight() {
        return Math.max(0, holdCount() - releaseCount());
    }

    /** {@code inflight × buffer size}, as netlink's {@code inflight-mem}. */
    public long inflightMem() {
        return (long) inflight() * bufferSize;
    }

    /** Buffers in the fast cache (a plain read). Exact in allocation context; a hint elsewhere. */
    public int allocCacheCount() {
        return allocCount;
    }

    /** Buffers in the ring (volatile reads of the ring indices; a hint while producers run). */
    public int ringCount() {
        return ring.size();
    }

    /** Whether the pool keeps statistics. */
    public boolean statsEnabled() {
        return counters.enabled();
    }

    /**
     * A statistics snapshot.
     *
     * @throws UnsupportedOperationException if the pool was created with {@code stats=false}
     */
    public PagePoolStats stats() {
        return counters.snapshot(ring.producedCount());
    }

    @Override
    public String toString() {
        return "PagePool[id=" + idString() + ", " + state() + ", inflight=" + inflight() + "]";
    }

    // =====================================================================================
    // Registry and notifications
    // =====================================================================================

    /** Listed pools (attached and detached), in no particular order. */
    public static List<PagePool> pools() {
        return new ArrayList<>(POOLS.values());
    }

    /** A listed pool by id. */
    public static Optional<PagePool> byId(int id) {
        return Optional.ofNullable(POOLS.get(id));
    }

    /**
     * {@code page_pool_netdevice_event(NETDEV_UNREGISTER)}: the netdev with {@code ifindex} is going
     * away. Its pools (those created for one of its RX queues, still {@link Visibility#NORMAL}) move
     * to loopback: {@link Visibility#ORPHANED}, each with a {@link PagePoolListener#changed CHANGE}
     * ({@code page_pool_unreg_netdev}). For {@link #LOOPBACK_IFINDEX} the orphans lose their netdev
     * altogether and become {@link Visibility#INVISIBLE}, without notification
     * ({@code page_pool_unreg_netdev_wipe}). The RX-queue layer calls this when it unregisters a
     * device, after closing its queues. Control path.
     *
     * @return the pools that changed
     */
    public static List<PagePool> unregisterNetdev(int ifindex) {
        synchronized (POOLS) { // page_pools_lock: a pool's orphaning CHANGE never follows its DEL
            java.util.ArrayDeque<PagePool> list = NETDEV_POOLS.remove(ifindex);
            if (list == null) {
                return new ArrayList<>();
            }
            List<PagePool> moved = new ArrayList<>(list);
            if (ifindex == LOOPBACK_IFINDEX) { // page_pool_unreg_netdev_wipe: off every list, no event
                for (PagePool p : moved) {
                    p.visibility = Visibility.INVISIBLE.ordinal();
                }
                return moved;
            }
            for (PagePool p : moved) {
                p.visibility = Visibility.ORPHANED.ordinal();
            }
            // hlist_splice_init onto lo->page_pools: this device's list, in its order, ahead of older orphans
            java.util.ArrayDeque<PagePool> lo = NETDEV_POOLS.get(LOOPBACK_IFINDEX);
            if (lo != null) {
                list.addAll(lo);
            }
            NETDEV_POOLS.put(LOOPBACK_IFINDEX, list);
            for (PagePool p : moved) {
                for (PagePoolListener l : LISTENERS) {
                    l.changed(p);
                }
            }
            return moved;
        }
    }

    /**
     * The pools on the {@code page_pools} list of netdev {@code ifindex}, newest first
     * ({@code hlist_add_head}); for {@link #LOOPBACK_IFINDEX}, the orphans, each unregistered device's
     * pools ahead of those orphaned before. A pool leaves its list when it is destroyed
     * ({@code page_pool_unlist}). Control path.
     */
    public static List<PagePool> netdevPools(int ifindex) {
        synchronized (POOLS) {
            java.util.ArrayDeque<PagePool> list = NETDEV_POOLS.get(ifindex);
            return list == null ? new ArrayList<>() : new ArrayList<>(list);
        }
    }

    /**
     * Every listed pool with a netdev, in the order {@code page-pool-get} dumps them: netdev by netdev
     * in ifindex order ({@code for_each_netdev_dump}, loopback's orphans first), each netdev's
     * {@code page_pools} list walked head to tail (newest first). Control path.
     */
    public static List<PagePool> netdevPoolsDump() {
        synchronized (POOLS) {
            List<PagePool> out = new ArrayList<>();
            for (java.util.ArrayDeque<PagePool> list : NETDEV_POOLS.values()) {
                out.addAll(list);
            }
            return out;
        }
    }

    /** {@code page_pool_unlist}: off its netdev's list ({@code hlist_del}). Caller holds {@code POOLS}. */
    private void unlinkFromNetdev() {
        int listed = visibility == Visibility.NORMAL.ordinal() ? params.queue().ifindex()
                : visibility == Visibility.ORPHANED.ordinal() ? LOOPBACK_IFINDEX : 0;
        java.util.ArrayDeque<PagePool> list = listed == 0 ? null : NETDEV_POOLS.get(listed);
        if (list != null) {
            list.remove(this); // identity: PagePool does not override equals
            if (list.isEmpty()) {
                NETDEV_POOLS.remove(listed);
            }
        }
    }

    /**
     * {@code napi_pp_put_page}: if {@code netmem} is a page-pool buffer ({@code netmem_is_pp}: the
     * signature is in {@code pp_magic}), drops one reference through its pool's put path and returns
     * {@code true}; otherwise returns {@code false} and the caller frees it as a plain page
     * ({@code skb_page_unref} falls back to {@code put_netmem}). Any thread.
     */
    public static boolean napiPpPutPage(NetIov netmem) {
        PagePool pool = netmem.pp;
        if (!netmem.isPp() || pool == null) {
            return false;
        }
        pool.putNetmem(netmem, -1, false);
        return true;
    }

    /** Registers a lifecycle listener for every pool. */
    public static void addListener(PagePoolListener listener) {
        LISTENERS.add(Objects.requireNonNull(listener, "listener"));
    }

    /** Removes a listener. */
    public static void removeListener(PagePoolListener listener) {
        LISTENERS.remove(listener);
    }

    // =====================================================================================
    // The provider's view
    // =====================================================================================

    /** The {@link PoolContext} handed to the provider: the net_mp_* support functions. */
    private final class Mp implements PoolContext {
        @Override
        public PagePool pool() {
            return PagePool.this;
        }

        @Override
        public PagePoolParams params() {
            return params;
        }

        @Override
        public int nid() {
            return nid;
        }

        @Override
        public int allocCacheCount() {
            return allocCount;
        }

        @Override
        public void placeInCache(NetIov netmem) {
            if (netmem.pp != PagePool.this) {
                throw new IllegalStateException("place_in_cache of a buffer not accounted to page pool " + id
                        + ": " + netmem);
            }
            if (allocCount >= PP_ALLOC_CACHE_SIZE) {
                throw new IllegalStateException("page pool " + id + ": alloc cache is full");
            }
            netmem.allocated = false;
            leaks.returned(netmem);
            cache[allocCount++] = netmem;
        }

        @Override
        public boolean setPagePool(NetIov netmem) {
            if (dmaMap && !dmaMapNetmem(netmem)) {
                return false;
            }
            netmem.ppMagic = 0;
            netmem.setPpInfo(PagePool.this);
            if (initCallback != null) {
                initCallback.init(netmem, params.initArg()); // page_pool_set_pp_info's init_callback
            }
            // Single writer (allocation context). Acquire partners: the volatile reads of HOLD_CNT in
            // releaseIfDrained and release(), which must see every hold before judging inflight.
            HOLD_CNT.setRelease(PagePool.this, holdCnt + 1);
            return true;
        }

        @Override
        public void clearPagePool(NetIov netmem) {
            netmem.clearPpInfo();
        }

        @Override
        public void setDmaAddr(NetIov netmem, long dmaAddr) {
            netmem.dmaAddr = dmaAddr;
        }

        @Override
        public void disableDmaSync() {
            DMA_SYNC.setVolatile(PagePool.this, false);
        }

        @Override
        public void disableDmaSyncForCpu() {
            dmaSyncForCpu = false;
        }

        @Override
        public void dmaSyncForDevice(NetIov netmem, int size) {
            syncForDevice(netmem, size);
        }
    }
}
