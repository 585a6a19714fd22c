package dev.netmem.api;

import dev.netmem.api.spi.MemoryProvider;
import dev.netmem.api.spi.PoolContext;
import dev.netmem.api.spi.ProviderInfo;
import java.lang.foreign.Arena;
import java.util.ArrayDeque;

/**
 * A minimal readable provider for the core's own tests: a fixed number of pages per node, handed
 * out one per slow-path call or in REFILL batches like the kernel's bulk allocator. Single lock.
 */
class TestPages implements MemoryProvider {
    final int pagesPerNode;
    final boolean bulk;
    private final ArrayDeque<NetIov>[] free;
    int inits;
    int destroys;
    int allocCalls;
    int releases;
    /** Pages still to be handed out as pfmemalloc (served from the reserves). */
    int fromReserves;

    @SuppressWarnings({"unchecked", "rawtypes"})
    TestPages(int pagesPerNode, int nodes, int order, boolean bulk) {
        this.pagesPerNode = pagesPerNode;
        this.bulk = bulk;
        this.free = new ArrayDeque[nodes];
        for (int n = 0; n < nodes; n++) {
            free[n] = new ArrayDeque<>();
            NetIovArea area = new NetIovArea(Arena.ofAuto().allocate((long) pagesPerNode * (NetIov.PAGE_SIZE << order),
                    NetIov.PAGE_SIZE), order, NetIovType.PAGE, 0, 0, n, this::freePage);
            for (int i = 0; i < area.numNiovs(); i++) {
                free[n].add(area.niov(i));
            }
        }
    }

    TestPages(int pages) {
        this(pages, 1, 0, true);
    }

    synchronized int freePages() {
        int s = 0;
        for (ArrayDeque<NetIov> d : free) {
            s += d.size();
        }
        return s;
    }

    /** Pages handed out and not freed yet: what the provider has out, counted on its own side. */
    synchronized int pagesOut() {
        return pagesPerNode * free.length - freePages();
    }

    /** Called on the freeing thread when a page comes home, before it is back on the free list. */
    void pageFreed(NetIov page) {
    }

    private void freePage(NetIov page) {
        pageFreed(page);
        push(page);
    }

    private synchronized void push(NetIov page) {
        free[Math.max(0, page.nid())].push(page);
    }

    private synchronized NetIov take(int node) {
        return free[node].poll();
    }

    @Override
    public boolean unreadable() {
        return false;
    }

    @Override
    public synchronized void init(PoolContext pool) {
        inits++;
    }

    @Override
    public NetIov allocNetmems(PoolContext pool) {
        allocCalls++;
        int nid = pool.nid() < 0 ? 0 : pool.nid();
        int want = bulk && pool.params().order() == 0 ? PagePool.PP_ALLOC_CACHE_REFILL : 1;
        NetIov last = null;
        for (int i = 0; i < want; i++) {
            NetIov p = take(nid);
            if (p == null) {
                break;
            }
            p.setPfmemalloc(fromReserves > 0 && fromReserves-- > 0);
            if (!pool.setPagePool(p)) {
                push(p);
                continue;
            }
            if (last != null) {
                pool.placeInCache(last);
            }
            last = p;
        }
        return last;
    }

    @Override
    public synchronized boolean releaseNetmem(PoolContext pool, NetIov netmem) {
        releases++;
        return true;
    }

    @Override
    public synchronized void destroy(PoolContext pool) {
        destroys++;
    }

    @Override
    public ProviderInfo fill(NetdevRxQueue rxq) {
        return new ProviderInfo("host", 0);
    }

    @Override
    public void uninstall(NetdevRxQueue rxq) {
    }
}
