package dev.netmem.api;

import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * Models {@code struct net_iov} and the {@code netmem_desc} it shares with {@code struct page}: one
 * buffer of a {@link NetIovArea}, the unit a {@link PagePool} hands out.
 *
 * <p>Descriptors are created once, with their area, and reused for the life of the area: the
 * allocation and recycle paths never create objects. A descriptor carries
 * <ul>
 *   <li>its owner area, index and {@link NetIovType type};</li>
 *   <li>{@code pp} (the owning pool while the buffer belongs to one) and {@code pp_magic}, which holds
 *       {@link #PP_SIGNATURE} while it does, so a foreign buffer handed to a pool is detected;</li>
 *   <li>{@code dma_addr}, the device address;</li>
 *   <li>{@code pp_ref_count}, the references that will be dropped through the page-pool API (skb
 *       frags, socket tokens, user refs). At rest in a pool it is always 1;</li>
 *   <li>for host pages only, the page refcount ({@code page_ref_count}); a net_iov's is always 1;</li>
 *   <li>a zero-copy {@link MemorySegment} view of its bytes (the device's view; whether the stack may
 *       read it is {@link NetIovType#readable()}).</li>
 * </ul>
 *
 * <p>Thread safety: {@code pp_ref_count} and the page refcount are atomic. The other fields are
 * written in allocation context (the pool's NAPI) or by the single thread that drops the last
 * reference, and are published to other threads through the pool's cache or ring.
 */
public final class NetIov {
    /** {@code PAGE_SHIFT}: netmem models 4 KiB pages. */
    public static final int PAGE_SHIFT = 12;
    /** {@code PAGE_SIZE}. */
    public static final int PAGE_SIZE = 1 << PAGE_SHIFT;
    /** {@code NUMA_NO_NODE}. */
    public static final int NUMA_NO_NODE = -1;
    /**
     * {@code PP_SIGNATURE}: {@code 0x40 + POISON_POINTER_DELTA} (x86-64's {@code 0xdead000000000000}),
     * OR-ed into {@code pp_magic} while a pool owns the buffer.
     */
    public static final long PP_SIGNATURE = 0x40L + 0xdead000000000000L;
    /** {@code PP_MAGIC_MASK}: the low two bits are the compound-head and pfmemalloc bits. */
    static final long PP_MAGIC_MASK = ~0x3L;

    private static final VarHandle PP_REF_COUNT;
    private static final VarHandle PAGE_REF_COUNT;

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            PP_REF_COUNT = l.findVarHandle(NetIov.class, "ppRefCount", long.class);
            PAGE_REF_COUNT = l.findVarHandle(NetIov.class, "pageRefCount", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final NetIovArea owner;
    private final int index;
    private final MemorySegment segment;

    // netmem_desc: written when the buffer enters or leaves a pool.
    long ppMagic;
    PagePool pp;
    long dmaAddr;
    /**
     * The buffer's index in its pool's {@code dma_mapped} table while the pool has it mapped, else 0.
     * The kernel keeps it in {@code pp_magic}'s {@code PP_DMA_INDEX} bits; a field of its own here.
     */
    int dmaIndex;
    /** pp_ref_count: accessed only through PP_REF_COUNT. */
    @SuppressWarnings("unused")
    private volatile long ppRefCount;
    /** page_ref_count (host pages): accessed only through PAGE_REF_COUNT. */
    @SuppressWarnings("unused")
    private volatile int pageRefCount;
    /**
     * True while the buffer is out of its pool (handed out by alloc, not yet put back). Written by
     * alloc (NAPI) and by the last put before it publishes the buffer into the cache or ring; lets a
     * put of a buffer that is already home fail precisely instead of corrupting the pool.
     */
    boolean allocated;
    /**
     * {@code page_is_pfmemalloc}: the page allocator gave this host page from its emergency reserves.
     * Written by the page allocator (the provider) before the page enters a pool; a net_iov is never
     * pfmemalloc.
     */
    boolean pfmemalloc;
    /** The last {@link PagePool#putBulk} call that validated this buffer: finds repeats in one pass. */
    long bulkStamp;

    NetIov(NetIovArea owner, int index, MemorySegment segment, long dmaAddr) {
        this.owner = owner;
        this.index = index;
        this.segment = segment;
        this.dmaAddr = dmaAddr;
        this.pageRefCount = 1;
        this.ppRefCount = 0;
    }

    /** The area this buffer belongs to ({@code owner}). */
    public NetIovArea owner() {
        return owner;
    }

    /** Index in the owner area ({@code net_iov_idx()}). */
    public int index() {
        return index;
    }

    /** The buffer's type. */
    public NetIovType type() {
        return owner.type();
    }

    /** The pool that owns the buffer, or {@code null} ({@code netmem_get_pp}). */
    public PagePool pool() {
        return pp;
    }

    /** {@code pp_magic}. */
    public long ppMagic() {
        return ppMagic;
    }

    /** {@code netmem_is_pp()}: whether {@code pp_magic} carries the page-pool signature. */
    public boolean isPp() {
        return (ppMagic & PP_MAGIC_MASK) == PP_SIGNATURE;
    }

    /** The device address ({@code dma_addr}); 0 while unmapped. */
    public long dmaAddr() {
        return dmaAddr;
    }

    /** The current {@code pp_ref_count} (a volatile read). */
    public long ppRefCount() {
        return (long) PP_REF_COUNT.getVolatile(this);
    }

    /** The page refcount (a volatile read): meaningful for host pages; always 1 for a net_iov. */
    public int pageRefCount() {
        return (int) PAGE_REF_COUNT.getVolatile(this);
    }

    /**
     * {@code netmem_is_pfmemalloc}: whether the page came from the allocator's emergency reserves. A
     * pool never recycles such a page (it returns it on its last put); always {@code false} for a
     * net_iov.
     */
    public boolean isPfmemalloc() {
        return pfmemalloc;
    }

    /**
     * {@code set_page_pfmemalloc} / {@code clear_page_pfmemalloc}: the page allocator (a host page
     * provider) records whether it served this page from its reserves. Caller: the provider, while it
     * owns the page (before handing it to a pool).
     *
     * @throws UnsupportedOperationException for a net_iov, which is never pfmemalloc
     * @throws IllegalStateException         if a pool owns the page
     */
    public void setPfmemalloc(boolean fromReserves) {
        checkPage();
        if (pp != null) {
            throw new IllegalStateException("pfmemalloc set on a page a pool owns: " + this);
        }
        pfmemalloc = fromReserves;
    }

    /** The NUMA node of the memory ({@link #NUMA_NO_NODE} for provider memory). */
    public int nid() {
        return owner.nid();
    }

    /** Whether this buffer is currently out of its pool (allocated and not yet put back). */
    public boolean isAllocated() {
        return allocated;
    }

    /**
     * The buffer's offset in its area's address space ({@code net_iov_virtual_addr()}): for a dmabuf
     * binding, the offset into the dma-buf.
     */
    public long virtualAddress() {
        return owner.baseVirtual() + ((long) index << owner.chunkShift());
    }

    /** Size of the buffer in bytes ({@code PAGE_SIZE << order}). */
    public int size() {
        return owner.chunkSize();
    }

    /** A zero-copy view of the buffer's bytes. */
    public MemorySegment segment() {
        return segment;
    }

    /**
     * Takes an extra page reference ({@code get_page}). While it is held, the pool cannot recycle the
     * page: its last put returns it to the allocator and counts {@code releasedRefcnt}.
     *
     * @throws UnsupportedOperationException for a net_iov, which has no page refcount
     */
    public void getPage() {
        checkPage();
        PAGE_REF_COUNT.getAndAdd(this, 1);
    }

    /**
     * Drops a page reference ({@code put_page}); the last one frees the page to its area's allocator.
     *
     * <p>A page that still belongs to a page pool ({@code pp} set, {@link #PP_SIGNATURE} in
     * {@code pp_magic}) is never freed here: only the pool's release path may let it go. Freeing it
     * would let its provider hand it to a second owner while the pool still counts it in flight. As
     * the kernel's page allocator reports such a free as a bad page ("page_pool leak"), the drop is
     * undone, the owning pool counts it ({@link PagePool#pagePoolLeaks()}) and this throws; the
     * caller still holds its reference and must drop it through the pool.
     *
     * @throws UnsupportedOperationException for a net_iov
     * @throws IllegalStateException if the page was already free, or a pool still owns it
     */
    public void putPage() {
        checkPage();
        int prev = (int) PAGE_REF_COUNT.getAndAdd(this, -1);
        if (prev == 1) {
            if (pp != null || isPp()) {
                PAGE_REF_COUNT.getAndAdd(this, 1);
                throw Errors.pagePoolLeak(this, pp);
            }
            // A free page rests at 1, like a buffer in a pool. Acquire partner: the getAndAdd of the
            // next put_page or get_page on this page, by whichever thread takes it next.
            PAGE_REF_COUNT.setRelease(this, 1);
            owner.freePage(this);
        } else if (prev <= 0) {
            PAGE_REF_COUNT.getAndAdd(this, 1);
            throw new IllegalStateException("put_page of a free page: " + this);
        }
    }

    private void checkPage() {
        if (owner.type() != NetIovType.PAGE) {
            throw new UnsupportedOperationException("a net_iov has no page refcount: " + this);
        }
    }

    // ---- pp_ref_count primitives, used by PagePool (models helpers.h); access mode in the name ----

    /**
     * Sets {@code pp_ref_count} with a release store. Acquire partner: {@link #getPpRefCountAcquire}
     * in the next {@code page_pool_unref_netmem} on any thread (or the volatile RMW of
     * {@link #getAndAddPpRefCount}), which must see the count this holder set.
     */
    void setPpRefCountRelease(long v) {
        PP_REF_COUNT.setRelease(this, v);
    }

    long getPpRefCountAcquire() {
        return (long) PP_REF_COUNT.getAcquire(this);
    }

    /** A volatile read-modify-write of {@code pp_ref_count}; returns the old value. */
    long getAndAddPpRefCount(long delta) {
        return (long) PP_REF_COUNT.getAndAdd(this, delta);
    }

    /** {@code page_pool_set_pp_info}: owner pool, signature, pp_ref_count = 1. */
    void setPpInfo(PagePool pool) {
        pp = pool;
        ppMagic |= PP_SIGNATURE;
        // Release: publishes pp and pp_magic with the count. Acquire partner: getPpRefCountAcquire in
        // the first unref on another thread (the buffer itself travels there through the cache or ring).
        PP_REF_COUNT.setRelease(this, 1L);
    }

    /** {@code page_pool_clear_pp_info}. */
    void clearPpInfo() {
        ppMagic = 0;
        pp = null;
        allocated = false;
    }

    @Override
    public String toString() {
        return "NetIov[" + owner.type() + " area=" + owner.id() + " idx=" + index + "]";
    }
}
