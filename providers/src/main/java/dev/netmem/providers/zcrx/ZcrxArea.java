package dev.netmem.providers.zcrx;

import dev.netmem.api.DmaDevice;
import dev.netmem.api.DmaDirection;
import dev.netmem.api.NetIov;
import dev.netmem.api.NetIovArea;
import dev.netmem.api.NetIovType;
import dev.netmem.providers.dmabuf.Dmabuf;
import dev.netmem.providers.internal.IndexFreelist;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Objects;

/**
 * Models {@code struct io_zcrx_area} (io_uring/zcrx.c): the memory a zcrx ifq receives into, either
 * user memory ({@link #ofUserMemory}) or a dma-buf ({@link #ofDmabuf}), split into net_iovs
 * ({@link NetIovType#IOURING}) of {@code 1 << niov_shift} bytes (page-sized until an ifq registers it
 * with a larger {@code rx_buf_len}, {@link ZcrxIfqReg#rxBufLen}), with
 * <ul>
 *   <li>a freelist of the buffers no pool owns ({@code freelist}, {@code free_count});</li>
 *   <li>a per-buffer atomic user reference count ({@code user_refs}): how many completions the user
 *       holds for the buffer and has not yet returned through the refill ring;</li>
 *   <li>an area id (0: one area per ifq, as the kernel "for now") and the token
 *       {@code area id << IORING_ZCRX_AREA_SHIFT} that prefixes every completion offset.</li>
 * </ul>
 * Buffer {@code i} is at offset {@code i << niov_shift} of the area. The area is mapped for DMA
 * lazily, by the first page pool's provider {@code init} ({@code io_zcrx_map_area}).
 *
 * <p>Thread safety: the freelist is locked; user refs are atomic; mapping is synchronised. The split
 * into buffers is redone only by the registering ifq ({@link #claim(int)}), before the ifq exists:
 * every other thread reaches the area through that ifq's final fields.
 */
public final class ZcrxArea {
    /** {@code IORING_ZCRX_AREA_SHIFT}: the area id lives in bits 63..48 of an offset. */
    public static final int IORING_ZCRX_AREA_SHIFT = 48;
    /** {@code IORING_ZCRX_AREA_MASK}: the area-id bits of an offset. */
    public static final long IORING_ZCRX_AREA_MASK = ~((1L << IORING_ZCRX_AREA_SHIFT) - 1);

    private static final VarHandle USER_REFS = MethodHandles.arrayElementVarHandle(int[].class);

    private final int areaId;
    /** The buffers, their freelist and user refs: replaced only by {@link #claim(int)}, before any use. */
    private NetIovArea niovs;
    private IndexFreelist freelist;
    /** user_refs: accessed only through USER_REFS. */
    private int[] userRefs;
    private final Dmabuf dmabuf;
    private DmaDevice mappedOn;
    private long dmaBase;
    private boolean claimed;

    private ZcrxArea(MemorySegment memory, Dmabuf dmabuf) {
        this.areaId = 0;
        this.dmabuf = dmabuf;
        split(memory, NetIov.PAGE_SHIFT);
    }

    /** {@code io_zcrx_create_area}'s split: {@code area size >> niov_shift} buffers. */
    private void split(MemorySegment memory, int niovShift) {
        this.niovs = new NetIovArea(memory, niovShift - NetIov.PAGE_SHIFT, NetIovType.IOURING, 0, 0,
                NetIov.NUMA_NO_NODE, null);
        this.freelist = new IndexFreelist(niovs.numNiovs());
        this.userRefs = new int[niovs.numNiovs()];
    }

    /**
     * {@code io_area_max_shift}: the largest buffer shift the area's contiguous chunks can be split
     * by, the lowest set bit of each chunk's length. netmem's area is one contiguous chunk (user
     * memory is one mapping, a dma-buf one segment), so this is the lowest set bit of its length.
     */
    int maxShift() {
        return Long.numberOfTrailingZeros(memory().byteSize());
    }

    /** {@code 1 << niov_shift}: the size of each buffer. */
    public int bufferSize() {
        return niovs.chunkSize();
    }

    /**
     * An area over user memory ({@code io_import_umem}); the caller keeps the memory alive until the
     * ifq using the area is freed.
     *
     * @throws IllegalArgumentException if the address or length is not page aligned, or the length is
     *                                  0 ({@code -EINVAL})
     */
    public static ZcrxArea ofUserMemory(MemorySegment memory) {
        Objects.requireNonNull(memory, "memory");
        long len = memory.byteSize();
        if (len == 0 || (len & (NetIov.PAGE_SIZE - 1)) != 0 || (memory.address() & (NetIov.PAGE_SIZE - 1)) != 0) {
            throw new IllegalArgumentException("EINVAL: zcrx area must be page aligned and non-empty: address=0x"
                    + Long.toHexString(memory.address()) + ", len=" + len);
        }
        return new ZcrxArea(memory, null);
    }

    /**
     * An area over a whole dma-buf ({@code io_import_dmabuf}: offset 0, exact length); takes a dma-buf
     * reference, dropped when the ifq frees the area.
     *
     * @throws IllegalArgumentException if the dma-buf is not a whole number of pages
     * @throws IllegalStateException    if it is closed
     */
    public static ZcrxArea ofDmabuf(Dmabuf dmabuf) {
        Objects.requireNonNull(dmabuf, "dmabuf");
        long len = dmabuf.size();
        if ((len & (NetIov.PAGE_SIZE - 1)) != 0) {
            throw new IllegalArgumentException("EINVAL: zcrx area must be page aligned and non-empty: len=" + len);
        }
        dmabuf.get();
        return new ZcrxArea(dmabuf.segment(), dmabuf);
    }

    /** The area id (always 0: one area per ifq). */
    public int id() {
        return areaId;
    }

    /** {@code rq_area_token}: {@code id << IORING_ZCRX_AREA_SHIFT}. */
    public long token() {
        return (long) areaId << IORING_ZCRX_AREA_SHIFT;
    }

    /** The buffers. */
    public NetIovArea niovs() {
        return niovs;
    }

    /** The memory. */
    public MemorySegment memory() {
        return niovs.memory();
    }

    /** The dma-buf behind the area, or {@code null} for user memory. */
    public Dmabuf dmabuf() {
        return dmabuf;
    }

    /** Buffers in the freelist (not owned by any pool). */
    public int freeCount() {
        return freelist.freeCount();
    }

    /** The user references buffer {@code idx} holds now. */
    public int userRefs(int idx) {
        return (int) USER_REFS.getVolatile(userRefs, idx);
    }

    /** Sum of all user references (a racy snapshot while the ring runs). */
    public long totalUserRefs() {
        long s = 0;
        for (int i = 0; i < userRefs.length; i++) {
            s += (int) USER_REFS.getVolatile(userRefs, i);
        }
        return s;
    }

    // ---- package-private: the ifq's view ----

    IndexFreelist freelist() {
        return freelist;
    }

    /** {@code atomic_inc(user_refs[idx])} when a completion hands the buffer to the user. */
    void userRefGetAndIncrement(int idx) {
        USER_REFS.getAndAdd(userRefs, idx, 1);
    }

    /**
     * {@code io_zcrx_put_niov_uref}: drops one user reference if there is one. A CAS loop, so a refill
     * racing the scrub's exchange never drops a reference twice.
     */
    boolean userRefDecrementIfPositive(int idx) {
        int v = (int) USER_REFS.getVolatile(userRefs, idx);
        while (v > 0) {
            int w = (int) USER_REFS.compareAndExchange(userRefs, idx, v, v - 1);
            if (w == v) {
                return true;
            }
            v = w;
        }
        return false;
    }

    /** {@code atomic_xchg(user_refs[idx], 0)} for the scrub. */
    int userRefGetAndSetZero(int idx) {
        return (int) USER_REFS.getAndSet(userRefs, idx, 0);
    }

    /**
     * Marks the area as registered with an ifq (one ifq per area) and splits it into buffers of
     * {@code 1 << niovShift} bytes; the caller checked the shift against {@link #maxShift()}.
     */
    synchronized void claim(int niovShift) {
        if (claimed) {
            throw new IllegalStateException("zcrx area is already registered with an ifq");
        }
        claimed = true;
        if (niovShift != niovs.chunkShift()) {
            split(memory(), niovShift);
        }
    }

    /** Undoes {@link #claim()} when registration failed. */
    synchronized void unclaim() {
        claimed = false;
    }

    /** {@code io_zcrx_map_area}: maps once, on the first pool's init; later calls do nothing. */
    synchronized boolean mapOnce(DmaDevice device) {
        if (mappedOn != null) {
            return false;
        }
        long base = device.map(memory().byteSize(), DmaDirection.FROM_DEVICE);
        if (base == DmaDevice.DMA_MAPPING_ERROR) {
            throw new IllegalStateException("ENOMEM: " + device + " cannot map zcrx area of " + memory().byteSize()
                    + " B");
        }
        mappedOn = device;
        dmaBase = base;
        return true;
    }

    /** The device address of buffer 0 once mapped. */
    synchronized long dmaBase() {
        return dmaBase;
    }

    /** {@code io_zcrx_free_area}: unmaps and drops the dma-buf reference. */
    synchronized void free() {
        if (mappedOn != null) {
            mappedOn.unmap(dmaBase, memory().byteSize(), DmaDirection.FROM_DEVICE);
            mappedOn = null;
        }
        if (dmabuf != null) {
            dmabuf.close();
        }
    }

    @Override
    public String toString() {
        return "ZcrxArea[id=" + areaId + ", " + niovs.numNiovs() + " buffers, " + freelist.freeCount() + " free]";
    }
}
