package dev.netmem.rxqueue.netdev;

import dev.netmem.api.PagePool;
import dev.netmem.api.PagePoolStats;
import java.time.Instant;

/** {@link PagePoolMXBean} over a live pool, reading the same records as the netdev family. */
final class PagePoolMBeanImpl implements PagePoolMXBean {
    private static final PagePoolStats NO_STATS = new PagePoolStats(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);

    private final PagePool pool;

    PagePoolMBeanImpl(PagePool pool) {
        this.pool = pool;
    }

    @Override
    public int getId() {
        return pool.id();
    }

    @Override
    public int getIfindex() {
        return Netdev.info(pool).ifindex().orElse(-1);
    }

    @Override
    public int getNapiId() {
        return Netdev.info(pool).napiId().orElse(-1);
    }

    @Override
    public long getInflight() {
        return pool.inflight();
    }

    @Override
    public long getInflightMem() {
        return pool.inflightMem();
    }

    @Override
    public long getDetachTime() {
        return pool.detachTime().map(Instant::getEpochSecond).orElse(-1L);
    }

    @Override
    public long getDmabuf() {
        return Netdev.info(pool).dmabuf().orElse(-1L);
    }

    @Override
    public boolean isIoUring() {
        return Netdev.info(pool).ioUring();
    }

    @Override
    public long getFast() {
        return stats().fast();
    }

    @Override
    public long getSlow() {
        return stats().slow();
    }

    @Override
    public long getSlowHighOrder() {
        return stats().slowHighOrder();
    }

    @Override
    public long getEmpty() {
        return stats().empty();
    }

    @Override
    public long getRefill() {
        return stats().refill();
    }

    @Override
    public long getWaive() {
        return stats().waive();
    }

    @Override
    public long getCached() {
        return stats().cached();
    }

    @Override
    public long getCacheFull() {
        return stats().cacheFull();
    }

    @Override
    public long getRing() {
        return stats().ring();
    }

    @Override
    public long getRingFull() {
        return stats().ringFull();
    }

    @Override
    public long getReleasedRefcnt() {
        return stats().releasedRefcnt();
    }

    private PagePoolStats stats() {
        return pool.statsEnabled() ? pool.stats() : NO_STATS;
    }
}
