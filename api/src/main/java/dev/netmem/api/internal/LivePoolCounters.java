package dev.netmem.api.internal;

import dev.netmem.api.PagePoolStats;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * Statistics kept: plain increments for the NAPI-owned counters, atomic adds for the two counters
 * bumped from any thread. Snapshots read with opaque loads.
 */
public final class LivePoolCounters implements PoolCounters {
    private static final VarHandle FAST, SLOW, SLOW_HO, EMPTY, REFILL, WAIVE, CACHED, CACHE_FULL;
    private static final VarHandle RING_FULL, RELEASED_REFCNT;

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            FAST = l.findVarHandle(LivePoolCounters.class, "fast", long.class);
            SLOW = l.findVarHandle(LivePoolCounters.class, "slow", long.class);
            SLOW_HO = l.findVarHandle(LivePoolCounters.class, "slowHighOrder", long.class);
            EMPTY = l.findVarHandle(LivePoolCounters.class, "empty", long.class);
            REFILL = l.findVarHandle(LivePoolCounters.class, "refill", long.class);
            WAIVE = l.findVarHandle(LivePoolCounters.class, "waive", long.class);
            CACHED = l.findVarHandle(LivePoolCounters.class, "cached", long.class);
            CACHE_FULL = l.findVarHandle(LivePoolCounters.class, "cacheFull", long.class);
            RING_FULL = l.findVarHandle(LivePoolCounters.class, "ringFull", long.class);
            RELEASED_REFCNT = l.findVarHandle(LivePoolCounters.class, "releasedRefcnt", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    // NAPI-owned: plain writes.
    private long fast;
    private long slow;
    private long slowHighOrder;
    private long empty;
    private long refill;
    private long waive;
    private long cached;
    private long cacheFull;
    // Any thread: atomic adds.
    private volatile long ringFull;
    private volatile long releasedRefcnt;

    LivePoolCounters() {
    }

    @Override
    public void fast() {
        fast++;
    }

    @Override
    public void slow() {
        slow++;
    }

    @Override
    public void slowHighOrder() {
        slowHighOrder++;
    }

    @Override
    public void empty() {
        empty++;
    }

    @Override
    public void refill() {
        refill++;
    }

    @Override
    public void waive() {
        waive++;
    }

    @Override
    public void cached() {
        cached++;
    }

    @Override
    public void cacheFull() {
        cacheFull++;
    }

    @Override
    public void ringFull() {
        RING_FULL.getAndAdd(this, 1L);
    }

    @Override
    public void releasedRefcnt() {
        RELEASED_REFCNT.getAndAdd(this, 1L);
    }

    @Override
    public boolean enabled() {
        return true;
    }

    @Override
    public PagePoolStats snapshot(long ring) {
        return new PagePoolStats((long) FAST.getOpaque(this), (long) SLOW.getOpaque(this),
                (long) SLOW_HO.getOpaque(this), (long) EMPTY.getOpaque(this), (long) REFILL.getOpaque(this),
                (long) WAIVE.getOpaque(this), (long) CACHED.getOpaque(this), (long) CACHE_FULL.getOpaque(this),
                ring, (long) RING_FULL.getVolatile(this), (long) RELEASED_REFCNT.getVolatile(this));
    }
}
