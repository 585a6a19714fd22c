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
 * One generation of an RX queue's memory (the kernel's per-queue memory blob of
 * {@code ndo_queue_mem_size}): its page pools, its descriptor ring, its preallocated skbs and the
 * NAPI poll thread that drives them. A queue restart builds a new one and frees the old.
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
public final class QueueMem {
    /** The NAPI budget: packets per poll before yielding. */
    public static final int NAPI_POLL_WEIGHT = 64;
    /** Header buffers: frags of this size from the header pool. */
    public static final int HEADER_BUF_SIZE = 1024;

    private static final VarHandle POSTED;
    private static final VarHandle COMPLETED;
    private static final System.Logger LOG = System.getLogger("dev.netmem.rxqueue");

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            POSTED = l.findVarHandle(QueueMem.class, "posted", long.class);
            COMPLETED = l.findVarHandle(QueueMem.class, "completed", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final RxQueue queue;
    private final PagePool pool;
    private final PagePool headerPool;
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
    private final SkbCache skbs;

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
    private Thread thread;
    private volatile boolean running;
    private volatile boolean idle;

    QueueMem(RxQueue queue, PagePool pool, PagePool headerPool, int hdsThresh, int ringSize, int skbPrealloc) {
        this.queue = queue;
        this.pool = pool;
        this.headerPool = headerPool;
        this.split = headerPool != null;
        this.hdsThresh = hdsThresh;
        this.size = ringSize;
        this.mask = ringSize - 1;
        this.hdr = new NetIov[ringSize];
        this.hdrOff = new int[ringSize];
        this.buf = new NetIov[ringSize];
        this.hdrWritten = new int[ringSize];
        this.bufWritten = new int[ringSize];
        this.skbs = new SkbCache(skbPrealloc);
    }

    /** The queue this memory serves. */
    public RxQueue queue() {
        return queue;
    }

    /** The main page pool: payload buffers (the bound provider's memory, else host pages). */
    public PagePool pagePool() {
        return pool;
    }

    /** The header pool (host pages), or {@code null} without header split. */
    public PagePool headerPool() {
        return headerPool;
    }

    /** Whether the NAPI thread is running. */
    public boolean isRunning() {
        return running;
    }

    // =====================================================================================
    // Control path (device lock)
    // =====================================================================================

    /** Fills every slot with buffers, in allocation context borrowed from the stopped NAPI. */
    void fill() {
        if (filled) {
            return;
        }
        queue.napi().schedule();
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
            queue.napi().complete();
        }
        consumed = 0;
        armed = 0;
        COMPLETED.setRelease(this, 0L);
        POSTED.setRelease(this, (long) size); // NIC's getAcquire of posted is the partner
        filled = true;
    }

    private ErrnoException outOfMemory(PagePool p) {
        return Errno.ENOMEM.exception("rx queue " + queue.queueIndex() + ": cannot fill the "
                + size + "-slot ring: page pool " + p.id() + " is out of memory");
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

    /** Starts the NAPI thread and links the pools to the NAPI for direct recycling. */
    void startNapi() {
        pool.enableDirectRecycling(queue.napi());
        if (headerPool != null) {
            headerPool.enableDirectRecycling(queue.napi());
        }
        running = true;
        thread = Thread.ofPlatform().daemon().name(queue.device().name() + "-rx-" + queue.queueIndex())
                .unstarted(this::napiLoop);
        thread.start();
    }

    /**
     * Stops the NAPI thread and unlinks the pools from the NAPI (the kernel unlinks during the swap
     * so an old pool never recycles into a cache the new NAPI owns; "page_pool: unlink from napi
     * during destroy").
     */
    void stopNapi(Duration timeout) {
        running = false;
        Thread t = thread;
        if (t != null) {
            LockSupport.unpark(t);
            try {
                if (!t.join(timeout)) {
                    throw new IllegalStateException("rx queue " + queue.queueIndex() + ": NAPI thread did not stop in "
                            + timeout);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while stopping rx queue " + queue.queueIndex(), e);
            }
            thread = null;
        }
        pool.disableDirectRecycling();
        if (headerPool != null) {
            headerPool.disableDirectRecycling();
        }
    }

    /** Returns the ring's buffers to their pools and destroys the pools. The NAPI must be stopped. */
    void free() {
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
        // Memory that never started (a restart's new memory, freed because the restart failed) still has
        // its pools linked to the queue's NAPI, which may be polling the old memory right now: unlink
        // first, or destroy would see that NAPI running. Started memory was unlinked by stopNapi.
        pool.disableDirectRecycling();
        if (headerPool != null) {
            headerPool.disableDirectRecycling();
        }
        pool.destroy();
        if (headerPool != null) {
            headerPool.destroy();
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
            LockSupport.unpark(thread);
        }
        return true;
    }

    /** The largest payload {@link #nicWrite} accepts. */
    int maxPayload() {
        return split ? NetIov.PAGE_SIZE : NetIov.PAGE_SIZE - Headers.HEADER_LEN;
    }

    // =====================================================================================
    // NAPI side
    // =====================================================================================

    private void napiLoop() {
        var napi = queue.napi();
        while (running) {
            napi.schedule();
            int work;
            try {
                work = poll(NAPI_POLL_WEIGHT);
            } catch (RuntimeException | Error e) {
                LOG.log(System.Logger.Level.ERROR, "rx queue " + queue.queueIndex() + ": poll failed", e);
                napi.complete();
                running = false;
                return;
            }
            napi.complete();
            if (work < NAPI_POLL_WEIGHT) {
                idle = true; // Dekker partner of nicWrite: publish idle, then re-check completed
                if (consumed == (long) COMPLETED.getVolatile(this) && running) {
                    LockSupport.parkNanos(1_000_000L);
                }
                idle = false;
            }
        }
    }

    /**
     * {@code napi->poll}: turns up to {@code budget} completed slots into skbs, then re-arms and
     * re-posts the slots it can. Caller: the NAPI thread, scheduled. Allocates nothing per packet
     * (skbs come from the cache).
     *
     * @return packets processed
     */
    int poll(int budget) {
        assert queue.napi().isOwnerThread() : "poll outside NAPI context";
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

    /** Re-arms delivered slots in ring order; stops at the first allocation failure. */
    private void refill() {
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
        if (hw > 0) {
            skb.init(hdr[slot], hdrOff[slot], hw, true);
            hdr[slot] = null;
            if (bw > 0) {
                skb.addRxFrag(buf[slot], 0, bw);
                buf[slot] = null;
            }
        } else {
            skb.init(buf[slot], 0, bw, true);
            buf[slot] = null;
        }
        queue.countPacket(skb.len() - Headers.HEADER_LEN);
        deliver(skb);
    }

    /**
     * {@code netif_receive_skb}: hands the skb up through the seam; a drop is counted in the queue's
     * stats. With no stack installed the skb is freed here (NAPI context: its buffers recycle into
     * the fast caches).
     */
    private void deliver(SkBuff skb) {
        NetifRx up = queue.device().rxHandler();
        if (up == null) {
            skb.free();
        } else if (up.receiveSkb(skb) == NetifRx.NET_RX_DROP) {
            queue.countDrop();
        }
    }

    /** skbs the cache had to create (0 once warmed up). */
    public long skbsGrown() {
        return skbs.grown();
    }
}
