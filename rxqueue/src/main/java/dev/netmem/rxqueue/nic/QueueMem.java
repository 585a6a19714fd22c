package dev.netmem.rxqueue.nic;

import dev.netmem.api.Errno;
import dev.netmem.api.ErrnoException;
import dev.netmem.api.Napi;
import dev.netmem.api.PagePool;
import dev.netmem.rxqueue.net.NetifRx;
import dev.netmem.rxqueue.net.SkBuff;
import dev.netmem.rxqueue.net.SkbCache;
import java.time.Duration;

/**
 * One generation of an RX queue's memory (the kernel's per-queue memory blob of
 * {@code ndo_queue_mem_size}): its page pools, the driver's ring that posts their buffers, its
 * preallocated skbs and the NAPI poll thread that drives them. A queue restart builds a new one and
 * frees the old. Each driver has its own kind: {@link EmulatedQueueMem} (a descriptor ring an
 * emulated NIC writes into) or the io_uring driver's (a provided-buffer ring the kernel writes into).
 *
 * <p>The NAPI loop is shared: poll up to {@link #NAPI_POLL_WEIGHT} completions, hand each finished
 * skb up through the {@link NetifRx} seam ({@link #deliver}), and when a poll finds less than a full
 * budget, wait for work the driver's way.
 *
 * <p>Threads: {@link #poll} and {@link #waitForWork} run on the NAPI thread; everything else under
 * the device's control lock.
 */
public abstract sealed class QueueMem permits EmulatedQueueMem, UringQueueMem {
    /** The NAPI budget: packets per poll before yielding. */
    public static final int NAPI_POLL_WEIGHT = 64;
    /** Header buffers: frags of this size from the header pool. */
    public static final int HEADER_BUF_SIZE = 1024;

    private static final System.Logger LOG = System.getLogger("dev.netmem.rxqueue");

    final RxQueue queue;
    /**
     * The NAPI this memory polls as and its pools recycle into: the one its pools were created with
     * ({@code ndo_queue_mem_alloc}'s choice), which {@code ndo_queue_start} makes the queue's.
     */
    final Napi napi;
    final PagePool pool;
    final PagePool headerPool;
    final SkbCache skbs;

    private Thread thread;
    private volatile boolean running;
    /** Set by the NAPI thread if {@link #napiStart} failed; read after {@link #started}. */
    private Throwable startFailure;
    private java.util.concurrent.CountDownLatch started;

    QueueMem(RxQueue queue, PagePool pool, PagePool headerPool, int skbPrealloc) {
        this.queue = queue;
        this.napi = pool.params().napi() != null ? pool.params().napi() : queue.napi();
        this.pool = pool;
        this.headerPool = headerPool;
        this.skbs = new SkbCache(skbPrealloc);
    }

    /** The queue this memory serves. */
    public RxQueue queue() {
        return queue;
    }

    /** The NAPI this memory polls as (and its pools were created with). */
    public Napi napi() {
        return napi;
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

    /** skbs the cache had to create (0 once warmed up). */
    public long skbsGrown() {
        return skbs.grown();
    }

    // =====================================================================================
    // What each driver provides
    // =====================================================================================

    /** Posts buffers on the driver's ring before the NAPI starts. Control path; idempotent. */
    abstract void fill();

    /** {@code napi->poll}: handles up to {@code budget} completions. NAPI thread, scheduled. */
    abstract int poll(int budget);

    /** Waits (bounded) for more work after a poll that did not use its budget. NAPI thread, not scheduled. */
    abstract void waitForWork();

    /** Makes a waiting NAPI thread return from {@link #waitForWork} soon. Any thread. */
    abstract void wakeup(Thread napiThread);

    /** Returns every buffer the ring still holds to its pool. Control path, NAPI stopped. */
    abstract void releaseRing();

    /**
     * Runs first on a newly started NAPI thread, before the first poll: a driver whose ring must be
     * owned by that thread sets it up here. A failure stops the thread and fails {@link #startNapi}.
     */
    void napiStart() {
    }

    /** Runs last on the NAPI thread, after the last poll: a driver tears down what the thread owns. */
    void napiStop() {
    }

    // =====================================================================================
    // Shared: NAPI thread, teardown, delivery
    // =====================================================================================

    /** Starts the NAPI thread and links the pools to the NAPI for direct recycling. */
    void startNapi() {
        pool.enableDirectRecycling(napi);
        if (headerPool != null) {
            headerPool.enableDirectRecycling(napi);
        }
        running = true;
        startFailure = null;
        started = new java.util.concurrent.CountDownLatch(1);
        thread = Thread.ofPlatform().daemon().name(queue.napi().name()) // "<device>-rx-<queue>"
                .unstarted(this::napiLoop);
        thread.start();
        boolean interrupted = false;
        while (true) {
            try {
                started.await();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        Throwable f = startFailure; // written before started.countDown(): the await is the acquire
        if (f != null) {
            stopNapi(Duration.ofSeconds(5));
            if (f instanceof RuntimeException re) {
                throw re;
            }
            throw (Error) f;
        }
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
            wakeup(t);
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
        releaseRing();
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

    /** The NAPI thread, or {@code null} when stopped. */
    final Thread napiThread() {
        return thread;
    }

    private void napiLoop() {
        try {
            napiStart();
        } catch (RuntimeException | Error e) {
            startFailure = e;
            running = false;
            started.countDown();
            return;
        }
        started.countDown();
        try {
            pollLoop(napi);
        } finally {
            try {
                napiStop();
            } catch (RuntimeException | Error e) {
                LOG.log(System.Logger.Level.ERROR, "rx queue " + queue.queueIndex() + ": NAPI teardown failed", e);
            }
        }
    }

    private void pollLoop(Napi napi) {
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
            if (work < NAPI_POLL_WEIGHT && running) {
                waitForWork();
            }
        }
    }

    /**
     * {@code netif_receive_skb}: hands the skb up through the seam; a drop is counted in the queue's
     * stats. With no stack installed the skb is freed here (NAPI context: its buffers recycle into
     * the fast caches).
     */
    final void deliver(SkBuff skb) {
        NetifRx up = queue.device().rxHandler();
        if (up == null) {
            skb.free();
        } else if (up.receiveSkb(skb) == NetifRx.NET_RX_DROP) {
            queue.countDrop();
        }
    }

    /** The error of a ring fill that ran out of buffers. */
    final ErrnoException outOfMemory(PagePool p, int slots) {
        return Errno.ENOMEM.exception("rx queue " + queue.queueIndex() + ": cannot fill the "
                + slots + "-slot ring: page pool " + p.id() + " is out of memory");
    }
}
