package dev.netmem.stress;

import dev.netmem.api.DmaDevice;
import dev.netmem.api.Napi;
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
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;

/**
 * A memory provider for the stress tests: a fixed set of buffers, one handed out per slow-path call,
 * and a count of how often each buffer came back through {@code release_netmem}, so an arbiter can
 * check that every buffer left its pool exactly once. Host pages ({@link NetIovType#PAGE}, readable)
 * or dma-buf chunks ({@link NetIovType#DMABUF}, unreadable, no syncs). Any thread.
 */
public final class StressPages implements MemoryProvider {
    private final NetIovArea area;
    private final boolean unreadable;
    private final AtomicIntegerArray releases;
    private final AtomicInteger next = new AtomicInteger();
    private final AtomicInteger inits = new AtomicInteger();
    private final AtomicInteger destroys = new AtomicInteger();
    private final AtomicInteger misuse = new AtomicInteger();

    /**
     * @param pages      how many buffers
     * @param unreadable dma-buf chunks instead of host pages
     */
    public StressPages(int pages, boolean unreadable) {
        this.unreadable = unreadable;
        this.area = new NetIovArea(Arena.ofAuto().allocate((long) pages * NetIov.PAGE_SIZE, NetIov.PAGE_SIZE), 0,
                unreadable ? NetIovType.DMABUF : NetIovType.PAGE, 0x1000_0000L, 0x2000_0000L, 0, p -> misuse.incrementAndGet());
        this.releases = new AtomicIntegerArray(pages);
    }

    /**
     * Allocates one buffer from {@code pool} as its NAPI would: with {@code napi} scheduled on the
     * calling thread (the allocation context), then completed.
     */
    public static NetIov allocAsNapi(PagePool pool, Napi napi) {
        napi.schedule();
        try {
            return pool.alloc();
        } finally {
            napi.complete();
        }
    }

    /** A readable pool's host pages. */
    public static StressPages host(int pages) {
        return new StressPages(pages, false);
    }

    @Override
    public boolean unreadable() {
        return unreadable;
    }

    @Override
    public void init(PoolContext pool) {
        if (unreadable) {
            pool.disableDmaSync();
        }
        inits.incrementAndGet();
    }

    @Override
    public NetIov allocNetmems(PoolContext pool) {
        int i = next.getAndIncrement();
        if (i >= area.numNiovs()) {
            next.decrementAndGet();
            return null;
        }
        NetIov n = area.niov(i);
        pool.setPagePool(n);
        return n;
    }

    @Override
    public boolean releaseNetmem(PoolContext pool, NetIov netmem) {
        if (netmem.owner() != area) {
            misuse.incrementAndGet();
            return false;
        }
        pool.clearPagePool(netmem);
        releases.incrementAndGet(netmem.index());
        return false;
    }

    @Override
    public void destroy(PoolContext pool) {
        destroys.incrementAndGet();
    }

    @Override
    public ProviderInfo fill(NetdevRxQueue rxq) {
        return new ProviderInfo(unreadable ? "dmabuf" : "host", 0);
    }

    @Override
    public void uninstall(NetdevRxQueue rxq) {
    }

    /** The buffer with this index. */
    public NetIov buffer(int index) {
        return area.niov(index);
    }

    /** How often buffer {@code index} went through {@code release_netmem}. */
    public int releases(int index) {
        return releases.get(index);
    }

    /** Buffers handed out so far. */
    public int handedOut() {
        return next.get();
    }

    /** {@code init} calls (one per pool). */
    public int inits() {
        return inits.get();
    }

    /** {@code destroy} calls (one per pool, when it is released). */
    public int destroys() {
        return destroys.get();
    }

    /** Foreign buffers released here, or pages freed as pages: always a bug. */
    public int misuse() {
        return misuse.get();
    }

    /**
     * Whether every buffer handed out came back exactly once, nothing was misused, and each pool
     * that was created was destroyed exactly once.
     */
    public boolean allHomeOnce() {
        for (int i = 0; i < handedOut(); i++) {
            if (releases.get(i) != 1) {
                return false;
            }
        }
        return misuse.get() == 0 && inits.get() == destroys.get();
    }

    /**
     * Pool parameters a driver uses on a queue bound to {@code mp}: unreadable netmem allowed, DMA map
     * and sync (a provider pool needs both), page-sized buffers on {@code device}.
     */
    public static PagePoolParams.Builder providerPool(MemoryProvider mp, DmaDevice device) {
        return PagePoolParams.builder()
                .flags(PagePoolParams.PP_FLAG_DMA_MAP | PagePoolParams.PP_FLAG_DMA_SYNC_DEV
                        | PagePoolParams.PP_FLAG_ALLOW_UNREADABLE_NETMEM)
                .device(device)
                .maxLen(NetIov.PAGE_SIZE)
                .poolSize(16)
                .queue(new Queue(mp));
    }

    /** Queue 0 of ifindex 1, bound to a provider. */
    record Queue(MemoryProvider memoryProvider) implements NetdevRxQueue {
        @Override
        public int queueIndex() {
            return 0;
        }

        @Override
        public int ifindex() {
            return 1;
        }
    }
}
