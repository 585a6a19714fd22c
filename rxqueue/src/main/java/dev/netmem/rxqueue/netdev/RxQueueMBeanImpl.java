package dev.netmem.rxqueue.netdev;

import dev.netmem.rxqueue.nic.RxQueue;

/** {@link RxQueueMXBean} over a live queue, reading the same records as the netdev family. */
final class RxQueueMBeanImpl implements RxQueueMXBean {
    private final RxQueue queue;

    RxQueueMBeanImpl(RxQueue queue) {
        this.queue = queue;
    }

    private QueueInfo info() {
        return Netdev.queueGet(queue.ifindex(), queue.queueIndex());
    }

    @Override
    public int getIfindex() {
        return queue.ifindex();
    }

    @Override
    public int getQueueId() {
        return queue.queueIndex();
    }

    @Override
    public int getNapiId() {
        return info().napiId().orElse(-1);
    }

    @Override
    public long getDmabuf() {
        return info().dmabuf().orElse(-1L);
    }

    @Override
    public boolean isIoUring() {
        return info().ioUring();
    }

    @Override
    public long getRxPackets() {
        return queue.rxPackets();
    }

    @Override
    public long getRxBytes() {
        return queue.rxBytes();
    }

    @Override
    public long getRxAllocFail() {
        return queue.rxAllocFail();
    }

    @Override
    public long getRxDropped() {
        return queue.rxDropped();
    }

    @Override
    public long getRxMissed() {
        return queue.rxMissed();
    }

    @Override
    public long getRxNoBufs() {
        return queue.rxNoBufs();
    }

    @Override
    public long getRxRearms() {
        return queue.rxRearms();
    }

    @Override
    public long getRxConnEnds() {
        return queue.rxConnEnds();
    }
}
