package dev.netmem.providers.zcrx;

import dev.netmem.api.DmaDevice;
import dev.netmem.api.DmaDirection;
import dev.netmem.api.Errno;
import dev.netmem.api.NetIov;
import dev.netmem.api.NetIovArea;
import dev.netmem.api.NetdevRxQueue;
import dev.netmem.api.PagePool;
import dev.netmem.api.PagePoolParams;
import dev.netmem.api.spi.MemoryProvider;
import dev.netmem.api.spi.PoolContext;
import dev.netmem.api.spi.ProviderInfo;
import dev.netmem.providers.internal.CyclicIds;
import dev.netmem.providers.internal.ShmFile;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * Models {@code struct io_zcrx_ifq} and its provider ops ({@code io_uring_pp_zc_ops},
 * io_uring/zcrx.c): a {@link ZcrxArea} handed to one RX queue's page pool, a completion ring through
 * which received buffers reach the user, and a refill ring through which the user gives them back.
 * The rings live in one mode-0600 shared-memory file ({@link #regionPath()}, laid out by
 * {@code ZcrxRegionDescriptor}), so the user side ({@link ZcrxUserRing}) can run in another process.
 *
 * <h2>A buffer's references</h2>
 * While a pool owns a buffer it is accounted once ({@code hold++} when it leaves the freelist). A
 * completion ({@link #postCompletion}) takes a {@code pp_ref_count} reference and then a user
 * reference ({@code user_refs}). A refill entry drops the user reference and then the
 * {@code pp_ref_count} one; whoever drops the last {@code pp_ref_count} recycles the buffer: into the
 * allocating pool's cache, or, if the buffer belongs to an older pool, back through that pool.
 *
 * <h2>Refill validation</h2>
 * The user writes the refill ring, so nothing in it is trusted: an entry with a nonzero
 * {@code __pad}, a foreign area id, an index past the area or a buffer the user holds no reference on
 * is skipped and counted ({@link #stats()}); no reference changes. The kernel ignores {@code len}.
 *
 * <h2>Events and stats</h2>
 * Registered with a {@link ZcrxEventDesc}, the ifq posts one-shot event CQEs to its completion ring
 * ({@link #ZCRX_EVENT_ALLOC_FAIL} when a pool finds no free buffer, {@link #ZCRX_EVENT_COPY} when a frag
 * is copied), each at most once until {@link #armEvent re-armed}, and with the stats flag keeps
 * {@code zcrx_stats} ({@code copy_count}, {@code copy_bytes}) in the region for the user.
 *
 * <h2>Lifecycle</h2>
 * {@code ACTIVE → CLOSED → FREED}. {@link #close()} ({@code io_shutdown_zcrx_ifqs}) stops handing out
 * buffers, scrubs the user references (each buffer the user still holds is returned as if refilled),
 * and calls the queue-close hook, which restarts the queue without the provider; the old pool is then
 * destroyed and its buffers come home through {@code releaseNetmem}. When no pool uses the ifq and
 * every buffer is back in the freelist, the area is unmapped and the region file removed.
 *
 * <h2>Execution contexts</h2>
 * {@code allocNetmems}: the pool's allocation context (NAPI); it takes the refill lock
 * ({@code rq_lock}). {@link #postCompletion}: the receive path, any thread, serialised by the
 * completion lock. {@code releaseNetmem}, queries: any thread. {@link #register}, {@link #addQueue},
 * {@link #close()}: the control path, any thread: it waits for a completion in progress and
 * makes later ones fail ({@code IllegalStateException}), so a receive racing the close never leaves
 * a user reference behind the scrub.
 */
public final class ZcrxIfq implements MemoryProvider {
    /** {@code IO_RQ_MAX_ENTRIES}: the refill ring's largest size. */
    public static final int IO_RQ_MAX_ENTRIES = 32768;
    /** {@code IORING_MAX_CQ_ENTRIES}: the completion ring's largest size. */
    public static final int IORING_MAX_CQ_ENTRIES = 2 * IO_RQ_MAX_ENTRIES;
    /** {@code IORING_CQE_F_MORE}: more completions follow (multishot receive). */
    public static final int IORING_CQE_F_MORE = 1 << 1;
    /** {@code ZCRX_FLUSH_BATCH}: refill entries one {@link #flushRq} batch takes under the refill lock. */
    public static final int ZCRX_FLUSH_BATCH = 32;
    /** {@code IORING_SETUP_CLAMP}: ring sizes past their maximum are clamped instead of refused. */
    public static final int IORING_SETUP_CLAMP = 1 << 4;
    /** {@code IORING_SETUP_CQE32}: 32-byte CQEs, room for the {@code io_uring_zcrx_cqe}. */
    public static final int IORING_SETUP_CQE32 = 1 << 11;
    /** {@code IORING_SETUP_SINGLE_ISSUER}: one task submits (required by DEFER_TASKRUN at setup). */
    public static final int IORING_SETUP_SINGLE_ISSUER = 1 << 12;
    /** {@code IORING_SETUP_DEFER_TASKRUN}: task work runs only when the issuer waits; zcrx requires it. */
    public static final int IORING_SETUP_DEFER_TASKRUN = 1 << 13;
    /** {@code IORING_SETUP_CQE_MIXED}: 16- and 32-byte CQEs mixed; zcrx accepts it instead of CQE32. */
    public static final int IORING_SETUP_CQE_MIXED = 1 << 18;
    /** {@code ZCRX_EVENT_ALLOC_FAIL}: the pool found no free buffer (refill ring and freelist empty). */
    public static final int ZCRX_EVENT_ALLOC_FAIL = 0;
    /** {@code ZCRX_EVENT_COPY}: a frag was copied into the area (copy fallback). */
    public static final int ZCRX_EVENT_COPY = 1;
    /** {@code ZCRX_EVENT_DESC_FLAG_STATS}: keep {@code struct zcrx_stats} in the region. */
    public static final int ZCRX_EVENT_DESC_FLAG_STATS = 1;
    /** Every event type's bit. */
    static final int ZCRX_EVENT_TYPE_MASK = (1 << ZCRX_EVENT_ALLOC_FAIL) | (1 << ZCRX_EVENT_COPY);
    private static final int ZCRX_EVENT_TYPE_LAST = 2;

    /** The lifecycle state. */
    public enum State {
        /** Serving its queue. */
        ACTIVE,
        /** {@link #close()} ran; buffers may still be in pools. */
        CLOSED,
        /** Everything came home: area unmapped, region file removed. */
        FREED
    }

    private static final System.Logger LOG = System.getLogger("dev.netmem.zcrx");
    private static final CyclicIds<ZcrxIfq> IDS = new CyclicIds<>();

    private final int id;
    private final ZcrxArea area;
    private final NetIovArea niovs;
    /** {@code niov_shift}: log2 of the buffer size; buffer {@code i} is at area offset {@code i << niovShift}. */
    private final int niovShift;
    /** The {@code rx_buf_len} the user asked for (0: default): whether the queue gets an {@code rx_page_size}. */
    private final boolean rxBufLenSet;
    private final DmaDevice device;
    private final ShmFile file;
    private final ZcrxRegion region;
    private final int rqMask;
    private final int cqMask;
    private final long token;
    private final Consumer<NetdevRxQueue> closeQueue;
    /** Who may {@link #close(Object)}; {@code null} for an ifq any holder may close. */
    private final Object owner;
    /** {@code allowed_notif_mask}, {@code notif_data}, the stats flag: from the event descriptor. */
    private final int allowedEvents;
    private final long eventUserData;
    private final boolean regionStats;
    private final CopyOnWriteArrayList<NetdevRxQueue> queues = new CopyOnWriteArrayList<>();
    private final AtomicInteger pools = new AtomicInteger();
    private final AtomicLong releaseErrors = new AtomicLong();
    private volatile State state = State.ACTIVE;

    // ---- refill side: guarded by rqLock (allocation context) ----
    private final Object rqLock = new Object();
    private final int[] slowBatch = new int[PagePool.PP_ALLOC_CACHE_REFILL];
    private int cachedRqHead;
    private long refilled;
    private long badPad;
    private long badArea;
    private long badIndex;
    private long noUserRef;

    // ---- completion side: guarded by cqLock ----
    private final Object cqLock = new Object();
    private int cqTail;
    private long completions;
    private int cqOverflow;
    /** {@code fired_notifs}: events posted and not re-armed. */
    private int firedEvents;
    private long events;
    private long copyCount;
    private long copyBytes;

    // ---- control side: guarded by this ----
    private long scrubbed;

    private ZcrxIfq(ZcrxArea area, DmaDevice device, ShmFile file, int rqEntries, int cqEntries,
                    ZcrxEventDesc ev, boolean rxBufLenSet, Consumer<NetdevRxQueue> closeQueue, Object owner) {
        this.owner = owner;
        this.rxBufLenSet = rxBufLenSet;
        this.allowedEvents = ev == null ? 0 : ev.typeMask();
        this.eventUserData = ev == null ? 0 : ev.userData();
        this.regionStats = ev != null && ev.stats();
        this.area = area;
        this.niovs = area.niovs();
        this.niovShift = niovs.chunkShift();
        this.device = device;
        this.file = file;
        this.token = area.token();
        this.region = ZcrxRegion.format(file.segment(), rqEntries, cqEntries, token, area.memory().byteSize());
        this.rqMask = rqEntries - 1;
        this.cqMask = cqEntries - 1;
        this.closeQueue = closeQueue;
        this.id = IDS.alloc(this);
    }

    /**
     * {@code io_register_zcrx_ifq}: creates the region file in {@code dir} and an ifq serving
     * {@code area} on {@code device}. Ring sizes are rounded up to powers of two. Control path.
     *
     * @param area       the memory to receive into; used by this ifq only
     * @param device     the DMA device of the queue ({@code ifq->dev}); pools must use the same one
     * @param rqEntries  refill ring size, in {@code [1, IO_RQ_MAX_ENTRIES]}
     * @param cqEntries  completion ring size, in {@code [1, IORING_MAX_CQ_ENTRIES]}
     * @param dir        where to create the region file, normally {@code /dev/shm}
     * @param closeQueue called by {@link #close()} for the bound queue, to restart it without this
     *                   provider ({@code net_mp_close_rxq}); supplied by the RX-queue layer
     * @throws IllegalArgumentException if a ring size is out of range ({@code -EINVAL})
     * @throws IllegalStateException    if the area is registered with another ifq
     */
    public static ZcrxIfq register(ZcrxArea area, DmaDevice device, int rqEntries, int cqEntries, Path dir,
                                   Consumer<NetdevRxQueue> closeQueue) {
        return register(area, device, rqEntries, cqEntries, dir, closeQueue, null);
    }

    /**
     * {@link #register(ZcrxArea, DmaDevice, int, int, Path, Consumer)} for an owner: only
     * {@link #close(Object)} with the same {@code owner} closes it, so code that reaches the ifq
     * through a queue's provider cannot tear down someone else's ring (the kernel ties an ifq to the
     * io_uring instance that registered it).
     *
     * @param owner the owner, or {@code null} for an ifq any holder may close
     * @throws IllegalArgumentException if a ring size is out of range ({@code -EINVAL})
     * @throws IllegalStateException    if the area is registered with another ifq
     */
    public static ZcrxIfq register(ZcrxArea area, DmaDevice device, int rqEntries, int cqEntries, Path dir,
                                   Consumer<NetdevRxQueue> closeQueue, Object owner) {
        return register(area, device, ZcrxIfqReg.of(rqEntries, cqEntries), dir, closeQueue, owner);
    }

    /**
     * {@code io_register_zcrx_ifq} with every registration option: ring sizes are checked as the
     * kernel does ({@code rq_entries} 0 is refused; past {@link #IO_RQ_MAX_ENTRIES} it is refused unless
     * the ring was set up with {@link #IORING_SETUP_CLAMP}, which clamps it; then it is rounded up to a
     * power of two; {@code cq_entries} likewise against {@link #IORING_MAX_CQ_ENTRIES}), and the event
     * descriptor's events are posted to the completion ring ({@link #armEvent}).
     *
     * <p>The checks run in {@code io_register_zcrx_ifq}'s order, the first failure wins: the ring's
     * setup flags ({@link #IORING_SETUP_DEFER_TASKRUN}, then {@link #IORING_SETUP_CQE32} or
     * {@link #IORING_SETUP_CQE_MIXED}); the registration's reserved words and {@code zcrx_id}; its
     * {@code flags}; the ring sizes; the region descriptor ({@link ZcrxRegionDesc}); then
     * {@code io_zcrx_create_area}'s: {@code rx_buf_len} ({@link ZcrxIfqReg#rxBufLen}: 0, or a power
     * of two of at least {@code PAGE_SIZE}, else {@code -EINVAL}); the area registration
     * ({@link ZcrxAreaReg}); the buffer size against the area's contiguous chunks ({@code -ERANGE}).
     * Nothing is claimed or created before they all pass. The area is split into buffers of
     * {@code 1 << ilog2(rx_buf_len)} bytes ({@link #rxBufLen()}).
     *
     * @param owner the owner, or {@code null} for an ifq any holder may close
     * @throws IllegalArgumentException if a check fails ({@code -EINVAL}; {@code -EFAULT} for a
     *                                  user-memory region without an address; {@code -ERANGE} for an
     *                                  {@code rx_buf_len} the area cannot be split by)
     * @throws IllegalStateException    if the area is registered with another ifq
     */
    public static ZcrxIfq register(ZcrxArea area, DmaDevice device, ZcrxIfqReg reg, Path dir,
                                   Consumer<NetdevRxQueue> closeQueue, Object owner) {
        Objects.requireNonNull(area, "area");
        Objects.requireNonNull(device, "device");
        Objects.requireNonNull(reg, "reg");
        Objects.requireNonNull(closeQueue, "closeQueue");
        checkRing(reg.setupFlags());
        checkIfqReg(reg);
        boolean clamp = (reg.setupFlags() & IORING_SETUP_CLAMP) != 0;
        int rq = roundUpPow2(checkEntries("rq_entries", reg.rqEntries(), IO_RQ_MAX_ENTRIES, clamp));
        int cq = roundUpPow2(checkEntries("cq_entries", reg.cqEntries(), IORING_MAX_CQ_ENTRIES, clamp));
        checkRegionDesc(reg.regionDesc()); // io_allocate_rbuf_ring -> io_create_region
        int shift = niovShift(reg.rxBufLen()); // io_zcrx_create_area, before the import
        checkAreaReg(reg.areaReg() != null ? reg.areaReg() : ZcrxAreaReg.of(area), area); // io_import_area
        if (shift > area.maxShift()) {
            throw new IllegalArgumentException("ERANGE: rx_buf_len " + reg.rxBufLen() + " does not divide the area's "
                    + area.memory().byteSize() + "-byte contiguous chunks");
        }
        area.claim(shift);
        ShmFile file;
        try {
            file = ShmFile.create(dir, "netmem-zcrx", ZcrxRegion.byteSize(rq, cq));
        } catch (RuntimeException e) {
            area.unclaim();
            throw e;
        }
        return new ZcrxIfq(area, device, file, rq, cq, reg.eventDesc(), reg.rxBufLen() != 0, closeQueue, owner);
    }

    /** {@code rx_buf_len} to {@code niov_shift}: 0 is {@code PAGE_SHIFT}; else a power of two >= PAGE_SIZE. */
    private static int niovShift(int rxBufLen) {
        if (rxBufLen == 0) {
            return NetIov.PAGE_SHIFT;
        }
        // the u32 of the uapi: a negative int is a length past 2 GiB, a power of two only at 1 << 31
        long len = Integer.toUnsignedLong(rxBufLen);
        if (Long.bitCount(len) != 1 || len < NetIov.PAGE_SIZE) {
            throw new IllegalArgumentException("EINVAL: rx_buf_len must be 0 or a power of two of at least "
                    + NetIov.PAGE_SIZE + ": " + len);
        }
        return Long.numberOfTrailingZeros(len);
    }

    /** The "mandatory io_uring features for zc rx": DEFER_TASKRUN, and CQE32 or CQE_MIXED. */
    private static void checkRing(int setup) {
        if ((setup & IORING_SETUP_DEFER_TASKRUN) == 0) {
            throw new IllegalArgumentException("EINVAL: zcrx needs a ring set up with IORING_SETUP_DEFER_TASKRUN: "
                    + "setup flags=0x" + Integer.toHexString(setup));
        }
        if ((setup & (IORING_SETUP_CQE32 | IORING_SETUP_CQE_MIXED)) == 0) {
            throw new IllegalArgumentException("EINVAL: zcrx needs a ring set up with IORING_SETUP_CQE32 or "
                    + "IORING_SETUP_CQE_MIXED: setup flags=0x" + Integer.toHexString(setup));
        }
    }

    /** {@code io_uring_zcrx_ifq_reg}: reserved words and {@code zcrx_id} zero, then no unknown flags. */
    private static void checkIfqReg(ZcrxIfqReg reg) {
        if (reg.resv() != 0 || reg.zcrxId() != 0) {
            throw new IllegalArgumentException("EINVAL: io_uring_zcrx_ifq_reg reserved fields and zcrx_id must be 0: "
                    + "resv=0x" + Long.toHexString(reg.resv()) + ", zcrx_id=" + reg.zcrxId());
        }
        if (reg.flags() != 0) {
            throw new IllegalArgumentException("EINVAL: unknown zcrx_reg flags 0x" + Integer.toHexString(reg.flags()));
        }
    }

    /** {@code io_create_region}'s checks of the user's {@code io_uring_region_desc}. */
    private static void checkRegionDesc(ZcrxRegionDesc rd) {
        if (rd.resv() != 0) {
            throw new IllegalArgumentException("EINVAL: io_uring_region_desc reserved fields must be 0: resv=0x"
                    + Long.toHexString(rd.resv()));
        }
        if ((rd.flags() & ~ZcrxRegionDesc.IORING_MEM_REGION_TYPE_USER) != 0) {
            throw new IllegalArgumentException("EINVAL: unknown io_uring_region_desc flags 0x"
                    + Integer.toHexString(rd.flags()));
        }
        if (rd.flags() != 0) { // TYPE_USER needs user_addr != 0; netmem's regions never have one
            throw new IllegalArgumentException("EFAULT: IORING_MEM_REGION_TYPE_USER without a user_addr");
        }
        if (rd.mmapOffset() != 0 || rd.id() != 0) {
            throw new IllegalArgumentException("EINVAL: io_uring_region_desc mmap_offset and id must be 0: mmap_offset="
                    + rd.mmapOffset() + ", id=" + rd.id());
        }
    }

    /** {@code io_import_area}: known flags only, zero token and reserved words; the flag names the kind. */
    private static void checkAreaReg(ZcrxAreaReg ar, ZcrxArea area) {
        if ((ar.flags() & ~ZcrxAreaReg.IORING_ZCRX_AREA_DMABUF) != 0) {
            throw new IllegalArgumentException("EINVAL: unknown io_uring_zcrx_area_reg flags 0x"
                    + Integer.toHexString(ar.flags()));
        }
        if (ar.rqAreaToken() != 0) {
            throw new IllegalArgumentException("EINVAL: io_uring_zcrx_area_reg rq_area_token must be 0: 0x"
                    + Long.toHexString(ar.rqAreaToken()));
        }
        if (ar.resv() != 0) {
            throw new IllegalArgumentException("EINVAL: io_uring_zcrx_area_reg reserved fields must be 0: resv=0x"
                    + Long.toHexString(ar.resv()));
        }
        // The kernel takes the import path from the flag: a dma-buf flag on user memory has addr != 0
        // (io_import_dmabuf: -EINVAL), user memory with a dmabuf_fd is refused by io_import_umem (-EINVAL).
        boolean dmabufFlag = (ar.flags() & ZcrxAreaReg.IORING_ZCRX_AREA_DMABUF) != 0;
        if (dmabufFlag != (area.dmabuf() != null)) {
            throw new IllegalArgumentException("EINVAL: IORING_ZCRX_AREA_DMABUF is " + (dmabufFlag ? "set" : "clear")
                    + " for " + (area.dmabuf() != null ? "a dma-buf" : "a user memory") + " area");
        }
    }

    /** A ring size in {@code [1, max]}; past {@code max} clamped with {@code IORING_SETUP_CLAMP}, else EINVAL. */
    private static int checkEntries(String what, int n, int max, boolean clamp) {
        if (n <= 0 || (n > max && !clamp)) {
            throw new IllegalArgumentException("EINVAL: " + what + " must be in [1, " + max + "]: "
                    + n);
        }
        return Math.min(n, max);
    }

    static int roundUpPow2(int n) {
        return n == 1 ? 1 : Integer.highestOneBit(n - 1) << 1;
    }

    static boolean validEntries(int n, int max) {
        return n > 0 && n <= max && Integer.bitCount(n) == 1;
    }

    // =====================================================================================
    // Queue binding (control path)
    // =====================================================================================

    /**
     * Records the queue this ifq serves ({@code if_rxq}); the RX-queue layer calls it after setting the
     * queue's provider to this ifq.
     *
     * @throws IllegalStateException if the ifq is closed or already serves a queue
     */
    public synchronized void addQueue(NetdevRxQueue rxq) {
        Objects.requireNonNull(rxq, "rxq");
        if (state != State.ACTIVE) {
            throw new IllegalStateException("zcrx ifq " + id + " is closed");
        }
        if (!queues.isEmpty()) {
            throw new IllegalStateException("zcrx ifq " + id + " already serves queue " + queues.get(0).queueIndex());
        }
        queues.add(rxq);
    }

    /**
     * {@code rx_buf_len} as the kernel writes it back: {@code 1 << niov_shift}, the size of every
     * buffer of the area (completion and refill offsets are {@code index << niov_shift}).
     */
    public int rxBufLen() {
        return 1 << niovShift;
    }

    /**
     * The {@code rx_page_size} this ifq binds its queue with ({@code mp_param.rx_page_size}):
     * {@link #rxBufLen()} if the registration set {@code rx_buf_len}, else 0, so a driver without
     * {@code QCFG_RX_PAGE_SIZE} still serves a default registration (io_uring/zcrx: "don't set
     * rx_page_size when not requested").
     */
    public int rxPageSize() {
        return rxBufLenSet ? rxBufLen() : 0;
    }

    /** The queue served now, if any. */
    public List<NetdevRxQueue> boundQueues() {
        return List.copyOf(queues);
    }

    // =====================================================================================
    // Provider ops (io_uring_pp_zc_ops)
    // =====================================================================================

    /**
     * {@code io_pp_zc_init}: the pool must use this ifq's device, map for DMA, have buffers of the
     * ifq's size ({@code order + PAGE_SHIFT == niov_shift}) and {@code FROM_DEVICE}; maps the area on
     * first use and takes a reference for the pool.
     *
     * @throws IllegalStateException         if the ifq is closed
     * @throws IllegalArgumentException      if the pool's device is not the ifq's, or its buffers are
     *                                       not the ifq's size ({@code -EINVAL})
     * @throws UnsupportedOperationException if the pool does not map, or has another direction
     *                                       ({@code -EOPNOTSUPP})
     */
    @Override
    public void init(PoolContext pool) {
        PagePoolParams p = pool.params();
        if (state != State.ACTIVE) {
            throw new IllegalStateException("EINVAL: zcrx ifq " + id + " is closed");
        }
        if (p.device() != device) {
            throw new IllegalArgumentException("EINVAL: zcrx ifq " + id + " is registered on " + device
                    + ", the pool uses " + p.device());
        }
        if (!p.hasFlag(PagePoolParams.PP_FLAG_DMA_MAP)) {
            throw new UnsupportedOperationException("EOPNOTSUPP: zcrx ifq " + id
                    + " needs PP_FLAG_DMA_MAP, order " + (niovShift - NetIov.PAGE_SHIFT) + " and FROM_DEVICE");
        }
        if (p.order() + NetIov.PAGE_SHIFT != niovShift) {
            throw new IllegalArgumentException("EINVAL: zcrx ifq " + id + " has " + rxBufLen()
                    + "-byte buffers (order " + (niovShift - NetIov.PAGE_SHIFT) + "); the pool has order " + p.order());
        }
        if (p.dmaDir() != DmaDirection.FROM_DEVICE) {
            throw new UnsupportedOperationException("EOPNOTSUPP: zcrx ifq " + id
                    + " needs PP_FLAG_DMA_MAP, order " + (niovShift - NetIov.PAGE_SHIFT) + " and FROM_DEVICE; the pool has order "
                    + p.order() + ", " + p.dmaDir());
        }
        if (area.mapOnce(device)) {
            long base = area.dmaBase();
            for (int i = 0; i < niovs.numNiovs(); i++) {
                pool.setDmaAddr(niovs.niov(i), base + ((long) i << niovShift));
            }
        }
        pools.incrementAndGet();
    }

    /**
     * {@code io_pp_zc_alloc_netmems}: buffers the user returned through the refill ring, else fresh
     * ones from the freelist, at most {@link PagePool#PP_ALLOC_CACHE_REFILL} minus what the cache holds;
     * all but one go to the cache. Caller: the pool's allocation context.
     *
     * @return a buffer, or {@code null} when there is none or the ifq is closed
     */
    @Override
    public NetIov allocNetmems(PoolContext pool) {
        if (state != State.ACTIVE) {
            return null;
        }
        NetIov niov;
        synchronized (rqLock) { // also serialises slowBatch if an old pool still allocates
            niov = ringRefill(pool);
            if (niov == null) {
                niov = refillSlowPath(pool);
            }
        }
        if (niov == null) {
            sendEvent(ZCRX_EVENT_ALLOC_FAIL);
        }
        return niov;
    }

    /** {@code io_zcrx_ring_refill}: consume refill entries. Caller holds the refill lock. */
    private NetIov ringRefill(PoolContext pool) {
        PagePool pp = pool.pool();
        NetIov last = null;
        int head = cachedRqHead;
        int avail = region.rqTailAcquire() - head;
        int room = PagePool.PP_ALLOC_CACHE_REFILL - pool.allocCacheCount();
        int entries = (int) Math.min(Integer.toUnsignedLong(avail), Math.min(rqMask + 1, room));
        for (int i = 0; i < entries; i++) {
            int slot = head++ & rqMask;
            NetIov niov = parseRqe(region.rqeOff(slot), region.rqePad(slot));
            if (niov == null || PagePool.unrefNetmem(niov, 1) != 0) {
                continue;
            }
            PagePool owner = niov.pool();
            if (owner != pp) {
                returnNiov(niov, owner); // an older pool's buffer, or a copy-fallback one
                continue;
            }
            syncForDevice(pool, niov);
            if (last != null) {
                pool.placeInCache(last);
            }
            last = niov;
        }
        cachedRqHead = head;
        region.rqHeadRelease(head); // partner: ZcrxUserRing's rqHeadAcquire before reusing a slot
        return last;
    }

    /**
     * Validates one refill entry exactly as the kernel does, and drops its user reference. Caller
     * holds the refill lock.
     *
     * @return the buffer, or {@code null} (counted) when the entry is rejected
     */
    private NetIov parseRqe(long off, int pad) {
        NetIov niov = rqeNiov(off, pad);
        if (niov == null) {
            return null;
        }
        if (!area.userRefDecrementIfPositive(niov.index())) {
            noUserRef++;
            return null;
        }
        refilled++;
        return niov;
    }

    /** {@code io_parse_rqe}: the buffer a refill entry names, or {@code null} (counted) for a malformed one. */
    private NetIov rqeNiov(long off, int pad) {
        if (pad != 0) {
            badPad++;
            return null;
        }
        if ((off & ZcrxArea.IORING_ZCRX_AREA_MASK) != token) {
            badArea++;
            return null;
        }
        long idx = (off & ~ZcrxArea.IORING_ZCRX_AREA_MASK) >>> niovShift;
        if (idx >= niovs.numNiovs()) {
            badIndex++;
            return null;
        }
        return niovs.niov((int) idx);
    }

    /**
     * {@code ZCRX_CTRL_FLUSH_RQ} ({@code zcrx_flush_rq}, {@code IORING_REGISTER_ZCRX_CTRL}): returns
     * what the user put in the refill ring now, without waiting for a pool to allocate. In batches of
     * {@link #ZCRX_FLUSH_BATCH} under the refill lock, and at most about one ring's worth: each valid
     * entry drops the buffer's user reference and its {@code pp_ref_count}; a buffer whose last
     * reference that was goes home ({@code io_zcrx_return_niov}: its pool's ring, or the freelist for
     * a buffer no pool owns). An entry without a user reference is skipped; a malformed entry is
     * consumed and ends the flush, as {@code zcrx_parse_rq} breaks on it. Control path, any thread.
     *
     * @param resv {@code zcrx_ctrl_flush_rq.__resv}, ORed: must be 0
     * @return the well-formed refill entries taken, with or without a user reference (the kernel
     *         returns 0; the count is for the caller)
     * @throws IllegalArgumentException if {@code resv != 0} ({@code -EINVAL})
     * @throws IllegalStateException    if the ifq is closed ({@code -ENXIO}: no such zcrx id)
     */
    public int flushRq(long resv) {
        if (resv != 0) {
            throw new IllegalArgumentException("EINVAL: zcrx_ctrl_flush_rq reserved fields must be 0: resv=0x"
                    + Long.toHexString(resv));
        }
        int total = 0;
        int nr;
        do {
            synchronized (rqLock) {
                if (state != State.ACTIVE) {
                    throw new IllegalStateException("ENXIO: zcrx ifq " + id + " is closed");
                }
                nr = flushBatch();
            }
            total += nr;
        } while (nr == ZCRX_FLUSH_BATCH && total < rqMask + 1);
        return total;
    }

    /** {@code zcrx_parse_rq} + {@code zcrx_return_buffers}: one batch. Caller holds the refill lock. */
    private int flushBatch() {
        int head = cachedRqHead;
        int avail = region.rqTailAcquire() - head;
        int nr = (int) Math.min(Integer.toUnsignedLong(avail), ZCRX_FLUSH_BATCH);
        int i = 0;
        while (i < nr) {
            int slot = head++ & rqMask;
            NetIov niov = rqeNiov(region.rqeOff(slot), region.rqePad(slot));
            if (niov == null) {
                break; // consumed, and the batch ends short, which ends the flush
            }
            i++;
            if (!area.userRefDecrementIfPositive(niov.index())) {
                noUserRef++;
                continue;
            }
            refilled++;
            if (PagePool.unrefNetmem(niov, 1) == 0) {
                returnNiov(niov, niov.pool());
            }
        }
        cachedRqHead = head;
        region.rqHeadRelease(head); // partner: ZcrxUserRing's rqHeadAcquire before reusing a slot
        return i;
    }

    /**
     * {@code io_zcrx_return_niov}: a buffer whose last reference went back to where it belongs: its
     * pool, or the freelist for a copy-fallback buffer no pool owns.
     */
    private void returnNiov(NetIov niov, PagePool owner) {
        if (owner == null) {
            area.freelist().push(niov.index());
        } else {
            owner.putUnrefedNetmem(niov, -1, false);
        }
    }

    /** {@code io_zcrx_refill_slow}: fresh buffers from the freelist, accounted to the pool. Caller holds the refill lock. */
    private NetIov refillSlowPath(PoolContext pool) {
        int n = area.freelist().popBulk(slowBatch, PagePool.PP_ALLOC_CACHE_REFILL - pool.allocCacheCount());
        NetIov last = null;
        for (int i = 0; i < n; i++) {
            NetIov niov = niovs.niov(slowBatch[i]);
            pool.setPagePool(niov);
            syncForDevice(pool, niov);
            if (last != null) {
                pool.placeInCache(last);
            }
            last = niov;
        }
        return last;
    }

    /** {@code io_zcrx_sync_for_device}: user memory only; dma-buf memory is never synced. */
    private void syncForDevice(PoolContext pool, NetIov niov) {
        if (area.dmabuf() == null) {
            pool.dmaSyncForDevice(niov, -1);
        }
    }

    /**
     * {@code io_pp_zc_release_netmem}: the buffer leaves its pool; it goes back to the freelist. A
     * buffer not of this area, or already free, is refused and counted. Any thread.
     *
     * @return {@code false}: a net_iov is never freed as a page
     */
    @Override
    public boolean releaseNetmem(PoolContext pool, NetIov netmem) {
        if (netmem.owner() != niovs) {
            releaseError(netmem + " is not a buffer of zcrx ifq " + id);
            return false;
        }
        pool.clearPagePool(netmem);
        if (!area.freelist().push(netmem.index())) {
            releaseError("zcrx ifq " + id + ": buffer " + netmem.index() + " is already in the freelist");
            return false;
        }
        if (state != State.ACTIVE) {
            freeIfIdle();
        }
        return false;
    }

    private void releaseError(String msg) {
        releaseErrors.incrementAndGet();
        LOG.log(System.Logger.Level.WARNING, msg);
    }

    /** {@code io_pp_zc_destroy}: drops the pool's reference. */
    @Override
    public void destroy(PoolContext pool) {
        pools.decrementAndGet();
        if (state != State.ACTIVE) {
            freeIfIdle();
        }
    }

    /** {@code io_pp_nl_fill}: {@code ("io-uring", 0)}. */
    @Override
    public ProviderInfo fill(NetdevRxQueue rxq) {
        return new ProviderInfo("io-uring", 0);
    }

    /** {@code io_pp_uninstall}: the queue's device is going away; forget the queue. Control path. */
    @Override
    public void uninstall(NetdevRxQueue rxq) {
        queues.remove(rxq);
    }

    // =====================================================================================
    // Receive path
    // =====================================================================================

    /**
     * Hands {@code len} bytes at {@code offset} of a received buffer to the user
     * ({@code io_zcrx_queue_cqe}): takes a {@code pp_ref_count} reference, then a user reference,
     * writes a CQE ({@code off = area token | index << niov_shift + offset}, {@code res = len},
     * {@code IORING_CQE_F_MORE}) and store-releases the completion tail. The caller keeps its own
     * reference (the skb frag) and drops it as usual. Any thread; serialised by the completion lock.
     *
     * @return {@code false} when the completion ring is full ({@code -ENOSPC}, counted as
     *         {@code cqOverflow}); no reference was taken
     * @throws IllegalArgumentException if the buffer is not one of this ifq's ({@code -EFAULT}) or
     *                                  the span does not fit in it
     * @throws IllegalStateException    if the buffer is not out of its pool, or the ifq is closed
     */
    public boolean postCompletion(NetIov niov, int offset, int len) {
        if (niov.owner() != niovs) {
            throw new IllegalArgumentException("EFAULT: " + niov + " is not a buffer of zcrx ifq " + id);
        }
        if (offset < 0 || len <= 0 || offset > niov.size() - len) {
            throw new IllegalArgumentException("span [" + offset + ", +" + len + ") does not fit in a "
                    + niov.size() + " B buffer");
        }
        synchronized (cqLock) {
            checkActiveLocked();
            if (cqFullLocked()) {
                return false;
            }
            PagePool.refNetmem(niov); // pp_ref first: a user ref always has a pp_ref behind it
            area.userRefGetAndIncrement(niov.index());
            publishCqeLocked(0, len, IORING_CQE_F_MORE, token | ((long) niov.index() << niovShift) + offset);
        }
        return true;
    }

    /**
     * The receive side's guard against {@link #close}: checked under the completion lock, under which
     * close turns the ifq {@code CLOSED} before it scrubs, so no user reference is taken behind the
     * scrub. Caller holds cqLock.
     */
    private void checkActiveLocked() {
        if (state != State.ACTIVE) {
            throw new IllegalStateException("zcrx ifq " + id + " is closed");
        }
    }

    /** Whether the completion ring has no free slot; counts the overflow if so. Caller holds cqLock. */
    private boolean cqFullLocked() {
        // partner of cqHeadAcquire: ZcrxUserRing.poll's cqHeadRelease, after it read the slots
        if (Integer.compareUnsigned(cqTail - region.cqHeadAcquire(), cqMask + 1) >= 0) {
            region.cqOverflowOpaque(++cqOverflow);
            return true;
        }
        return false;
    }

    /** Writes the next CQE and publishes it. Caller holds cqLock and checked for room. */
    private void publishCqeLocked(long userData, int res, int flags, long off) {
        int tail = cqTail;
        region.putCqe(tail & cqMask, userData, res, flags, off);
        cqTail = tail + 1;
        completions++;
        region.cqTailRelease(tail + 1); // partner: ZcrxUserRing.poll's cqTailAcquire
    }

    /**
     * The copy fallback ({@code io_zcrx_copy_chunk}), for data that did not land in this ifq's
     * buffers (linear skb data, frags of host pages): takes a free buffer that no pool owns
     * ({@code pp_ref_count = 1}), copies up to one buffer of {@code src} into it, takes a user
     * reference and posts a CQE. When the user returns it, it goes straight back to the freelist.
     * Any thread; serialised by the completion lock.
     *
     * @return the bytes copied ({@code min(src size, buffer size)}), or {@code -ENOSPC} when the
     *         completion ring is full (counted as {@code cqOverflow}), or {@code -ENOMEM} when no
     *         buffer is free
     * @throws IllegalArgumentException if the area is a dma-buf, which the CPU must not write
     *                                  ({@code -EFAULT}), or {@code src} is empty
     * @throws IllegalStateException    if the ifq is closed
     */
    public int postCopyCompletion(MemorySegment src) {
        if (area.dmabuf() != null) {
            throw new IllegalArgumentException("EFAULT: zcrx ifq " + id + " cannot copy into a dma-buf area");
        }
        if (src.byteSize() == 0) {
            throw new IllegalArgumentException("nothing to copy");
        }
        synchronized (cqLock) {
            checkActiveLocked();
            int idx = area.freelist().pop(); // io_zcrx_alloc_fallback before io_zcrx_queue_cqe
            if (idx < 0) {
                return Errno.ENOMEM.value();
            }
            if (cqFullLocked()) {
                area.freelist().push(idx); // io_zcrx_return_niov: no pool owns it
                return Errno.ENOSPC.value();
            }
            NetIov niov = niovs.niov(idx);
            PagePool.fragmentNetmem(niov, 1);
            int len = (int) Math.min(src.byteSize(), niov.size());
            MemorySegment.copy(src, 0, niov.segment(), 0, len);
            area.userRefGetAndIncrement(idx);
            publishCqeLocked(0, len, IORING_CQE_F_MORE, token | ((long) idx << niovShift));
            return len;
        }
    }

    /**
     * {@code io_zcrx_copy_frag}: the copy fallback for a whole frag that is not this ifq's memory:
     * copies {@code src} through {@link #postCopyCompletion} chunks until done or stuck; if anything
     * was copied, counts it in the zcrx stats ({@code copy_count}, {@code copy_bytes}) and fires the
     * {@link #ZCRX_EVENT_COPY} event. Linear data is copied with {@link #postCopyCompletion} and is
     * not counted, as in the kernel. Any thread.
     *
     * @return bytes copied, or the first chunk's negative errno if none were
     * @throws IllegalArgumentException as {@link #postCopyCompletion}
     * @throws IllegalStateException    if the ifq is closed
     */
    public int copyFrag(MemorySegment src) {
        long done = 0;
        int r = 0;
        while (done < src.byteSize()) {
            r = postCopyCompletion(src.asSlice(done));
            if (r < 0) {
                break;
            }
            done += r;
        }
        if (done == 0) {
            return r;
        }
        synchronized (cqLock) {
            copyCount++;
            copyBytes += done;
            if (regionStats) {
                region.copyStatsAdd(done);
            }
        }
        sendEvent(ZCRX_EVENT_COPY);
        return (int) done;
    }

    // =====================================================================================
    // Events (ZCRX_CTRL_ARM_EVENT)
    // =====================================================================================

    /**
     * {@code zcrx_send_notif}: posts the event once, if registered and not already fired: a CQE with
     * the descriptor's {@code user_data}, {@code res = type} and no flags. A full completion ring
     * drops it (counted as {@code cqOverflow}); it stays fired. Slow path; any thread.
     */
    private void sendEvent(int type) {
        int bit = 1 << type;
        if ((allowedEvents & bit) == 0) {
            return;
        }
        synchronized (cqLock) {
            if ((firedEvents & bit) != 0) {
                return;
            }
            firedEvents |= bit;
            events++;
            if (!cqFullLocked()) {
                publishCqeLocked(eventUserData, type, 0, 0);
            }
        }
    }

    /**
     * {@code ZCRX_CTRL_ARM_EVENT}: re-arms an event that fired, so it can fire once more. Any thread.
     *
     * @throws IllegalArgumentException for an unknown type, or one that has not fired ({@code -EINVAL})
     */
    public void armEvent(int type) {
        if (type < 0 || type >= ZCRX_EVENT_TYPE_LAST) {
            throw new IllegalArgumentException("EINVAL: unknown zcrx event type " + type);
        }
        int bit = 1 << type;
        synchronized (cqLock) {
            if ((firedEvents & bit) == 0) {
                throw new IllegalArgumentException("EINVAL: zcrx event " + type + " has not fired");
            }
            firedEvents &= ~bit;
        }
    }

    // =====================================================================================
    // Teardown (control path)
    // =====================================================================================

    /**
     * {@code io_shutdown_zcrx_ifqs}: stops handing out buffers, scrubs the user references (every
     * buffer the user still holds is returned to its pool), and calls the queue-close hook. The area and
     * region file are freed once no pool uses the ifq and every buffer is home, possibly right here.
     *
     * @throws IllegalCallerException if the ifq has an owner ({@code EPERM}): use {@link #close(Object)}
     * @throws IllegalStateException  if already closed
     */
    public void close() {
        close(null);
    }

    /**
     * {@link #close()} by the owner given to {@link #register(ZcrxArea, DmaDevice, int, int, Path,
     * Consumer, Object)}.
     *
     * @throws IllegalCallerException if {@code caller} is not the owner ({@code EPERM}); nothing changes
     * @throws IllegalStateException  if already closed
     */
    public void close(Object caller) {
        if (caller != owner) {
            throw new IllegalCallerException("EPERM: zcrx ifq " + id
                    + " belongs to another netdev netlink socket; only its owner can close it");
        }
        synchronized (this) {
            if (state != State.ACTIVE) {
                throw new IllegalStateException("zcrx ifq " + id + " is already closed");
            }
            // Stop receiving before the scrub (the kernel cancels the ring's receive requests first):
            // a completion in progress finishes first, its user reference is then scrubbed; a later
            // one sees CLOSED and takes none (checkActiveLocked).
            synchronized (cqLock) {
                state = State.CLOSED;
            }
        }
        IDS.erase(id, this);
        scrub();
        for (NetdevRxQueue q : queues) {
            try {
                closeQueue.accept(q);
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.WARNING, "zcrx ifq " + id + ": closing queue " + q.queueIndex()
                        + " failed", e);
            }
        }
        queues.clear();
        freeIfIdle();
    }

    /** {@code io_zcrx_scrub}: {@code n = xchg(uref, 0)}, drop {@code n} pp references, put the last. */
    private void scrub() {
        long dropped = 0;
        for (int i = 0; i < niovs.numNiovs(); i++) {
            int n = area.userRefGetAndSetZero(i);
            if (n == 0) {
                continue;
            }
            dropped += n;
            NetIov niov = niovs.niov(i);
            if (PagePool.unrefNetmem(niov, n) == 0) {
                returnNiov(niov, niov.pool());
            }
        }
        synchronized (this) {
            scrubbed += dropped;
        }
    }

    /** Frees the area and the region file once closed, unused by any pool, and every buffer home. */
    private void freeIfIdle() {
        synchronized (this) {
            if (state != State.CLOSED || pools.get() != 0 || area.freelist().outCount() != 0) {
                return;
            }
            state = State.FREED;
        }
        area.free();
        file.close();
    }

    // =====================================================================================
    // Queries (any thread)
    // =====================================================================================

    /** A JVM-unique id, cyclic from 1 ({@code zcrx_id}). */
    public int id() {
        return id;
    }

    /** The area. */
    public ZcrxArea area() {
        return area;
    }

    /** {@code ifq->dev}. */
    public DmaDevice device() {
        return device;
    }

    /** The region file holding both rings; open it with {@link ZcrxUserRing#open}. */
    public Path regionPath() {
        return file.path();
    }

    /** Refill ring size (a power of two). */
    public int rqEntries() {
        return rqMask + 1;
    }

    /** Completion ring size (a power of two). */
    public int cqEntries() {
        return cqMask + 1;
    }

    /** The lifecycle state. */
    public State state() {
        return state;
    }

    /** Whether the area and region were freed. */
    public boolean isFreed() {
        return state == State.FREED;
    }

    /** Pools currently using the ifq. */
    public int poolCount() {
        return pools.get();
    }

    /** Buffers not in the freelist: owned by a pool (in its cache or ring, in flight, or with the user). */
    public int buffersOut() {
        return area.freelist().outCount();
    }

    /** A snapshot of the counters. */
    public ZcrxStats stats() {
        long c;
        long o;
        long ev;
        long cc;
        long cb;
        synchronized (cqLock) {
            c = completions;
            o = cqOverflow;
            ev = events;
            cc = copyCount;
            cb = copyBytes;
        }
        long s;
        synchronized (this) {
            s = scrubbed;
        }
        synchronized (rqLock) {
            return new ZcrxStats(c, o, refilled, badPad, badArea, badIndex, noUserRef, s, releaseErrors.get(), cc, cb,
                    ev);
        }
    }

    @Override
    public String toString() {
        return "ZcrxIfq[id=" + id + ", " + state + ", " + buffersOut() + " buffers out]";
    }
}
