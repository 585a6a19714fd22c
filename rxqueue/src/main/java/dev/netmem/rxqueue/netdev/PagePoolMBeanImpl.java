package dev.netmem.rxqueue.netdev;

import dev.netmem.api.PagePool;
import dev.netmem.api.PagePoolStats;
import java.time.Instant;

/** {@link PagePoolMXBean} over a live pool, reading the same records as the netdev family. */
final class PagePoolMBeanImpl implements PagePoolMXBean {
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
    public long[] getStats() {
        return pool.statsEnabled() ? pool.stats().toArray() : new long[PagePoolStats.ETHTOOL_STRINGS.size()];
    }

    @Override
    public String[] getStatNames() {
        return PagePoolStats.ETHTOOL_STRINGS.toArray(String[]::new);
    }
}
