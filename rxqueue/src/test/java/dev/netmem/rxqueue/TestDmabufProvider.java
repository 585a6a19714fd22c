package dev.netmem.rxqueue;

import dev.netmem.api.NetIov;
import dev.netmem.api.NetIovArea;
import dev.netmem.api.NetIovType;
import dev.netmem.api.NetdevRxQueue;
import dev.netmem.api.spi.MemoryProvider;
import dev.netmem.api.spi.PoolContext;
import dev.netmem.api.spi.ProviderInfo;
import java.lang.foreign.Arena;
import java.util.ArrayDeque;
import java.util.concurrent.atomic.AtomicInteger;

/** A minimal unreadable provider for tests: a fixed DMABUF area, one chunk per slow-path call. */
final class TestDmabufProvider implements MemoryProvider {
    private static final AtomicInteger IDS = new AtomicInteger(1000);
    final NetIovArea area;
    private final ArrayDeque<NetIov> free = new ArrayDeque<>();
    private final long id = IDS.incrementAndGet();
    final AtomicInteger pools = new AtomicInteger();
    final AtomicInteger uninstalls = new AtomicInteger();

    TestDmabufProvider(int pages) {
        area = new NetIovArea(Arena.ofShared().allocate((long) pages * NetIov.PAGE_SIZE, NetIov.PAGE_SIZE), 0,
                NetIovType.DMABUF, 0, 0x1000_0000L, NetIov.NUMA_NO_NODE, null);
        for (int i = 0; i < pages; i++) {
            free.add(area.niov(i));
        }
    }

    synchronized int chunksOut() {
        return area.numNiovs() - free.size();
    }

    @Override
    public void init(PoolContext pool) {
        pool.disableDmaSync();
        pools.incrementAndGet();
    }

    @Override
    public NetIov allocNetmems(PoolContext pool) {
        NetIov n;
        synchronized (this) {
            n = free.poll();
        }
        if (n != null) {
            pool.setPagePool(n);
        }
        return n;
    }

    @Override
    public boolean releaseNetmem(PoolContext pool, NetIov netmem) {
        pool.clearPagePool(netmem);
        synchronized (this) {
            free.push(netmem);
        }
        return false;
    }

    @Override
    public void destroy(PoolContext pool) {
        pools.decrementAndGet();
    }

    @Override
    public ProviderInfo fill(NetdevRxQueue rxq) {
        return new ProviderInfo("dmabuf", id);
    }

    @Override
    public long bindingId() {
        return id;
    }

    @Override
    public void uninstall(NetdevRxQueue rxq) {
        uninstalls.incrementAndGet();
    }
}
