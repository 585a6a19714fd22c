package dev.netmem.api;

import java.util.Objects;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * An emulated DMA device with an IOMMU-like mapping table ({@code struct device} plus the DMA API:
 * {@code dma_map_page_attrs}, {@code dma_unmap_page_attrs}, {@code dma_sync_single_range_for_device}).
 *
 * <p>Each mapping gets a fresh I/O virtual address (IOVA) and is remembered until it is unmapped, so
 * a double unmap, an unmap of an unknown address or a length mismatch is caught and thrown. An IOVA
 * is aligned to the mapping's length in pages rounded up to a power of two, as the IOMMU DMA layer
 * allocates them size-aligned ({@code alloc_iova_fast(..., size_aligned = true)}): a 48 KiB mapping
 * starts on a 64 KiB boundary, so a dma-buf is aligned to any power of two that divides its size. The
 * device counts maps, unmaps, failed maps and bytes synced for the device, so tests can assert that
 * a pool maps a buffer once when it enters and unmaps it once when it leaves.
 *
 * <p>A coherent device needs no syncs ({@code dma_dev_need_sync() == false}); a non-coherent one
 * counts the bytes of every sync, remembers the range of the last one ({@link #lastSync()}) and
 * counts syncs of a range no live mapping covers ({@link #unmappedSyncs()}, what the kernel's
 * DMA-API debugging reports). {@link #failNextMaps(int)} injects mapping failures.
 *
 * <p>Thread safety: every method may be called from any thread.
 */
public final class DmaDevice {
    /** The value {@code dma_map_*} returns on failure ({@code DMA_MAPPING_ERROR} stands in as 0). */
    public static final long DMA_MAPPING_ERROR = 0L;

    /** IOVAs start here so that 0 never names a mapping. */
    private static final long IOVA_BASE = 1L << 32;

    private final String name;
    private final boolean coherent;
    /**
     * Mappings in IOVA order (IOVAs only grow, so a new one is appended): start and length, length
     * {@code -1} once unmapped (compacted away when half are). Allocates nothing once grown: pools map
     * and unmap every buffer that enters or leaves them. Guarded by {@code this}.
     */
    private long[] starts = new long[64];
    private long[] lengths = new long[64];
    private int used;
    private int live;
    private long nextIova = IOVA_BASE;
    private final AtomicInteger failMaps = new AtomicInteger();
    private final LongAdder maps = new LongAdder();
    private final LongAdder unmaps = new LongAdder();
    private final LongAdder mapFailures = new LongAdder();
    private final LongAdder bytesSynced = new LongAdder();
    private final LongAdder syncs = new LongAdder();
    private final LongAdder unmappedSyncs = new LongAdder();
    private final LongAdder cpuSyncs = new LongAdder();
    private volatile Sync lastSync;

    /**
     * One sync for the device: {@code length} bytes at {@code iova}.
     *
     * @param iova   the first byte synced
     * @param length the bytes synced
     */
    public record Sync(long iova, long length) {
    }

    /**
     * Creates a device.
     *
     * @param name     a label for diagnostics
     * @param coherent {@code true} if DMA is cache-coherent, so no sync is ever needed
     */
    public DmaDevice(String name, boolean coherent) {
        this.name = Objects.requireNonNull(name, "name");
        this.coherent = coherent;
    }

    /** The label given at construction. */
    public String name() {
        return name;
    }

    /** {@code dma_dev_need_sync()}: whether syncs for the device do anything. */
    public boolean needSync() {
        return !coherent;
    }

    /**
     * Maps {@code length} bytes and returns their IOVA (aligned to the length in pages rounded up to a
     * power of two), or {@link #DMA_MAPPING_ERROR} when an injected failure is pending.
     *
     * @throws IllegalArgumentException if {@code length <= 0}, or {@code dir} is {@code NONE}
     */
    public long map(long length, DmaDirection dir) {
        if (length <= 0) {
            throw new IllegalArgumentException("dma map length must be > 0: " + length);
        }
        if (dir == DmaDirection.NONE) {
            throw new IllegalArgumentException("dma map direction must not be NONE");
        }
        if (failMaps.getAndUpdate(n -> n > 0 ? n - 1 : 0) > 0) {
            mapFailures.increment();
            return DMA_MAPPING_ERROR;
        }
        long pages = (length + NetIov.PAGE_SIZE - 1) >>> NetIov.PAGE_SHIFT;
        // size-aligned, as the IOMMU's IOVA allocator: to roundup_pow_of_two(pages) pages
        long align = (pages == 1 ? 1 : Long.highestOneBit(pages - 1) << 1) << NetIov.PAGE_SHIFT;
        long iova;
        synchronized (this) {
            iova = (nextIova + align - 1) & -align;
            nextIova = iova + (pages << NetIov.PAGE_SHIFT);
            if (used == starts.length) {
                compactOrGrow();
            }
            starts[used] = iova;
            lengths[used] = length;
            used++;
            live++;
        }
        maps.increment();
        return iova;
    }

    /** Drops unmapped entries; doubles the arrays if at least half are live. Caller holds the lock. */
    private void compactOrGrow() {
        int j = 0;
        for (int i = 0; i < used; i++) {
            if (lengths[i] >= 0) {
                starts[j] = starts[i];
                lengths[j] = lengths[i];
                j++;
            }
        }
        used = j;
        if (used * 2 >= starts.length) {
            starts = java.util.Arrays.copyOf(starts, starts.length * 2);
            lengths = java.util.Arrays.copyOf(lengths, lengths.length * 2);
        }
    }

    /** The entry whose start is the greatest at or below {@code iova}, or -1. Caller holds the lock. */
    private int floor(long iova) {
        int lo = 0;
        int hi = used - 1;
        int found = -1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            if (starts[mid] <= iova) {
                found = mid;
                lo = mid + 1;
            } else {
                hi = mid - 1;
            }
        }
        return found;
    }

    /**
     * Unmaps a mapping made by {@link #map}.
     *
     * @throws IllegalStateException if {@code iova} is not mapped or was mapped with another length
     */
    public void unmap(long iova, long length, DmaDirection dir) {
        synchronized (this) {
            int i = floor(iova);
            if (i < 0 || starts[i] != iova || lengths[i] < 0) {
                throw new IllegalStateException("dma unmap of unmapped iova 0x" + Long.toHexString(iova)
                        + " on device " + name);
            }
            if (lengths[i] != length) {
                throw new IllegalStateException("dma unmap length " + length + " != mapped length " + lengths[i]
                        + " at iova 0x" + Long.toHexString(iova));
            }
            lengths[i] = -1;
            live--;
        }
        unmaps.increment();
    }

    /**
     * Syncs {@code length} bytes at {@code iova} for the device ({@code dma_sync_single_range_for_device});
     * counted and recorded only when {@link #needSync()}. A range that no live mapping covers is
     * counted in {@link #unmappedSyncs()}.
     */
    public void syncForDevice(long iova, long length, DmaDirection dir) {
        if (!coherent) {
            syncs.increment();
            bytesSynced.add(length);
            lastSync = new Sync(iova, length);
            boolean covered;
            synchronized (this) {
                // mappings never overlap and only grow: if the floor entry was unmapped, none covers iova
                int i = floor(iova);
                covered = i >= 0 && lengths[i] >= 0 && iova + length <= starts[i] + lengths[i];
            }
            if (!covered) {
                unmappedSyncs.increment();
            }
        }
    }

    /**
     * Syncs {@code length} bytes at {@code iova} for the CPU ({@code dma_sync_single_range_for_cpu});
     * counted in {@link #cpuSyncs()} only when {@link #needSync()}.
     */
    public void syncForCpu(long iova, long length, DmaDirection dir) {
        if (!coherent) {
            cpuSyncs.increment();
        }
    }

    /** Syncs for the CPU so far (0 on a coherent device). */
    public long cpuSyncs() {
        return cpuSyncs.sum();
    }

    /** The last sync for the device, or {@code null} if none happened (always on a coherent device). */
    public Sync lastSync() {
        return lastSync;
    }

    /** Syncs for the device of a range no live mapping covered (a sync after unmap, or outside a mapping). */
    public long unmappedSyncs() {
        return unmappedSyncs.sum();
    }

    /** Whether {@code iova} is the start of a live mapping. */
    public synchronized boolean isMapped(long iova) {
        int i = floor(iova);
        return i >= 0 && starts[i] == iova && lengths[i] >= 0;
    }

    /** Makes the next {@code n} calls to {@link #map} fail. */
    public void failNextMaps(int n) {
        if (n < 0) {
            throw new IllegalArgumentException("n must be >= 0: " + n);
        }
        failMaps.set(n);
    }

    /** Successful maps so far. */
    public long maps() {
        return maps.sum();
    }

    /** Unmaps so far. */
    public long unmaps() {
        return unmaps.sum();
    }

    /** Maps that failed (injected). */
    public long mapFailures() {
        return mapFailures.sum();
    }

    /** Mappings currently live. */
    public synchronized int liveMappings() {
        return live;
    }

    /** Syncs for the device so far (0 on a coherent device). */
    public long syncs() {
        return syncs.sum();
    }

    /** Bytes synced for the device so far (0 on a coherent device). */
    public long bytesSynced() {
        return bytesSynced.sum();
    }

    @Override
    public String toString() {
        return "DmaDevice[" + name + (coherent ? ", coherent" : "") + "]";
    }
}
