package dev.netmem.providers;

import dev.netmem.api.NetIov;
import dev.netmem.api.PagePool;
import dev.netmem.api.PagePoolParams;
import dev.netmem.api.spi.PoolContext;

/**
 * A {@link PoolContext} that records calls instead of touching a pool, for calling provider ops
 * directly with inputs a real pool never produces (a release with {@code pp_ref_count != 1}).
 */
public final class RecordingPoolContext implements PoolContext {
    private final PagePool pool;
    /** {@link #clearPagePool} calls so far. */
    public int clears;

    /** A context naming {@code pool}. */
    public RecordingPoolContext(PagePool pool) {
        this.pool = pool;
    }

    @Override
    public PagePool pool() {
        return pool;
    }

    @Override
    public PagePoolParams params() {
        return pool.params();
    }

    @Override
    public int nid() {
        return params().nid();
    }

    @Override
    public int allocCacheCount() {
        return 0;
    }

    @Override
    public void placeInCache(NetIov netmem) {
        throw new UnsupportedOperationException("placeInCache");
    }

    @Override
    public boolean setPagePool(NetIov netmem) {
        throw new UnsupportedOperationException("setPagePool");
    }

    @Override
    public void clearPagePool(NetIov netmem) {
        clears++;
    }

    @Override
    public void setDmaAddr(NetIov netmem, long dmaAddr) {
        throw new UnsupportedOperationException("setDmaAddr");
    }

    @Override
    public void disableDmaSyncForCpu() {
        throw new UnsupportedOperationException("disableDmaSyncForCpu");
    }

    @Override
    public void disableDmaSync() {
        throw new UnsupportedOperationException("disableDmaSync");
    }

    @Override
    public void dmaSyncForDevice(NetIov netmem, int size) {
        throw new UnsupportedOperationException("dmaSyncForDevice");
    }
}
