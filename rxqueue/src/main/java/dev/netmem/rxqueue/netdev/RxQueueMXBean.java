package dev.netmem.rxqueue.netdev;

import dev.netmem.rxqueue.nic.RxQueue;

/** JMX view of one RX queue: {@link Netdev#queueGet} plus the queue statistics. */
public interface RxQueueMXBean {
    /** Device ifindex. */
    int getIfindex();

    /** Queue index. */
    int getQueueId();

    /** NAPI id, -1 while the device is down. */
    int getNapiId();

    /** Bound dma-buf binding id, -1 if none. */
    long getDmabuf();

    /** Whether an io_uring (user ring) provider is bound. */
    boolean isIoUring();

    /** {@link RxQueue#rxPackets()}. */
    long getRxPackets();

    /** {@link RxQueue#rxBytes()}. */
    long getRxBytes();

    /** {@link RxQueue#rxAllocFail()}. */
    long getRxAllocFail();

    /** {@link RxQueue#rxDropped()}. */
    long getRxDropped();

    /** {@link RxQueue#rxMissed()}. */
    long getRxMissed();

    /** {@link RxQueue#rxNoBufs()} (io_uring driver). */
    long getRxNoBufs();

    /** {@link RxQueue#rxRearms()} (io_uring driver). */
    long getRxRearms();

    /** {@link RxQueue#rxConnEnds()} (io_uring driver). */
    long getRxConnEnds();
}
