package dev.netmem.rxqueue.nic;

import dev.netmem.api.Napi;
import dev.netmem.api.NetdevRxQueue;
import dev.netmem.api.PagePool;
import dev.netmem.api.spi.MemoryProvider;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * Models {@code struct netdev_rx_queue} with the driver's ring behind it: a queue index, the
 * memory-provider binding ({@code mp_params}), its NAPI instance (which lives as long as the queue
 * unless a netdevsim queue reset replaces it: {@link NetDevice#queueReset}; its id persists either
 * way), the current {@link QueueMem} (pools, descriptor ring, poll thread) and the per-queue statistics
 * (the netdev {@code qstats}: {@code rx-packets}, {@code rx-bytes}, {@code rx-alloc-fail},
 * {@code rx-hw-drops}).
 *
 * <p>Threads: the binding and the memory change only under the device's control lock; the
 * counters are written by one thread each (the NAPI, or the NIC under the NIC lock) and may be
 * read from any thread.
 */
public final class RxQueue implements NetdevRxQueue {
    private static final VarHandle LONGS = MethodHandles.arrayElementVarHandle(long[].class);
    private static final int PACKETS = 0;
    private static final int BYTES = 8;
    private static final int ALLOC_FAIL = 16;
    private static final int DROPS = 24;
    private static final int MISSED = 32;
    private static final int NOBUFS = 40;
    private static final int REARMS = 48;
    private static final int CONN_ENDS = 56;

    private final NetDevice device;
    private final int index;
    /** The queue's NAPI: replaced only by {@code ndo_queue_start} (device lock); read from any thread. */
    private volatile Napi napi;
    private final Object nicLock = new Object();
    /** Counters, one per 64-byte line so the NAPI and NIC writers do not share a line. */
    private final long[] counters = new long[64];

    /** {@code mp_params}: written under the device lock, read by pool creation. */
    private volatile MemoryProvider mp;
    /** {@code mp_params.rx_page_size}, 0 for the driver's default. Device lock. */
    private int mpRxPageSize;
    /** Current memory, or null while the device is down. Device lock. */
    private QueueMem mem;
    /** The memory the NIC writes into: set by start, cleared by stop, under the NIC lock. */
    private QueueMem active;
    /** An AF_XDP buffer pool is attached ({@code rxq->pool}). Device lock. */
    private boolean xskPool;
    /** The running io_uring queue memory, for wakeups without the NIC lock. */
    private volatile UringQueueMem uring;

    RxQueue(NetDevice device, int index) {
        this.device = device;
        this.index = index;
        this.napi = new Napi(device.name() + "-rx-" + index);
    }

    @Override
    public int queueIndex() {
        return index;
    }

    @Override
    public int ifindex() {
        return device.ifindex();
    }

    @Override
    public MemoryProvider memoryProvider() {
        return mp;
    }

    /** The device. */
    public NetDevice device() {
        return device;
    }

    /**
     * The queue's NAPI (its id is the {@code napi-id} of the queue and its pools): the running memory's
     * ({@link QueueMem#napi()}). A netdevsim queue reset in mode 0, 2 or 3 replaces the instance with
     * one that keeps the id ({@link NetDevice#queueReset}).
     */
    public Napi napi() {
        return napi;
    }

    /** The current main page pool, or {@code null} while the device is down. */
    public PagePool pagePool() {
        QueueMem m = memory();
        return m == null ? null : m.pagePool();
    }

    /** The current header pool, or {@code null} (down, or no header split). */
    public PagePool headerPool() {
        QueueMem m = memory();
        return m == null ? null : m.headerPool();
    }

    /** The current queue memory, or {@code null} while the device is down. */
    public QueueMem memory() {
        synchronized (device.controlLock()) {
            return mem;
        }
    }

    /** Packets the poll turned into skbs ({@code rx-packets}). */
    public long rxPackets() {
        return read(PACKETS);
    }

    /** Payload bytes of those packets ({@code rx-bytes}). */
    public long rxBytes() {
        return read(BYTES);
    }

    /** Descriptor refills that could not allocate a buffer ({@code rx-alloc-fail}). */
    public long rxAllocFail() {
        return read(ALLOC_FAIL);
    }

    /** Packets dropped after the poll because the socket's receive buffer was full. */
    public long rxDropped() {
        return read(DROPS);
    }

    /** Packets the NIC dropped because no descriptor was posted ({@code rx-hw-drops}). */
    public long rxMissed() {
        return read(MISSED);
    }

    /** io_uring driver: receives that ended with {@code -ENOBUFS} (the buffer ring ran dry). */
    public long rxNoBufs() {
        return read(NOBUFS);
    }

    /** io_uring driver: multishot receives armed again after one ended (ENOBUFS, a closed window, a bundle). */
    public long rxRearms() {
        return read(REARMS);
    }

    /** io_uring driver: connections whose end (EOF or reset) was handed to the stack. */
    public long rxConnEnds() {
        return read(CONN_ENDS);
    }

    private long read(int i) {
        return (long) LONGS.getAcquire(counters, i);
    }

    /** Single writer per counter: plain read, release store (readers use getAcquire). */
    private void add(int i, long d) {
        LONGS.setRelease(counters, i, (long) LONGS.get(counters, i) + d);
    }

    void countPacket(int bytes) {
        add(PACKETS, 1);
        add(BYTES, bytes);
    }

    void countPackets(int packets, long bytes) {
        add(PACKETS, packets);
        add(BYTES, bytes);
    }

    void countAllocFail() {
        add(ALLOC_FAIL, 1);
    }

    void countDrop() {
        add(DROPS, 1);
    }

    void countNoBufs() {
        add(NOBUFS, 1);
    }

    void countRearm() {
        add(REARMS, 1);
    }

    void countConnEnd() {
        add(CONN_ENDS, 1);
    }

    // ---- control path (device lock) ----

    /** Sets {@code mp_params} to {@code provider} with the default buffer size; {@code null} clears all of it. */
    void setMemoryProvider(MemoryProvider provider) {
        setMemoryProvider(provider, 0);
    }

    void setMemoryProvider(MemoryProvider provider, int rxPageSize) {
        mpRxPageSize = rxPageSize;
        mp = provider;
    }

    /**
     * {@code mp_params.rx_page_size}: the receive buffer size the bound provider asked for, or 0 (no
     * provider, or the driver's default). Survives restarts; cleared when the provider is closed.
     */
    public int mpRxPageSize() {
        synchronized (device.controlLock()) {
            return mpRxPageSize;
        }
    }

    /** {@link #mpRxPageSize} for the control lock holder. */
    int mpRxPageSizeLocked() {
        return mpRxPageSize;
    }

    QueueMem mem() {
        return mem;
    }

    boolean xskPool() {
        return xskPool;
    }

    void setXskPool(boolean present) {
        xskPool = present;
    }

    /** {@code ndo_queue_start}: the started memory's NAPI becomes the queue's. Device lock. */
    void setNapi(Napi n) {
        napi = n;
    }

    void setMem(QueueMem m) {
        mem = m;
    }

    void activate(QueueMem m) {
        synchronized (nicLock) {
            active = m;
            uring = m instanceof UringQueueMem u ? u : null;
        }
    }

    /** io_uring driver: wakes the running queue memory's NAPI (a new connection to arm). Any thread. */
    void kick() {
        UringQueueMem u = uring;
        if (u != null) {
            u.wakeup(null);
        }
    }

    /** io_uring driver: wakes the running queue memory if a connection waits for freed memory. Any thread. */
    void rxWake() {
        UringQueueMem u = uring;
        if (u != null) {
            u.wakeIfWaiting();
        }
    }

    // ---- NIC side ----

    /** The NIC hands a packet to this queue. Any wire thread; serialized by the NIC lock. */
    boolean nicReceive(int srcPort, int dstPort, MemorySegment payload) {
        synchronized (nicLock) {
            if (!(active instanceof EmulatedQueueMem m)) {
                return false;
            }
            if (payload.byteSize() > m.maxPayload()) {
                throw new IllegalArgumentException("payload of " + payload.byteSize() + " bytes exceeds the "
                        + m.maxPayload() + "-byte receive buffer");
            }
            if (!m.nicWrite(srcPort, dstPort, payload)) {
                add(MISSED, 1);
                return false;
            }
            return true;
        }
    }

    @Override
    public String toString() {
        return "RxQueue[" + device.name() + " #" + index + "]";
    }
}
