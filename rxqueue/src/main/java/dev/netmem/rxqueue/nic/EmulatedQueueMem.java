package dev.netmem.rxqueue.nic;

import dev.netmem.api.Errno;
import dev.netmem.api.ErrnoException;
import dev.netmem.api.NetIov;
import dev.netmem.api.PagePool;
import dev.netmem.rxqueue.net.Headers;
import dev.netmem.rxqueue.net.NetifRx;
import dev.netmem.rxqueue.net.SkBuff;
import dev.netmem.rxqueue.net.SkbCache;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.time.Duration;
import java.util.concurrent.locks.LockSupport;

/**
 * The emulated NIC's queue memory: a descriptor ring the NIC DMA-writes packets into, polled by the
 * queue's NAPI thread (see {@link QueueMem} for what every driver's queue memory has).
 *
 * <h2>The descriptor ring</h2>
 * <pre>
 *      consumed (NAPI)          completed (NIC)             posted (NAPI)
 *   ------|----------------------|---------------------------|------
 *         | written by the NIC,  | posted buffers the NIC    |
 *         | waiting for the poll | may DMA-write into        |
 * </pre>
 * Each slot holds a header buffer (a frag of the host header pool, with header split) and a data
 * buffer (a page of the main pool, provider memory when a provider is bound). The NIC writes a
 * packet into the slot at {@code completed}; the poll turns each completed slot into an
 * {@link SkBuff} that takes the slot's buffers (delivery never allocates), then re-arms consumed
 * slots in ring order with fresh buffers and re-posts them. When a buffer cannot be allocated,
 * {@link RxQueue#rxAllocFail()} counts it and the slot stays unposted until a later poll succeeds:
 * the NIC then finds fewer posted descriptors and reports {@link RxQueue#rxMissed()}, so a reliable
 * sender retries (TCP retransmits). A packet the NIC accepted is never lost to an allocation
 * failure, and traffic resumes as soon as buffers come home.
 *
 * <p>Threads: the NIC side ({@link #nicWrite}) runs under the queue's NIC lock; the poll runs on
 * the NAPI thread; everything else under the device's control lock.
 */
public final class EmulatedQueueMem extends QueueMem {
    private static final VarHandle POSTED;
    private static final VarHandle COMPLETED;

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            POSTED = l.findVarHandle(EmulatedQueueMem.class, "posted", long.class);
            COMPLETED = l.findVarHandle(EmulatedQueueMem.class, "completed", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final boolean split;
    private final int hdsThresh;
    private final int size;
    private final int mask;
    private final NetIov[] hdr;
    private final int[] hdrOff;
    private final NetIov[] buf;
    /** Bytes the NIC wrote into the slot's header buffer / data buffer. */
    private final int[] hdrWritten;
    private final int[] bufWritten;

    /** NAPI-private: slots the poll has delivered. */
    private long consumed;
    /** NAPI-private: delivered slots re-armed with fresh buffers; {@code posted == armed + size}. */
    private long armed;
    /** Written by the NAPI (setRelease), read by the NIC (getAcquire). */
    @SuppressWarnings("unused")
    private volatile long posted;
    /** Written by the NIC (setVolatile), read by the NAPI (getAcquire; getVolatile before parking). */
    @SuppressWarnings("unused")
    private volatile long completed;

    private boolean filled;
    private volatile boolean idle;
    /** Post on demand: whether the ring may be armed (false until the first packet finds nothing posted). */
    private final boolean onDemand;
    private volatile boolean demand;
    /** A page the control path asked the NAPI to allocate ({@link #allocOnNapi}); the NAPI completes it. */
    private volatile java.util.concurrent.CompletableFuture<NetIov> allocRequest;

    EmulatedQueueMem(RxQueue queue, PagePool pool, PagePool headerPool, int hdsThresh, int ringSize,
                     int skbPrealloc, boolean onDemand) {
        super(queue, pool, headerPool, skbPrealloc);
        this.onDemand = onDemand;
        this.demand = !onDemand;
        this.split = headerPool != null;
        this.hdsThresh = hdsThresh;
        this.size = ringSize;
        this.mask = ringSize - 1;
        this.hdr = new NetIov[ringSize];
        this.hdrOff = new int[ringSize];
        this.buf = new NetIov[ringSize];
        this.hdrWritten = new int[ringSize];
        this.bufWritten = new int[ringSize];
    }

    // =====================================================================================
    // Control path (device lock)
    // =====================================================================================

    /**
     * Fills every slot with buffers, in allocation context borrowed from the stopped NAPI. Posting on
     * demand, posts nothing: the NAPI arms every slot once the first packet finds none posted.
     */
    @Override
    void fill() {
        if (filled) {
            return;
        }
        if (onDemand) {
            consumed = 0;
            armed = -size; // refill arms slots -size .. -1, i.e. 0 .. size-1, and posts them
            COMPLETED.setRelease(this, 0L);
            POSTED.setRelease(this, 0L);
            filled = true;
            return;
        }
        napi.schedule();
        try {
            for (int i = 0; i < size; i++) {
                if (split) {
                    NetIov h = headerPool.allocFrag(HEADER_BUF_SIZE);
                    if (h == null) {
                        unfill(i);
                        throw outOfMemory(headerPool);
                    }
                    hdr[i] = h;
                    hdrOff[i] = headerPool.lastFragOffset();
                }
                NetIov b = pool.alloc();
                if (b == null) {
                    unfill(i + 1);
                    throw outOfMemory(pool);
                }
                buf[i] = b;
            }
        } finally {
            napi.complete();
        }
        consumed = 0;
        armed = 0;
        COMPLETED.setRelease(this, 0L);
        POSTED.setRelease(this, (long) size); // NIC's getAcquire of posted is the partner
        filled = true;
    }

    private ErrnoException outOfMemory(PagePool p) {
        return outOfMemory(p, size);
    }

    private void unfill(int slots) {
        for (int i = 0; i < slots; i++) {
            if (hdr[i] != null) {
                headerPool.recycleDirect(hdr[i]);
                hdr[i] = null;
            }
            if (buf[i] != null) {
                pool.recycleDirect(buf[i]);
                buf[i] = null;
            }
        }
    }

    /** Returns the ring's buffers to their pools. The NAPI is stopped. */
    @Override
    void releaseRing() {
        if (filled) {
            for (int i = 0; i < size; i++) {
                if (hdr[i] != null) {
                    headerPool.putNetmem(hdr[i], -1, false);
                    hdr[i] = null;
                }
                if (buf[i] != null) {
                    pool.putNetmem(buf[i], -1, false);
                    buf[i] = null;
                }
            }
            filled = false;
        }
    }

    // =====================================================================================
    // NIC side (the queue's NIC lock)
    // =====================================================================================

    /**
     * The NIC DMA-writes one packet into the next posted slot: headers into the header buffer and
     * the payload into the data buffer (header split, payload above the threshold), or everything
     * into one buffer. Caller: holds the queue's NIC lock.
     *
     * @return false if no slot is posted (the NIC drops the packet: rx missed)
     */
    boolean nicWrite(int srcPort, int dstPort, MemorySegment payload) {
        long c = completed;
        if (c >= (long) POSTED.getAcquire(this)) {
            if (!demand) {
                demand = true; // post on demand: the first packet makes the NAPI post the ring
                LockSupport.unpark(napiThread());
            }
            return false;
        }
        int slot = (int) c & mask;
        int plen = (int) payload.byteSize();
        if (split) {
            MemorySegment h = hdr[slot].segment();
            int ho = hdrOff[slot];
            Headers.write(h, ho, srcPort, dstPort, plen);
            if (plen <= hdsThresh) {
                MemorySegment.copy(payload, 0, h, ho + Headers.HEADER_LEN, plen);
                hdrWritten[slot] = Headers.HEADER_LEN + plen;
                bufWritten[slot] = 0;
            } else {
                MemorySegment.copy(payload, 0, buf[slot].segment(), 0, plen);
                hdrWritten[slot] = Headers.HEADER_LEN;
                bufWritten[slot] = plen;
            }
        } else {
            MemorySegment b = buf[slot].segment();
            Headers.write(b, 0, srcPort, dstPort, plen);
            MemorySegment.copy(payload, 0, b, Headers.HEADER_LEN, plen);
            hdrWritten[slot] = 0;
            bufWritten[slot] = Headers.HEADER_LEN + plen;
        }
        // Volatile, not just release: with the NAPI's volatile write of idle before its read of completed,
        // this store-then-load is a Dekker pair, so either we see idle or the NAPI sees the packet.
        COMPLETED.setVolatile(this, c + 1);
        if (idle) {
            LockSupport.unpark(napiThread());
        }
        return true;
    }

    /** The largest payload {@link #nicWrite} accepts. */
    int maxPayload() {
        int buf = pagePool().params().bufferSize(); // the queue config's rx_page_size
        return split ? buf : buf - Headers.HEADER_LEN;
    }

    // =====================================================================================
    // NAPI side
    // =====================================================================================

    /**
     * Has the NAPI thread allocate one page from the main pool (its allocation context) and returns it,
     * or {@code null} if the pool has none. Control path, NAPI running.
     */
    NetIov allocOnNapi() {
        var req = new java.util.concurrent.CompletableFuture<NetIov>();
        allocRequest = req;
        LockSupport.unpark(napiThread());
        try {
            return req.get(5, java.util.concurrent.TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            throw new IllegalStateException("rx queue " + queue.queueIndex() + ": the NAPI did not allocate", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted waiting for rx queue " + queue.queueIndex(), e);
        }
    }

    /** Parks until the NIC writes a packet (it unparks an idle NAPI) or 1 ms passes. */
    @Override
    void waitForWork() {
        idle = true; // Dekker partner of nicWrite: publish idle, then re-check completed
        if (consumed == (long) COMPLETED.getVolatile(this) && isRunning()) {
            LockSupport.parkNanos(1_000_000L);
        }
        idle = false;
    }

    @Override
    void wakeup(Thread napiThread) {
        LockSupport.unpark(napiThread);
    }

    /**
     * {@code napi->poll}: turns up to {@code budget} completed slots into skbs, then re-arms and
     * re-posts the slots it can. Caller: the NAPI thread, scheduled. Allocates nothing per packet
     * (skbs come from the cache).
     *
     * @return packets processed
     */
    @Override
    int poll(int budget) {
        assert napi.isOwnerThread() : "poll outside NAPI context";
        var req = allocRequest;
        if (req != null) {
            allocRequest = null;
            req.complete(pool.alloc());
        }
        long c = (long) COMPLETED.getAcquire(this);
        long i = consumed;
        int work = 0;
        while (i < c && work < budget) {
            deliverSlot((int) i & mask);
            i++;
            work++;
        }
        consumed = i;
        refill();
        return work;
    }

    /**
     * Runs on the NAPI thread after its last poll: delivers every packet the NIC wrote that no poll
     * reached. A stop deactivates the NIC side of this memory before it stops the NAPI, so nothing
     * is written after this, and a packet the NIC accepted is delivered exactly once even across a
     * restart (the kernel's driver frees such descriptors and TCP retransmits; the emulated wire does
     * not retransmit what it was told was accepted).
     */
    @Override
    void napiStop() {
        napi.schedule();
        try {
            long c = (long) COMPLETED.getAcquire(this); // partner: nicWrite's setVolatile
            while (consumed < c) {
                int slot = (int) consumed & mask;
                consumed++;
                deliverSlot(slot);
            }
        } finally {
            napi.complete();
        }
    }

    /** Re-arms delivered slots in ring order; stops at the first allocation failure. */
    private void refill() {
        if (!demand) {
            return;
        }
        long r = armed;
        while (r < consumed && armSlot((int) r & mask)) {
            r++;
        }
        if (r != armed) {
            armed = r;
            POSTED.setRelease(this, r + size); // the NIC's getAcquire of posted is the partner
        }
    }

    /** Puts fresh buffers into whatever the slot lacks; false (counted) if one cannot be had. */
    private boolean armSlot(int slot) {
        if (queue.device().allocFailPolicy().shouldFail()) {
            queue.countAllocFail();
            return false;
        }
        if (split && hdr[slot] == null) {
            NetIov h = headerPool.allocFrag(HEADER_BUF_SIZE);
            if (h == null) {
                queue.countAllocFail();
                return false;
            }
            hdr[slot] = h;
            hdrOff[slot] = headerPool.lastFragOffset();
        }
        if (buf[slot] == null) {
            NetIov b = pool.alloc();
            if (b == null) {
                queue.countAllocFail();
                return false;
            }
            buf[slot] = b;
        }
        return true;
    }

    /** Hands the slot's written buffers to an skb; the slot keeps only what the packet did not use. */
    private void deliverSlot(int slot) {
        int hw = hdrWritten[slot];
        int bw = bufWritten[slot];
        SkBuff skb = skbs.get();
        // the NIC wrote by DMA: sync what it wrote for the CPU before the stack reads it (the provider
        // may have turned that off: devmem memory is never read by the CPU)
        if (hw > 0) {
            headerPool.dmaSyncNetmemForCpu(hdr[slot], hdrOff[slot], hw);
            if (bw > 0) {
                pool.dmaSyncNetmemForCpu(buf[slot], 0, bw);
            }
            skb.init(hdr[slot], hdrOff[slot], hw, true);
            hdr[slot] = null;
            if (bw > 0) {
                skb.addRxFrag(buf[slot], 0, bw);
                buf[slot] = null;
            }
        } else {
            pool.dmaSyncNetmemForCpu(buf[slot], 0, bw);
            skb.init(buf[slot], 0, bw, true);
            buf[slot] = null;
        }
        queue.countPacket(skb.len() - Headers.HEADER_LEN);
        deliver(skb);
    }
}
