package dev.netmem.api;

import dev.netmem.api.spi.MemoryProvider;
import java.time.Duration;
import java.util.Objects;

/**
 * Models {@code struct page_pool_params}: everything a {@link PagePool} is created with, validated
 * here, in one place, with the kernel's rules ({@code page_pool_init}) and exact messages.
 *
 * <p>Build one with {@link #builder()}. The components:
 * <ul>
 *   <li>{@code order}: each buffer is {@code PAGE_SIZE << order} bytes;</li>
 *   <li>{@code poolSize}: requested ptr_ring size; the ring holds {@link #ringSize()} entries;</li>
 *   <li>{@code nid}: NUMA node to allocate host pages from ({@link NetIov#NUMA_NO_NODE} = local);</li>
 *   <li>{@code device}, {@code dmaDir}: the DMA device and direction (with {@link #PP_FLAG_DMA_MAP});</li>
 *   <li>{@code napi}: the NAPI that is the pool's sole consumer; enables NAPI-local recycling;</li>
 *   <li>{@code maxLen}, {@code offset}: the span synced for the device (with {@link #PP_FLAG_DMA_SYNC_DEV});</li>
 *   <li>{@code flags}: {@code PP_FLAG_*};</li>
 *   <li>{@code queue}: the RX queue ({@code netdev} + {@code queue_idx}) whose memory-provider binding a
 *       pool with {@link #PP_FLAG_ALLOW_UNREADABLE_NETMEM} picks up;</li>
 *   <li>{@code hostPages}: where host pages come from when no provider is bound (the kernel's page
 *       allocator); must be a readable provider;</li>
 *   <li>{@code stats}: whether the pool keeps statistics (chosen once, at construction);</li>
 *   <li>{@code releaseRetry}: how often a destroyed pool with buffers in flight re-checks
 *       ({@code DEFER_TIME}, 1 s);</li>
 *   <li>{@code stallWarn}: after how long, and then how often, a stalled shutdown is logged
 *       ({@code DEFER_WARN_INTERVAL}, 60 s);</li>
 *   <li>{@code leakTracking}: record where every outstanding buffer was allocated, and name those
 *       sites in stall warnings (a debugging mode: a stack walk per allocation);</li>
 *   <li>{@code initCallback}, {@code initArg}: called for every buffer as it enters the pool, after
 *       {@code set_pp_info} ({@code slow.init_callback}; the kernel uses it in test code only);</li>
 *   <li>{@code legacyRingSize}: the ring rule before 2025 ({@code pool_size > 32768} is
 *       {@code -E2BIG}, and the ring holds {@code pool_size} entries) instead of
 *       {@code min(pool_size, 16384)}.</li>
 * </ul>
 *
 * @param order        buffer order
 * @param poolSize     requested ring size (0 = default)
 * @param nid          NUMA node
 * @param device       DMA device, or null
 * @param napi         owning NAPI, or null
 * @param dmaDir       DMA direction
 * @param maxLen       sync length limit
 * @param offset       sync offset
 * @param flags        {@code PP_FLAG_*}
 * @param queue        RX queue, or null
 * @param hostPages    host page provider, or null if a queue provider is always bound
 * @param stats        keep statistics
 * @param releaseRetry deferred-release retry period
 * @param stallWarn    stalled-shutdown warning interval
 * @param leakTracking   record allocation sites of outstanding buffers
 * @param initCallback   called for each buffer entering the pool, or null
 * @param initArg        the callback's argument
 * @param legacyRingSize the pre-2025 ring rule ({@code -E2BIG} above 32768)
 */
public record PagePoolParams(int order, int poolSize, int nid, DmaDevice device, Napi napi, DmaDirection dmaDir,
                             int maxLen, int offset, int flags, NetdevRxQueue queue, MemoryProvider hostPages,
                             boolean stats, Duration releaseRetry, Duration stallWarn, boolean leakTracking,
                             InitCallback initCallback, Object initArg, boolean legacyRingSize) {

    /** {@code slow.init_callback}: sees each buffer as it enters the pool. Allocation context. */
    @FunctionalInterface
    public interface InitCallback {
        /**
         * Called once per buffer entering the pool, with {@code pp} set and {@code pp_ref_count == 1}.
         *
         * @param netmem the buffer
         * @param arg    {@code initArg}
         */
        void init(NetIov netmem, Object arg);
    }

    /** {@code PP_FLAG_DMA_MAP}: the pool maps buffers for DMA when they enter and unmaps them when they leave. */
    public static final int PP_FLAG_DMA_MAP = 1 << 0;
    /** {@code PP_FLAG_DMA_SYNC_DEV}: the pool syncs recycled buffers for the device. */
    public static final int PP_FLAG_DMA_SYNC_DEV = 1 << 1;
    /** {@code PP_FLAG_SYSTEM_POOL}: the per-CPU system pool. */
    public static final int PP_FLAG_SYSTEM_POOL = 1 << 2;
    /** {@code PP_FLAG_ALLOW_UNREADABLE_NETMEM}: the driver handles net_iov; the pool uses the queue's provider. */
    public static final int PP_FLAG_ALLOW_UNREADABLE_NETMEM = 1 << 3;
    /** {@code PP_FLAG_ALL}. */
    public static final int PP_FLAG_ALL = PP_FLAG_DMA_MAP | PP_FLAG_DMA_SYNC_DEV | PP_FLAG_SYSTEM_POOL
            | PP_FLAG_ALLOW_UNREADABLE_NETMEM;
    /**
     * {@code MAX_PAGE_ORDER} (x86-64): the largest order the page allocator serves. {@link PagePool#create}
     * enforces it for pools without a memory provider; a provider judges the order in its {@code init}.
     */
    public static final int MAX_PAGE_ORDER = 10;
    /** The largest order a buffer size ({@code PAGE_SIZE << order}) can have and still fit in an {@code int}. */
    public static final int MAX_BUFFER_ORDER = 18;
    /** Default ptr_ring size when {@code poolSize} is 0. */
    public static final int DEFAULT_RING_SIZE = 1024;
    /** Ring size cap: {@code min(pool_size, 16384)}. */
    public static final int MAX_RING_SIZE = 16384;
    /** The pre-2025 sanity limit with {@code legacyRingSize}: a larger {@code pool_size} is {@code -E2BIG}. */
    public static final int LEGACY_MAX_RING_SIZE = 32768;

    /** Validates; see the class comment for the rules. */
    public PagePoolParams {
        if ((flags & ~PP_FLAG_ALL) != 0) {
            throw new IllegalArgumentException("unknown page pool flags: 0x" + Integer.toHexString(flags & ~PP_FLAG_ALL));
        }
        if (poolSize < 0) {
            throw new IllegalArgumentException("poolSize must be >= 0: " + poolSize);
        }
        if (legacyRingSize && poolSize > LEGACY_MAX_RING_SIZE) {
            throw new IllegalArgumentException("E2BIG: poolSize " + poolSize + " > " + LEGACY_MAX_RING_SIZE);
        }
        if (order < 0 || order > MAX_BUFFER_ORDER) {
            throw new IllegalArgumentException("order must be in [0, " + MAX_BUFFER_ORDER + "]: " + order);
        }
        if (nid < NetIov.NUMA_NO_NODE) {
            throw new IllegalArgumentException("nid must be >= -1: " + nid);
        }
        Objects.requireNonNull(dmaDir, "dmaDir");
        if ((flags & PP_FLAG_DMA_MAP) != 0) {
            if (dmaDir != DmaDirection.FROM_DEVICE && dmaDir != DmaDirection.BIDIRECTIONAL) {
                throw new IllegalArgumentException("PP_FLAG_DMA_MAP requires dmaDir FROM_DEVICE or BIDIRECTIONAL: "
                        + dmaDir);
            }
            if (device == null) {
                throw new IllegalArgumentException("PP_FLAG_DMA_MAP requires a device");
            }
        }
        if ((flags & PP_FLAG_DMA_SYNC_DEV) != 0) {
            if ((flags & PP_FLAG_DMA_MAP) == 0) {
                throw new IllegalArgumentException("PP_FLAG_DMA_SYNC_DEV requires PP_FLAG_DMA_MAP");
            }
            if (maxLen == 0) {
                throw new IllegalArgumentException("PP_FLAG_DMA_SYNC_DEV requires maxLen > 0");
            }
        }
        if (maxLen < 0 || offset < 0) {
            throw new IllegalArgumentException("maxLen and offset must be >= 0: maxLen=" + maxLen + ", offset="
                    + offset);
        }
        if ((long) offset + maxLen > ((long) NetIov.PAGE_SIZE << order)) {
            throw new IllegalArgumentException("offset + maxLen exceeds the buffer size: offset=" + offset
                    + ", maxLen=" + maxLen + ", buffer=" + (NetIov.PAGE_SIZE << order));
        }
        if ((flags & PP_FLAG_ALLOW_UNREADABLE_NETMEM) != 0 && queue == null) {
            throw new IllegalArgumentException("PP_FLAG_ALLOW_UNREADABLE_NETMEM requires a queue");
        }
        if (hostPages != null && hostPages.unreadable()) {
            throw new IllegalArgumentException("hostPages must be a readable (host page) provider: " + hostPages);
        }
        Objects.requireNonNull(releaseRetry, "releaseRetry");
        Objects.requireNonNull(stallWarn, "stallWarn");
        if (releaseRetry.isNegative() || releaseRetry.isZero()) {
            throw new IllegalArgumentException("releaseRetry must be > 0: " + releaseRetry);
        }
        if (stallWarn.isNegative() || stallWarn.isZero()) {
            throw new IllegalArgumentException("stallWarn must be > 0: " + stallWarn);
        }
    }

    /**
     * The ptr_ring capacity: 1024 when {@code poolSize} is 0, else {@code min(poolSize, 16384)}, or
     * {@code poolSize} itself with {@code legacyRingSize}.
     */
    public int ringSize() {
        if (poolSize == 0) {
            return DEFAULT_RING_SIZE;
        }
        return legacyRingSize ? poolSize : Math.min(poolSize, MAX_RING_SIZE);
    }

    /** The buffer size, {@code PAGE_SIZE << order}. */
    public int bufferSize() {
        return NetIov.PAGE_SIZE << order;
    }

    /** Whether {@code flag} is set. */
    public boolean hasFlag(int flag) {
        return (flags & flag) != 0;
    }

    /** A builder with the kernel's defaults: order 0, default ring, local node, no DMA, stats on. */
    public static Builder builder() {
        return new Builder();
    }

    /** A builder pre-filled with these parameters. */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.order = order;
        b.poolSize = poolSize;
        b.nid = nid;
        b.device = device;
        b.napi = napi;
        b.dmaDir = dmaDir;
        b.maxLen = maxLen;
        b.offset = offset;
        b.flags = flags;
        b.queue = queue;
        b.hostPages = hostPages;
        b.stats = stats;
        b.releaseRetry = releaseRetry;
        b.stallWarn = stallWarn;
        b.leakTracking = leakTracking;
        b.initCallback = initCallback;
        b.initArg = initArg;
        b.legacyRingSize = legacyRingSize;
        return b;
    }

    /** Builds {@link PagePoolParams}; {@link #build()} validates. Not thread-safe. */
    public static final class Builder {
        private int order;
        private int poolSize;
        private int nid = NetIov.NUMA_NO_NODE;
        private DmaDevice device;
        private Napi napi;
        private DmaDirection dmaDir = DmaDirection.FROM_DEVICE;
        private int maxLen;
        private int offset;
        private int flags;
        private NetdevRxQueue queue;
        private MemoryProvider hostPages;
        private boolean stats = true;
        private Duration releaseRetry = Duration.ofSeconds(1);
        private Duration stallWarn = Duration.ofSeconds(60);
        private boolean leakTracking;
        private InitCallback initCallback;
        private Object initArg;
        private boolean legacyRingSize;

        private Builder() {
        }

        /** Sets {@code order}. */
        public Builder order(int v) {
            order = v;
            return this;
        }

        /** Sets {@code poolSize}. */
        public Builder poolSize(int v) {
            poolSize = v;
            return this;
        }

        /** Sets {@code nid}. */
        public Builder nid(int v) {
            nid = v;
            return this;
        }

        /** Sets {@code device}. */
        public Builder device(DmaDevice v) {
            device = v;
            return this;
        }

        /** Sets {@code napi}. */
        public Builder napi(Napi v) {
            napi = v;
            return this;
        }

        /** Sets {@code dmaDir}. */
        public Builder dmaDir(DmaDirection v) {
            dmaDir = v;
            return this;
        }

        /** Sets {@code maxLen}. */
        public Builder maxLen(int v) {
            maxLen = v;
            return this;
        }

        /** Sets {@code offset}. */
        public Builder offset(int v) {
            offset = v;
            return this;
        }

        /** Sets {@code flags}. */
        public Builder flags(int v) {
            flags = v;
            return this;
        }

        /** Sets {@code queue}. */
        public Builder queue(NetdevRxQueue v) {
            queue = v;
            return this;
        }

        /** Sets {@code hostPages}. */
        public Builder hostPages(MemoryProvider v) {
            hostPages = v;
            return this;
        }

        /** Sets {@code stats}. */
        public Builder stats(boolean v) {
            stats = v;
            return this;
        }

        /** Sets {@code releaseRetry}. */
        public Builder releaseRetry(Duration v) {
            releaseRetry = v;
            return this;
        }

        /** Sets {@code stallWarn}. */
        public Builder stallWarn(Duration v) {
            stallWarn = v;
            return this;
        }

        /** Sets {@code leakTracking}. */
        public Builder leakTracking(boolean v) {
            leakTracking = v;
            return this;
        }

        /** Sets {@code initCallback} and its {@code initArg}. */
        public Builder initCallback(InitCallback callback, Object arg) {
            initCallback = callback;
            initArg = arg;
            return this;
        }

        /** Sets {@code legacyRingSize}. */
        public Builder legacyRingSize(boolean v) {
            legacyRingSize = v;
            return this;
        }

        /**
         * Validates and builds.
         *
         * @throws IllegalArgumentException with the exact rule that failed
         */
        public PagePoolParams build() {
            return new PagePoolParams(order, poolSize, nid, device, napi, dmaDir, maxLen, offset, flags, queue,
                    hostPages, stats, releaseRetry, stallWarn, leakTracking, initCallback, initArg, legacyRingSize);
        }
    }
}
