package dev.netmem.providers.host;

import dev.netmem.api.NetIov;
import dev.netmem.api.NetIovArea;
import dev.netmem.api.NetIovType;
import dev.netmem.api.NetdevRxQueue;
import dev.netmem.api.PagePool;
import dev.netmem.api.PagePoolParams;
import dev.netmem.api.spi.MemoryProvider;
import dev.netmem.api.spi.PoolContext;
import dev.netmem.api.spi.ProviderInfo;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayDeque;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Host pages: the default memory, standing in for the kernel's page allocator (no {@code mp_ops}).
 *
 * <p>Memory comes from large off-heap slabs (one shared {@link Arena} per provider, never one per
 * page), carved into {@code PAGE_SIZE << order} pages described by {@link NetIovArea}s. Each emulated
 * NUMA node has its own slabs and free lists, and every page records its node, so a pool whose node
 * changed waives ring buffers from the old node. Pages are page-refcounted: a pool frees a page with
 * {@code put_page}, and the last page reference brings it back here.
 *
 * <p>The order-0 slow path hands a pool up to {@link PagePool#PP_ALLOC_CACHE_REFILL} pages at once
 * (the kernel's bulk allocation); higher orders one page at a time. Memory is bounded by
 * {@code maxBytes}: past it allocation returns {@code null}, as the page allocator fails under
 * pressure. {@link #failNextAllocs(int)} injects failures.
 *
 * <p>Thread safety: free lists are guarded by one lock per node; any thread may free.
 */
public final class HostPageProvider implements MemoryProvider, AutoCloseable {
    /** Slab size: 2 MiB, or one page when a page is larger. */
    public static final long SLAB_BYTES = 2L << 20;

    private final long maxBytes;
    private final Node[] nodes;
    private final Arena arena = Arena.ofShared();
    private final AtomicInteger pools = new AtomicInteger();
    private final AtomicInteger failAllocs = new AtomicInteger();
    /** Pages still to be served from the reserves (pfmemalloc): {@link #serveNextFromReserves}. */
    private final AtomicInteger reserveAllocs = new AtomicInteger();
    private long reserved;
    private boolean closed;

    private HostPageProvider(long maxBytes, int nodeCount) {
        this.maxBytes = maxBytes;
        this.nodes = new Node[nodeCount];
        for (int i = 0; i < nodeCount; i++) {
            nodes[i] = new Node(i);
        }
    }

    /**
     * Creates a provider.
     *
     * @param maxBytes  most memory it may reserve, at least one page
     * @param nodeCount emulated NUMA nodes, in {@code [1, 64]}
     * @throws IllegalArgumentException outside those ranges
     */
    public static HostPageProvider create(long maxBytes, int nodeCount) {
        if (maxBytes < NetIov.PAGE_SIZE) {
            throw new IllegalArgumentException("maxBytes must be >= " + NetIov.PAGE_SIZE + ": " + maxBytes);
        }
        if (nodeCount < 1 || nodeCount > 64) {
            throw new IllegalArgumentException("nodeCount must be in [1, 64]: " + nodeCount);
        }
        return new HostPageProvider(maxBytes, nodeCount);
    }

    /** A single-node provider of {@code maxBytes}. */
    public static HostPageProvider create(long maxBytes) {
        return create(maxBytes, 1);
    }

    @Override
    public boolean unreadable() {
        return false;
    }

    @Override
    public void init(PoolContext pool) {
        int nid = pool.params().nid();
        if (nid >= nodes.length) {
            throw new IllegalArgumentException("nid " + nid + " out of range: the host provider has " + nodes.length
                    + " node(s)");
        }
        synchronized (this) {
            if (closed) {
                throw new IllegalStateException("host page provider is closed");
            }
            pools.incrementAndGet();
        }
    }

    @Override
    public NetIov allocNetmems(PoolContext pool) {
        int nid = pool.nid();
        Node node = nodes[nid == NetIov.NUMA_NO_NODE ? PagePool.LOCAL_NODE : Math.min(nid, nodes.length - 1)];
        int order = pool.params().order();
        int want = order > 0 ? 1 : PagePool.PP_ALLOC_CACHE_REFILL - pool.allocCacheCount();
        NetIov last = null;
        for (int i = 0; i < want; i++) {
            NetIov page = node.take(order);
            if (page == null) {
                break;
            }
            // prep_new_page: a page served from the reserves is marked pfmemalloc, any other cleared.
            page.setPfmemalloc(reserveAllocs.get() > 0 && reserveAllocs.getAndUpdate(n -> n > 0 ? n - 1 : 0) > 0);
            if (!pool.setPagePool(page)) { // DMA mapping failed: free the page, skip it
                node.free(page);
                continue;
            }
            if (last != null) {
                pool.placeInCache(last);
            }
            last = page;
        }
        return last;
    }

    @Override
    public boolean releaseNetmem(PoolContext pool, NetIov netmem) {
        return true; // the pool frees it as a page: put_page, and the last page ref brings it home
    }

    @Override
    public void destroy(PoolContext pool) {
        pools.decrementAndGet();
    }

    @Override
    public ProviderInfo fill(NetdevRxQueue rxq) {
        return new ProviderInfo("host", 0);
    }

    @Override
    public void uninstall(NetdevRxQueue rxq) {
        // host pages are not bound to queues
    }

    /** Makes the next {@code n} page takes fail, as if memory ran out. */
    public void failNextAllocs(int n) {
        if (n < 0) {
            throw new IllegalArgumentException("n must be >= 0: " + n);
        }
        failAllocs.set(n);
    }

    /**
     * Serves the next {@code n} pages handed to a pool from the emergency reserves, as the page
     * allocator does under memory pressure ({@code ALLOC_NO_WATERMARKS}): they are marked
     * {@link NetIov#isPfmemalloc() pfmemalloc}, so their pool returns them instead of recycling them.
     */
    public void serveNextFromReserves(int n) {
        if (n < 0) {
            throw new IllegalArgumentException("n must be >= 0: " + n);
        }
        reserveAllocs.set(n);
    }

    /** Pages handed out and not yet freed, over all nodes and orders. */
    public int pagesInUse() {
        int n = 0;
        for (Node node : nodes) {
            n += node.inUse();
        }
        return n;
    }

    /** Bytes of slab memory reserved so far. */
    public synchronized long reservedBytes() {
        return reserved;
    }

    /** Pools currently using this provider. */
    public int poolCount() {
        return pools.get();
    }

    /**
     * Frees the slab memory.
     *
     * @throws IllegalStateException if pages are still in use or pools still use the provider
     */
    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            int inUse = pagesInUse();
            if (inUse != 0 || pools.get() != 0) {
                throw new IllegalStateException("host page provider still in use: " + inUse + " page(s), "
                        + pools.get() + " pool(s)");
            }
            closed = true;
        }
        arena.close();
    }

    private synchronized MemorySegment reserve(long bytes) {
        if (closed || reserved + bytes > maxBytes) {
            return null;
        }
        reserved += bytes;
        return arena.allocate(bytes, NetIov.PAGE_SIZE);
    }

    @Override
    public String toString() {
        return "HostPageProvider[" + nodes.length + " node(s), max " + maxBytes + " B]";
    }

    /** One emulated NUMA node: a free list per order, grown a slab at a time. */
    private final class Node {
        private final int nid;
        private final ReentrantLock lock = new ReentrantLock();
        @SuppressWarnings({"unchecked", "rawtypes"})
        private final ArrayDeque<NetIov>[] free = new ArrayDeque[PagePoolParams.MAX_PAGE_ORDER + 1];
        private final int[] inUse = new int[PagePoolParams.MAX_PAGE_ORDER + 1];
        private long virt;

        Node(int nid) {
            this.nid = nid;
            for (int i = 0; i < free.length; i++) {
                free[i] = new ArrayDeque<>();
            }
        }

        NetIov take(int order) {
            if (failAllocs.get() > 0 && failAllocs.getAndUpdate(n -> n > 0 ? n - 1 : 0) > 0) {
                return null;
            }
            lock.lock();
            try {
                ArrayDeque<NetIov> list = free[order];
                if (list.isEmpty() && !grow(order)) {
                    return null;
                }
                inUse[order]++;
                return list.pop();
            } finally {
                lock.unlock();
            }
        }

        void free(NetIov page) {
            lock.lock();
            try {
                inUse[page.owner().order()]--;
                free[page.owner().order()].push(page);
            } finally {
                lock.unlock();
            }
        }

        int inUse() {
            lock.lock();
            try {
                int n = 0;
                for (int v : inUse) {
                    n += v;
                }
                return n;
            } finally {
                lock.unlock();
            }
        }

        private boolean grow(int order) {
            long chunk = (long) NetIov.PAGE_SIZE << order;
            long bytes = Math.max(SLAB_BYTES, chunk);
            MemorySegment slab = reserve(bytes);
            if (slab == null && bytes > chunk) {
                bytes = chunk; // near the limit: take what still fits, one page
                slab = reserve(bytes);
            }
            if (slab == null) {
                return false;
            }
            NetIovArea area = new NetIovArea(slab, order, NetIovType.PAGE, virt, 0, nid, this::free);
            virt += bytes;
            for (int i = area.numNiovs() - 1; i >= 0; i--) {
                free[order].push(area.niov(i));
            }
            return true;
        }
    }
}
