package dev.netmem.rxqueue.net;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * Preallocated skbs for one RX queue (the role of the kernel's {@code napi_alloc_cache}): the NAPI
 * takes skbs from a private list; any thread frees them onto a lock-free shared stack, which the
 * NAPI takes whole when its private list runs dry. Taking the whole stack with one
 * {@code getAndSet} has no ABA problem, so the single consumer needs no lock.
 *
 * <p>Only when both lists are empty does {@link #get()} create an skb (counted by
 * {@link #grown()}), so the cache grows to the peak number of skbs in flight and the poll path then
 * allocates nothing.
 */
public final class SkbCache {
    private static final VarHandle SHARED;
    private static final VarHandle GROWN;

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            SHARED = l.findVarHandle(SkbCache.class, "shared", SkBuff.class);
            GROWN = l.findVarHandle(SkbCache.class, "grownCount", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** NAPI-private list. */
    private SkBuff local;
    /** Treiber stack of freed skbs: pushed by any thread (CAS), taken whole by the NAPI. */
    @SuppressWarnings("unused")
    private volatile SkBuff shared;
    @SuppressWarnings("unused")
    private volatile long grownCount;

    /** A cache holding {@code prealloc} skbs to start with. */
    public SkbCache(int prealloc) {
        for (int i = 0; i < prealloc; i++) {
            SkBuff skb = new SkBuff(this);
            skb.setNext(local);
            local = skb;
        }
    }

    /** An skb ready for {@code init}. Caller: the queue's NAPI (single consumer). */
    public SkBuff get() {
        SkBuff skb = local;
        if (skb == null) {
            skb = (SkBuff) SHARED.getAndSet(this, (SkBuff) null);
            if (skb == null) {
                return growSlowPath();
            }
        }
        local = skb.next();
        skb.setNext(null);
        return skb;
    }

    private SkBuff growSlowPath() {
        GROWN.getAndAdd(this, 1L);
        return new SkBuff(this);
    }

    /** Returns a freed skb. Any thread. */
    void release(SkBuff skb) {
        SkBuff h;
        do {
            h = (SkBuff) SHARED.getVolatile(this);
            skb.setNext(h);
        } while (!SHARED.compareAndSet(this, h, skb)); // the NAPI's getAndSet is the acquire partner
    }

    /** skbs created because the cache was empty. */
    public long grown() {
        return (long) GROWN.getVolatile(this);
    }
}
