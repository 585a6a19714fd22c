package dev.netmem.api.internal;

import dev.netmem.api.PagePoolStats;

/** Statistics off: every increment is empty and inlines to nothing. */
public final class NoPoolCounters implements PoolCounters {
    static final NoPoolCounters INSTANCE = new NoPoolCounters();

    private NoPoolCounters() {
    }

    @Override
    public void fast() {
    }

    @Override
    public void slow() {
    }

    @Override
    public void slowHighOrder() {
    }

    @Override
    public void empty() {
    }

    @Override
    public void refill() {
    }

    @Override
    public void waive() {
    }

    @Override
    public void cached() {
    }

    @Override
    public void cacheFull() {
    }

    @Override
    public void ringFull() {
    }

    @Override
    public void releasedRefcnt() {
    }

    @Override
    public boolean enabled() {
        return false;
    }

    @Override
    public PagePoolStats snapshot(long ring) {
        throw new UnsupportedOperationException("page pool statistics are disabled (stats=false)");
    }
}
