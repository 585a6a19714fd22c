package dev.netmem.rxqueue.netdev;

/**
 * JMX view of one page pool: the figures of {@link Netdev#pagePoolGet} and
 * {@link Netdev#pagePoolStats}, one attribute per figure (JMX capitalises the first letter:
 * {@code Inflight}, {@code Fast}, {@code SlowHighOrder}, ...). Absent values read as -1; counters read 0
 * when the pool keeps no statistics. Each read is live: it takes a fresh snapshot.
 */
public interface PagePoolMXBean {
    /** Pool id. */
    int getId();

    /** Device ifindex, -1 once orphaned. */
    int getIfindex();

    /** Linked NAPI id, -1 once destroyed. */
    int getNapiId();

    /** Buffers in flight. */
    long getInflight();

    /** Bytes in flight. */
    long getInflightMem();

    /** Detach time in epoch seconds, -1 while attached. */
    long getDetachTime();

    /** The dma-buf binding id, -1 if not a devmem pool. */
    long getDmabuf();

    /** Whether an io_uring (user ring) provider feeds the pool. */
    boolean isIoUring();

    // The page_pool_stats counters, one attribute each, named as in the kernel (PagePoolStats).

    /** {@link dev.netmem.api.PagePoolStats#fast()}: allocations served by the fast cache ({@code rx_pp_alloc_fast}). */
    long getFast();

    /** {@link dev.netmem.api.PagePoolStats#slow()}: order-0 allocations from the provider ({@code rx_pp_alloc_slow}). */
    long getSlow();

    /** {@link dev.netmem.api.PagePoolStats#slowHighOrder()}: higher-order allocations from the provider. */
    long getSlowHighOrder();

    /** {@link dev.netmem.api.PagePoolStats#empty()}: refills that found the ring empty. */
    long getEmpty();

    /** {@link dev.netmem.api.PagePoolStats#refill()}: allocations served by refilling the cache from the ring. */
    long getRefill();

    /** {@link dev.netmem.api.PagePoolStats#waive()}: ring buffers returned for being on another NUMA node. */
    long getWaive();

    /** {@link dev.netmem.api.PagePoolStats#cached()}: puts recycled into the fast cache. */
    long getCached();

    /** {@link dev.netmem.api.PagePoolStats#cacheFull()}: direct puts that found the cache full. */
    long getCacheFull();

    /** {@link dev.netmem.api.PagePoolStats#ring()}: puts recycled into the ring. */
    long getRing();

    /** {@link dev.netmem.api.PagePoolStats#ringFull()}: puts that found the ring full and were released. */
    long getRingFull();

    /** {@link dev.netmem.api.PagePoolStats#releasedRefcnt()}: puts of still-referenced pages, released. */
    long getReleasedRefcnt();
}
