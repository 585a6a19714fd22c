package dev.netmem.rxqueue.nic;

import static dev.netmem.uring.IoUringDescriptor.IORING_CQE_F_BUFFER;
import static dev.netmem.uring.IoUringDescriptor.IORING_CQE_F_MORE;
import static dev.netmem.uring.IoUringDescriptor.IOU_PBUF_RING_INC;

import dev.netmem.api.Errno;
import dev.netmem.api.NetIov;
import dev.netmem.api.PagePool;
import dev.netmem.rxqueue.jfr.RxEvents;
import dev.netmem.rxqueue.net.Headers;
import dev.netmem.rxqueue.net.NetifRx;
import dev.netmem.rxqueue.net.SkBuff;
import dev.netmem.uring.BufConsumer;
import dev.netmem.uring.BufRing;
import dev.netmem.uring.CqeHandler;
import dev.netmem.uring.EventFd;
import dev.netmem.uring.IoUring;
import dev.netmem.uring.IoUringParams;
import java.util.Arrays;

/**
 * The io_uring driver's queue memory: one io_uring instance and one provided-buffer ring, owned by
 * the queue's NAPI thread (SINGLE_ISSUER, DEFER_TASKRUN: completions are produced only while that
 * thread waits in {@code io_uring_enter}).
 *
 * <h2>The buffer ring is the descriptor ring</h2>
 * Buffer ids are slots of {@code byBid}: posting a buffer allocates it from the page pool (NAPI
 * context), writes {@code (address, size, bid)} on the ring and publishes the tail with a release
 * store; a completion names the bid, which maps back to the {@link NetIov} without allocation. The
 * buffer's pool reference passes to the skb frag (marked for recycling), so the last put of the skb
 * recycles it through the pool as with any driver. With {@code IOU_PBUF_RING_INC} a buffer filled by
 * several receives gives each piece's skb a reference of its own ({@link PagePool#refNetmem}); the
 * ring's reference goes with the last piece.
 *
 * <h2>Teardown order</h2>
 * On the NAPI thread, at stop: cancel every armed receive, reap until each has ended (the data they
 * carried is delivered), unregister the buffer ring (the kernel drops every reference to our
 * buffers), only then return the buffers still posted to the pool, then close the ring. Open
 * connections go back to the queue's table for the next generation to re-arm.
 */
final class UringQueueMem extends QueueMem {
    private static final int BGID = 0;
    /** user_data of cancel requests; connection slots are small non-negative numbers. */
    private static final long CANCEL_UD = -1L;
    /** How long an idle NAPI waits in io_uring_enter before it looks for new connections or a stop. */
    private static final long WAIT_NANOS = 5_000_000L;
    /**
     * How long it waits while a connection waits to be re-armed (buffers to come home, a window to
     * open): nothing completes for such a connection, so only a short wait notices in time.
     */
    private static final long REARM_WAIT_NANOS = 1_000_000L;
    /** user_data of the wake eventfd's read. */
    private static final long WAKE_UD = -2L;
    private static final long STOP_DRAIN_NANOS = 5_000_000_000L;

    private final IoUringNic nic;
    private final IoUringNic.ConnTable table;
    private final int entries;
    private final int bufSize;
    private final NetIov[] byBid;
    private final int[] freeBids;
    private int nFreeBids;

    // NAPI-owned from napiStart to napiStop
    private IoUring ring;
    private BufRing br;
    private IoUringNic.Connection[] slots = new IoUringNic.Connection[8];
    private int liveSlots;
    /** Connections that need a receive armed and could not get one at the last poll; read by {@link #wakeIfWaiting}. */
    private volatile int waiting;
    /** Wakes the NAPI blocked in io_uring_enter: a stop, a new connection, memory the stack freed. */
    private EventFd wake;
    private final Object wakeLock = new Object();
    private boolean wakeArmed;
    private IoUringNic.Connection current;
    private boolean stopping;
    private final CqeHandler onCqe = this::handleCqe;
    private final BufConsumer onBuffer = this::handleBuffer;
    /** Pieces waiting for a header buffer, in arrival order (per connection order is kept). */
    private IoUringNic.Connection[] dConn = new IoUringNic.Connection[16];
    private NetIov[] dNiov = new NetIov[16];
    private int[] dOff = new int[16];
    private int[] dLen = new int[16];
    private int dHead;
    private int dTail;
    /**
     * The pieces of the completion being handled, delivered as one skb with a frag each once the
     * completion is done (a bundle fills several buffers: one skb of up to MAX_SKB_FRAGS frags, as GRO
     * would build from the segments that filled them).
     */
    private final NetIov[] pNiov = new NetIov[SkBuff.MAX_SKB_FRAGS];
    private final int[] pOff = new int[SkBuff.MAX_SKB_FRAGS];
    private final int[] pLen = new int[SkBuff.MAX_SKB_FRAGS];
    private int pN;
    private int pBytes;
    /** The most payload one skb carries: its IPv4 total length is 16 bits (GRO's 64 KiB limit). */
    private static final int MAX_SKB_PAYLOAD = 0xffff - 40;

    UringQueueMem(RxQueue queue, PagePool pool, PagePool headerPool, IoUringNic nic, int ringSize, int skbPrealloc) {
        super(queue, pool, headerPool, skbPrealloc);
        if (headerPool == null) {
            throw new IllegalArgumentException("the io_uring driver needs a header pool");
        }
        this.nic = nic;
        this.table = nic.table(queue.queueIndex());
        this.entries = ringSize;
        // the queue config's rx_page_size, not only the NIC's order; a 64 KiB buffer is posted one skb's
        // payload long: a piece longer than that would overflow the headers' 16-bit length
        this.bufSize = Math.min(pool.params().bufferSize(), MAX_SKB_PAYLOAD);
        this.byBid = new NetIov[ringSize];
        this.freeBids = new int[ringSize];
        for (int i = ringSize - 1; i >= 0; i--) {
            freeBids[nFreeBids++] = i;
        }
    }

    /** Buffers on the ring (posted, not yet completed). NAPI thread. */
    int posted() {
        return br == null ? 0 : br.posted();
    }

    @Override
    void fill() {
        // the NAPI thread posts the ring once it owns the io_uring instance (napiStart)
    }

    @Override
    void napiStart() {
        stopping = false;
        ring = IoUring.open(IoUringParams.of(64, Math.max(256, 2 * entries)));
        try {
            EventFd w = EventFd.create();
            synchronized (wakeLock) {
                wake = w;
            }
            armWake();
            br = BufRing.register(ring, BGID, entries, nic.incremental() ? IOU_PBUF_RING_INC : 0);
            napi.schedule();
            try {
                refill();
            } finally {
                napi.complete();
            }
            if (br.free() != 0) {
                throw outOfMemory(pool, entries);
            }
        } catch (RuntimeException e) {
            returnPosted();
            if (br != null) {
                br.close();
                br = null;
            }
            ring.close();
            ring = null;
            closeWake();
            throw e;
        }
        adoptIncoming();
        ring.submit();
    }

    @Override
    int poll(int budget) {
        assert napi.isOwnerThread() : "poll outside NAPI context";
        adoptIncoming();
        int n = ring.reap(onCqe);
        drainDeferred();
        refill();
        armWaiting();
        return n;
    }

    @Override
    void waitForWork() {
        ring.submitAndWait(1, waiting > 0 ? REARM_WAIT_NANOS : WAIT_NANOS);
    }

    @Override
    void wakeup(Thread napiThread) {
        synchronized (wakeLock) { // never a write to an fd number that close() gave back to the kernel
            EventFd w = wake;
            if (w != null) {
                w.signal();
            }
        }
    }

    /** The stack freed receive memory: wake the NAPI if a connection waits for it. Any thread. */
    void wakeIfWaiting() {
        if (waiting > 0) {
            wakeup(null);
        }
    }

    private void closeWake() {
        synchronized (wakeLock) {
            if (wake != null) {
                wake.close();
                wake = null;
            }
        }
    }

    private void armWake() {
        wake.prepRead(ring, nextSqe(), WAKE_UD);
        wakeArmed = true;
    }

    @Override
    void napiStop() {
        if (ring == null) {
            return;
        }
        stopping = true;
        napi.schedule();
        try {
            for (int s = 0; s < slots.length; s++) {
                IoUringNic.Connection c = slots[s];
                if (c != null && c.armed && !c.cancelSent) {
                    cancel(c);
                }
            }
            long deadline = System.nanoTime() + STOP_DRAIN_NANOS;
            if (wakeArmed) {
                wake.signal(); // completes the armed read, so nothing refers to the eventfd at close
            }
            while ((anyArmed() || wakeArmed) && System.nanoTime() - deadline < 0) {
                ring.submitAndWait(1, WAIT_NANOS);
                ring.reap(onCqe);
            }
            drainDeferredAtStop(deadline);
            br.unregister(); // the kernel lets go of every posted buffer before any goes home
            returnPosted();
        } finally {
            napi.complete();
            br.close();
            br = null;
            ring.close();
            ring = null;
            closeWake();
        }
        for (int s = 0; s < slots.length; s++) {
            IoUringNic.Connection c = slots[s];
            if (c != null) {
                slots[s] = null;
                c.slot = -1;
                c.armed = false;
                c.cancelSent = false;
                if (!c.isEnded()) {
                    c.needsArm = true;
                    table.incoming.add(c); // the next generation re-arms it
                }
            }
        }
        liveSlots = 0;
    }

    @Override
    void releaseRing() {
        // napiStop returned every posted buffer after unregistering the ring
    }

    // =====================================================================================
    // NAPI: connections
    // =====================================================================================

    private void adoptIncoming() {
        IoUringNic.Connection c;
        while ((c = table.incoming.poll()) != null) {
            if (c.isEnded()) {
                continue;
            }
            c.slot = freeSlot();
            slots[c.slot] = c;
            liveSlots++;
            c.needsArm = true;
            arm(c);
        }
    }

    private int freeSlot() {
        for (int s = 0; s < slots.length; s++) {
            if (slots[s] == null) {
                return s;
            }
        }
        int s = slots.length;
        slots = Arrays.copyOf(slots, s * 2);
        return s;
    }

    private boolean anyArmed() {
        for (IoUringNic.Connection c : slots) {
            if (c != null && c.armed) {
                return true;
            }
        }
        return false;
    }

    /** Arms a multishot receive for {@code c} if it needs one, its window is open and buffers are posted. */
    private void arm(IoUringNic.Connection c) {
        if (!c.needsArm || c.armed || stopping || br.posted() == 0 || !windowOpen(c)) {
            return;
        }
        int sqe = nextSqe();
        ring.prepRecvMultishot(sqe, c.fd, BGID, nic.bundles(), c.slot);
        c.armed = true;
        c.needsArm = false;
        c.cancelSent = false;
        if (c.everArmed) {
            queue.countRearm();
            RxEvents.rearm(queue, pool, c.localPort, c.remotePort, br.posted());
        }
        c.everArmed = true;
    }

    private void armWaiting() {
        int w = 0;
        if (liveSlots != 0) {
            for (IoUringNic.Connection c : slots) {
                if (c != null && c.needsArm) {
                    arm(c);
                    w += c.needsArm ? 1 : 0;
                }
            }
        }
        waiting = w;
    }

    private void cancel(IoUringNic.Connection c) {
        int sqe = nextSqe();
        ring.prepCancel(sqe, c.slot, false, CANCEL_UD);
        c.cancelSent = true;
    }

    private int nextSqe() {
        int sqe = ring.getSqe();
        if (sqe < 0) {
            ring.submit();
            sqe = ring.getSqe();
        }
        return sqe;
    }

    /**
     * Whether {@code c} may be received from now: its socket's window is open. Before the device has
     * a stack with a socket on its port, it may not: its bytes wait in the kernel.
     */
    private boolean windowOpen(IoUringNic.Connection c) {
        NetifRx up = queue.device().rxHandler();
        if (up == null) {
            return false;
        }
        if (!c.socketSeen) {
            if (!up.hasSocket(c.localPort)) {
                return false;
            }
            c.socketSeen = true;
        }
        return up.rcvWindowOpen(c.remotePort, c.localPort);
    }

    // =====================================================================================
    // NAPI: completions
    // =====================================================================================

    private void handleCqe(long userData, int res, int flags) {
        if (userData == CANCEL_UD) {
            return; // the cancel request's own completion
        }
        if (userData == WAKE_UD) {
            wakeArmed = false;
            if (!stopping) {
                armWake();
            }
            return;
        }
        IoUringNic.Connection c = slots[(int) userData];
        if ((flags & IORING_CQE_F_BUFFER) != 0) {
            current = c;
            br.consume(res, flags, onBuffer);
            flushPieces(c);
            current = null;
        }
        if ((flags & IORING_CQE_F_MORE) != 0) {
            return;
        }
        c.armed = false;
        if (res > 0) {
            c.needsArm = true; // the request ended after data (a bundle found the ring empty)
        } else if (res == Errno.ENOBUFS.value()) {
            queue.countNoBufs();
            RxEvents.noBufs(queue, pool, c.localPort, c.remotePort);
            c.needsArm = true;
        } else if (res == Errno.ECANCELED.value()) {
            c.needsArm = !stopping; // cancelled for a closed window: re-armed when it opens
        } else if (res == 0) {
            end(c, Headers.TCP_FIN);
        } else {
            end(c, Headers.TCP_RST);
        }
    }

    private void handleBuffer(int bid, int offset, int length, boolean finished) {
        NetIov niov = byBid[bid];
        if (finished) {
            byBid[bid] = null;
            freeBids[nFreeBids++] = bid;
        } else {
            PagePool.refNetmem(niov); // the ring keeps its reference for the rest of the buffer
        }
        if (length == 0) {
            niov.pool().putNetmem(niov, -1, true);
            return;
        }
        if (pN == pNiov.length || pBytes + length > MAX_SKB_PAYLOAD) {
            flushPieces(current);
        }
        pNiov[pN] = niov;
        pOff[pN] = offset;
        pLen[pN] = length;
        pN++;
        pBytes += length;
    }

    /** Hands the completion's pieces up as one skb (or, behind deferred ones or without a header, one by one). */
    private void flushPieces(IoUringNic.Connection c) {
        int n = pN;
        if (n == 0) {
            return;
        }
        int total = pBytes;
        pN = 0;
        pBytes = 0;
        if (n == 1 || dHead != dTail || !deliverFrags(c, n, total)) {
            for (int i = 0; i < n; i++) {
                piece(c, pNiov[i], pOff[i], pLen[i]);
            }
        }
        Arrays.fill(pNiov, 0, n, null);
    }

    /** One skb with the first {@code n} (more than one) pending pieces as frags; false without a header buffer. */
    private boolean deliverFrags(IoUringNic.Connection c, int n, int total) {
        NetIov h = headerPool.allocFrag(HEADER_BUF_SIZE);
        if (h == null) {
            queue.countAllocFail();
            return false;
        }
        int ho = headerPool.lastFragOffset();
        SkBuff skb = skbs.get();
        Headers.write(h.segment(), ho, c.remotePort, c.localPort, total);
        skb.init(h, ho, Headers.HEADER_LEN, true);
        for (int i = 0; i < n; i++) {
            skb.addRxFrag(pNiov[i], pOff[i], pLen[i]);
        }
        queue.countPackets(n, total); // a completed buffer counts as a received packet, as before GRO
        deliver(skb);
        if (c.armed && !c.cancelSent && !windowOpen(c)) {
            cancel(c); // the socket's window closed: stop taking data the stack would have to drop
        }
        return true;
    }

    /** The connection ended: hand the stack a FIN or RST after its data, then close it. */
    private void end(IoUringNic.Connection c, int tcpFlag) {
        queue.countConnEnd();
        piece(c, null, tcpFlag, 0);
        slots[c.slot] = null;
        liveSlots--;
        c.slot = -1;
        c.markEnded();
    }

    /** One received piece (or, with {@code niov == null}, an end marker whose flag is in {@code off}). */
    private void piece(IoUringNic.Connection c, NetIov niov, int off, int len) {
        if (dHead != dTail || !deliverPiece(c, niov, off, len)) {
            defer(c, niov, off, len);
        }
    }

    private boolean deliverPiece(IoUringNic.Connection c, NetIov niov, int off, int len) {
        NetIov h = headerPool.allocFrag(HEADER_BUF_SIZE);
        if (h == null) {
            queue.countAllocFail();
            return false;
        }
        int ho = headerPool.lastFragOffset();
        SkBuff skb = skbs.get();
        if (niov == null) {
            Headers.write(h.segment(), ho, c.remotePort, c.localPort, 0, off | Headers.TCP_ACK);
            skb.init(h, ho, Headers.HEADER_LEN, true);
        } else {
            Headers.write(h.segment(), ho, c.remotePort, c.localPort, len);
            skb.init(h, ho, Headers.HEADER_LEN, true);
            skb.addRxFrag(niov, off, len);
            queue.countPacket(len);
        }
        deliver(skb);
        if (niov != null && c.armed && !c.cancelSent && !windowOpen(c)) {
            cancel(c); // the socket's window closed: stop taking data the stack would have to drop
        }
        return true;
    }

    private void defer(IoUringNic.Connection c, NetIov niov, int off, int len) {
        if (dTail == dConn.length) {
            compactOrGrow();
        }
        dConn[dTail] = c;
        dNiov[dTail] = niov;
        dOff[dTail] = off;
        dLen[dTail] = len;
        dTail++;
    }

    private void compactOrGrow() {
        int n = dTail - dHead;
        if (dHead > 0) {
            System.arraycopy(dConn, dHead, dConn, 0, n);
            System.arraycopy(dNiov, dHead, dNiov, 0, n);
            System.arraycopy(dOff, dHead, dOff, 0, n);
            System.arraycopy(dLen, dHead, dLen, 0, n);
            Arrays.fill(dConn, n, dTail, null);
            Arrays.fill(dNiov, n, dTail, null);
        } else {
            int cap = dConn.length * 2;
            dConn = Arrays.copyOf(dConn, cap);
            dNiov = Arrays.copyOf(dNiov, cap);
            dOff = Arrays.copyOf(dOff, cap);
            dLen = Arrays.copyOf(dLen, cap);
        }
        dHead = 0;
        dTail = n;
    }

    private void drainDeferred() {
        while (dHead != dTail) {
            if (!deliverPiece(dConn[dHead], dNiov[dHead], dOff[dHead], dLen[dHead])) {
                return;
            }
            dConn[dHead] = null;
            dNiov[dHead] = null;
            dHead++;
        }
        dHead = 0;
        dTail = 0;
    }

    /** At stop, pieces still waiting for a header buffer get until the deadline; then they are dropped. */
    private void drainDeferredAtStop(long deadline) {
        drainDeferred();
        while (dHead != dTail && System.nanoTime() - deadline < 0) {
            java.util.concurrent.locks.LockSupport.parkNanos(1_000_000L);
            drainDeferred();
        }
        while (dHead != dTail) {
            NetIov n = dNiov[dHead];
            if (n != null) {
                n.pool().putNetmem(n, -1, false);
                queue.countDrop();
            }
            dConn[dHead] = null;
            dNiov[dHead] = null;
            dHead++;
        }
        dHead = 0;
        dTail = 0;
    }

    // =====================================================================================
    // NAPI: refill (single producer of the buffer ring)
    // =====================================================================================

    /** Posts fresh pool buffers on every free slot, then publishes them with one release store. */
    private void refill() {
        int room = Math.min(br.free(), nFreeBids);
        int n = 0;
        while (n < room) {
            if (queue.device().allocFailPolicy().shouldFail()) {
                queue.countAllocFail();
                break;
            }
            NetIov b = pool.alloc();
            if (b == null) {
                queue.countAllocFail();
                break;
            }
            int bid = freeBids[--nFreeBids];
            byBid[bid] = b;
            br.add(b.segment().address(), Math.min(bufSize, b.size()), bid, n);
            n++;
        }
        if (n > 0) {
            br.advance(n);
        }
    }

    /** Returns every buffer still posted to its pool. Only after the ring is unregistered (or never was). */
    private void returnPosted() {
        for (int bid = 0; bid < byBid.length; bid++) {
            NetIov b = byBid[bid];
            if (b != null) {
                byBid[bid] = null;
                freeBids[nFreeBids++] = bid;
                pool.putNetmem(b, -1, false);
            }
        }
    }
}
