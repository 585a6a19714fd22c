package dev.netmem.rxqueue.netdev;

/**
 * JMX view of one page pool: the figures of {@link Netdev#pagePoolGet} and
 * {@link Netdev#pagePoolStats}. Absent values read as -1; counters read 0 when the pool keeps no
 * statistics.
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

    /** The eleven counters, in {@link dev.netmem.api.PagePoolStats#ETHTOOL_STRINGS} order. */
    long[] getStats();

    /** The counter names, {@link dev.netmem.api.PagePoolStats#ETHTOOL_STRINGS}. */
    String[] getStatNames();
}
