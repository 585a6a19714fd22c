package dev.netmem.api;

import java.lang.foreign.MemorySegment;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Models {@code struct net_iov_area}: a contiguous region of provider memory split into
 * {@code PAGE_SIZE << order} chunks, each described by a preallocated {@link NetIov}.
 *
 * <p>Providers create areas (host slabs, dmabuf chunks, io_uring zcrx areas). The descriptors are
 * made once here, so allocation never creates objects.
 *
 * <p>Thread safety: immutable after construction; {@link #freePage} is called by whichever thread
 * drops a host page's last page reference, and the area's {@link PageFreer} must be thread-safe.
 */
public final class NetIovArea {
    /**
     * Receives a host page whose page refcount reached zero ({@code put_page} → the page allocator).
     * Provider SPI: implemented by host-page providers; unused for net_iov areas.
     */
    @FunctionalInterface
    public interface PageFreer {
        /** Takes back a page whose last page reference was dropped. Called from any thread. */
        void freePage(NetIov page);
    }

    private static final AtomicInteger NEXT_ID = new AtomicInteger(1);

    private final int id;
    private final MemorySegment memory;
    private final int order;
    private final int chunkShift;
    private final NetIovType type;
    private final long baseVirtual;
    private final int nid;
    private final PageFreer freer;
    private final NetIov[] niovs;

    /**
     * Creates an area and its descriptors.
     *
     * @param memory      the region; its size must be a non-zero multiple of the chunk size
     * @param order       each chunk is {@code PAGE_SIZE << order} bytes, {@code 0 <= order <= 10}
     * @param type        what the chunks are
     * @param baseVirtual the area's offset in its owner's address space ({@code base_virtual})
     * @param baseDmaAddr the device address of the first chunk, or 0 if chunks are mapped later;
     *                    chunk {@code i} gets {@code baseDmaAddr + i * chunkSize}
     * @param nid         NUMA node, or {@link NetIov#NUMA_NO_NODE}
     * @param freer       where freed host pages go; required for {@link NetIovType#PAGE}, else may be null
     * @throws IllegalArgumentException on a size, order or node that does not fit
     */
    public NetIovArea(MemorySegment memory, int order, NetIovType type, long baseVirtual, long baseDmaAddr,
                      int nid, PageFreer freer) {
        this.memory = Objects.requireNonNull(memory, "memory");
        this.type = Objects.requireNonNull(type, "type");
        if (order < 0 || order > PagePoolParams.MAX_PAGE_ORDER) {
            throw new IllegalArgumentException("order must be in [0, " + PagePoolParams.MAX_PAGE_ORDER + "]: "
                    + order);
        }
        long chunk = (long) NetIov.PAGE_SIZE << order;
        long size = memory.byteSize();
        if (size == 0 || size % chunk != 0) {
            throw new IllegalArgumentException("area size " + size + " is not a non-zero multiple of the chunk size "
                    + chunk);
        }
        if (size / chunk > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("area has too many chunks: " + size / chunk);
        }
        if (nid < NetIov.NUMA_NO_NODE) {
            throw new IllegalArgumentException("nid must be >= -1: " + nid);
        }
        if (type == NetIovType.PAGE && freer == null) {
            throw new IllegalArgumentException("a PAGE area needs a PageFreer");
        }
        this.order = order;
        this.chunkShift = NetIov.PAGE_SHIFT + order;
        this.baseVirtual = baseVirtual;
        this.nid = nid;
        this.freer = freer;
        this.id = NEXT_ID.getAndIncrement();
        int n = (int) (size / chunk);
        this.niovs = new NetIov[n];
        for (int i = 0; i < n; i++) {
            long dma = baseDmaAddr == 0 ? 0 : baseDmaAddr + i * chunk;
            niovs[i] = new NetIov(this, i, memory.asSlice(i * chunk, chunk), dma);
        }
    }

    /** A JVM-unique id for diagnostics. */
    public int id() {
        return id;
    }

    /** The descriptor of chunk {@code index}. */
    public NetIov niov(int index) {
        return niovs[index];
    }

    /** {@code num_niovs}. */
    public int numNiovs() {
        return niovs.length;
    }

    /** The whole region. */
    public MemorySegment memory() {
        return memory;
    }

    /** Chunk order. */
    public int order() {
        return order;
    }

    /** {@code PAGE_SHIFT + order}. */
    public int chunkShift() {
        return chunkShift;
    }

    /** Chunk size in bytes. */
    public int chunkSize() {
        return 1 << chunkShift;
    }

    /** The chunks' type. */
    public NetIovType type() {
        return type;
    }

    /** {@code base_virtual}. */
    public long baseVirtual() {
        return baseVirtual;
    }

    /** NUMA node of the memory. */
    public int nid() {
        return nid;
    }

    void freePage(NetIov page) {
        freer.freePage(page);
    }

    @Override
    public String toString() {
        return "NetIovArea[id=" + id + ", " + type + ", " + niovs.length + " x " + chunkSize() + "]";
    }
}
