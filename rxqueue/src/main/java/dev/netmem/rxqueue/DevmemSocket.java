package dev.netmem.rxqueue;

import dev.netmem.api.NetIov;
import dev.netmem.api.NetIovType;
import dev.netmem.api.PagePool;
import dev.netmem.providers.zcrx.ZcrxIfq;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.locks.LockSupport;

/**
 * A TCP-like receiving socket with devmem TCP ({@code MSG_SOCK_DEVMEM}) support, bound to a
 * destination port of a {@link NetDevice}.
 *
 * <p>{@link #recvmsg} copies readable bytes into the caller's buffer. Payload in dma-buf memory
 * stays where the NIC wrote it: each frag is reported as a {@link DevmemRecord.Dmabuf} carrying a
 * per-socket token that holds one {@code pp_ref_count} reference on the buffer until it is given back
 * with {@link #dontneed} or the socket is closed. Linear bytes of a devmem skb are copied and
 * reported as {@link DevmemRecord.Linear}. One call never mixes readable and devmem skbs.
 *
 * <p>Threads: the RX engine (NAPI) enqueues without a lock; {@link #recvmsg}, {@link #dontneed} and
 * {@link #close} may be called from any application thread (they serialize on the socket).
 */
public final class DevmemSocket implements AutoCloseable {
    /** {@code MSG_DONTWAIT}: do not wait for data. */
    public static final int MSG_DONTWAIT = 0x40;
    /** {@code MSG_SOCK_DEVMEM}: the caller accepts devmem records. */
    public static final int MSG_SOCK_DEVMEM = 0x2000000;
    /** {@code MAX_DONTNEED_TOKENS}: most {@link DmabufToken} runs per {@link #dontneed} call. */
    public static final int MAX_DONTNEED_TOKENS = 128;
    /** {@code MAX_DONTNEED_FRAGS}: most tokens inspected per {@link #dontneed} call. */
    public static final int MAX_DONTNEED_FRAGS = 1024;
    /** {@code IO_SKBS_PER_CALL_LIMIT}: most skbs one {@link #recvZc} call consumes. */
    public static final int IO_SKBS_PER_CALL_LIMIT = 20;

    private static final VarHandle INCOMING;
    private static final VarHandle QUEUED;
    private static final VarHandle QUEUED_LEN;

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            INCOMING = l.findVarHandle(DevmemSocket.class, "incoming", SkBuff.class);
            QUEUED = l.findVarHandle(DevmemSocket.class, "queued", long.class);
            QUEUED_LEN = l.findVarHandle(DevmemSocket.class, "queuedLen", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final NetDevice device;
    private final int port;
    /** Lock-free stack of skbs pushed by NAPIs, newest first. */
    @SuppressWarnings("unused")
    private volatile SkBuff incoming;
    /** truesize of queued skbs (the receive window). */
    @SuppressWarnings("unused")
    private volatile long queued;
    /** len of queued skbs. */
    @SuppressWarnings("unused")
    private volatile long queuedLen;
    private volatile Thread waiter;
    private volatile boolean closed;

    private final Object rxLock = new Object();
    /** FIFO of skbs taken from {@code incoming}, oldest first. rxLock. */
    private SkBuff rxHead;
    private SkBuff rxTail;
    /** Where the current recvmsg writes next in the caller's buffer. rxLock. */
    private long iovPos;

    private final Object tokenLock = new Object();
    private final TokenTable tokens = new TokenTable();
    private final NetIov[] batch = new NetIov[MAX_DONTNEED_FRAGS];

    DevmemSocket(NetDevice device, int port) {
        this.device = device;
        this.port = port;
    }

    /** The local port. */
    public int port() {
        return port;
    }

    /** Payload bytes received by the stack and not yet fully read ({@link SkBuff#len()} of queued skbs). */
    public long queuedBytes() {
        return (long) QUEUED_LEN.getVolatile(this);
    }

    /**
     * Memory charged to the receive buffer ({@code sk_rmem_alloc}): the {@link SkBuff#truesize()} of
     * every queued skb. The device stops taking packets for this socket at {@link NetDevice#rcvbuf()}.
     */
    public long rmemAlloc() {
        return (long) QUEUED.getVolatile(this);
    }

    /** Tokens handed out and not yet returned. */
    public int outstandingTokens() {
        synchronized (tokenLock) {
            return tokens.count();
        }
    }

    /** Whether {@link #close()} ran. */
    public boolean isClosed() {
        return closed;
    }

    /**
     * The stack queues a received skb (headers already pulled). Caller: a NAPI thread.
     *
     * @return false if the socket is closed or its queue is past {@link NetDevice#rmemHardLimit()}
     *         (the caller drops the skb)
     */
    boolean enqueue(SkBuff skb) {
        if (closed || (long) QUEUED.getVolatile(this) >= device.rmemHardLimit()) {
            return false;
        }
        QUEUED.getAndAdd(this, (long) skb.truesize());
        QUEUED_LEN.getAndAdd(this, (long) skb.len());
        SkBuff h;
        do {
            h = (SkBuff) INCOMING.getVolatile(this);
            skb.next = h;
        } while (!INCOMING.compareAndSet(this, h, skb)); // recvmsg's getAndSet is the acquire partner
        if (closed) {
            freeIncoming(); // close raced with us: whoever takes the stack frees it
        }
        Thread w = waiter;
        if (w != null) {
            LockSupport.unpark(w);
        }
        return true;
    }

    /** Moves the incoming stack, reversed into arrival order, to the end of the FIFO. rxLock. */
    private void takeIncoming() {
        SkBuff s = (SkBuff) INCOMING.getAndSet(this, (SkBuff) null);
        if (s == null) {
            return;
        }
        SkBuff first = null;
        SkBuff last = s;
        while (s != null) {
            SkBuff n = s.next;
            s.next = first;
            first = s;
            s = n;
        }
        if (rxTail == null) {
            rxHead = first;
        } else {
            rxTail.next = first;
        }
        rxTail = last;
    }

    private void freeIncoming() {
        SkBuff s = (SkBuff) INCOMING.getAndSet(this, (SkBuff) null);
        while (s != null) {
            SkBuff n = s.next;
            s.next = null;
            QUEUED.getAndAdd(this, (long) -s.truesize());
            QUEUED_LEN.getAndAdd(this, (long) -s.len());
            s.free();
            s = n;
        }
    }

    /**
     * {@code recvmsg}: receives up to {@code iov.byteSize()} bytes. Readable bytes are copied into
     * {@code iov} from offset 0. With {@link #MSG_SOCK_DEVMEM}, a devmem skb's linear bytes are also
     * copied (a {@link DevmemRecord.Linear} each) and its frags are reported as
     * {@link DevmemRecord.Dmabuf} records with fresh tokens; their bytes count towards the total but
     * are not copied. Stops at the boundary between readable and devmem data.
     *
     * @param iov     the caller's buffer
     * @param records receives the devmem records, in stream order
     * @param flags   {@link #MSG_SOCK_DEVMEM}, {@link #MSG_DONTWAIT}
     * @param timeout how long to wait for data when none is queued
     * @return bytes received, 0 if none arrived in time
     * @throws NetdevException {@link Errno#EFAULT} for devmem data without {@link #MSG_SOCK_DEVMEM};
     *                         {@link Errno#ENODEV} for a frag in provider memory that is not a dma-buf;
     *                         {@link Errno#ENOTCONN} once closed
     * @throws NullPointerException if {@code iov} or {@code records} is null, or {@code timeout} is null
     *                              without {@link #MSG_DONTWAIT}; checked before anything is received
     */
    public int recvmsg(MemorySegment iov, List<DevmemRecord> records, int flags, Duration timeout) {
        Objects.requireNonNull(iov, "iov");
        Objects.requireNonNull(records, "records"); // a null met after a token was taken would strand it
        if ((flags & MSG_DONTWAIT) == 0) {
            Objects.requireNonNull(timeout, "timeout");
        }
        synchronized (rxLock) {
            if (!awaitData((flags & MSG_DONTWAIT) != 0 ? 0 : timeout.toNanos())) {
                return 0;
            }
            long len = iov.byteSize();
            long copied = 0;
            iovPos = 0;
            int mode = -1;
            while (rxHead != null && copied < len) {
                SkBuff skb = rxHead;
                int devmem = skb.unreadable() ? 1 : 0;
                if (mode < 0) {
                    if (devmem == 1 && (flags & MSG_SOCK_DEVMEM) == 0) {
                        throw new NetdevException(Errno.EFAULT, "unreadable data needs MSG_SOCK_DEVMEM");
                    }
                    mode = devmem;
                } else if (mode != devmem) {
                    break;
                }
                int max = (int) Math.min(Integer.MAX_VALUE, len - copied);
                int n = devmem == 1 ? recvDevmem(skb, iov, max, records, copied == 0) : recvCopy(skb, iov, max);
                copied += n;
                if (skb.consumed < skb.len()) {
                    break;
                }
                popAndFree(skb);
                if (n == 0) {
                    break;
                }
            }
            return (int) copied;
        }
    }

    private boolean awaitData(long nanos) {
        if (closed) {
            throw new NetdevException(Errno.ENOTCONN, "socket is closed");
        }
        takeIncoming();
        if (rxHead != null || nanos <= 0) {
            return rxHead != null;
        }
        long deadline = System.nanoTime() + nanos;
        waiter = Thread.currentThread();
        try {
            while (true) {
                takeIncoming();
                if (rxHead != null) {
                    return true;
                }
                long left = deadline - System.nanoTime();
                if (left <= 0 || closed) {
                    return false;
                }
                LockSupport.parkNanos(this, left);
            }
        } finally {
            waiter = null;
        }
    }

    private int recvCopy(SkBuff skb, MemorySegment iov, int max) {
        int n = Math.min(skb.len() - skb.consumed, max);
        skb.copyBits(skb.consumed, iov, iovPos, n);
        skb.consumed += n;
        iovPos += n;
        return n;
    }

    /** {@code tcp_recvmsg_dmabuf} for one skb. */
    private int recvDevmem(SkBuff skb, MemorySegment iov, int max, List<DevmemRecord> records, boolean first) {
        int done = 0;
        int lin = skb.headlen() - skb.consumed;
        if (lin > 0) {
            int n = Math.min(lin, max);
            skb.copyBits(skb.consumed, iov, iovPos, n);
            iovPos += n;
            skb.consumed += n;
            done += n;
            records.add(new DevmemRecord.Linear(n));
        }
        int pos = skb.headlen();
        for (int i = 0; i < skb.nrFrags() && done < max; i++) {
            int fEnd = pos + skb.fragSize(i);
            if (skb.consumed < fEnd) {
                NetIov niov = skb.fragNetmem(i);
                if (niov.type() != NetIovType.DMABUF) {
                    if (first && done == 0) {
                        throw new NetdevException(Errno.ENODEV, "frag " + i + " is " + niov.type()
                                + " memory, not a dma-buf");
                    }
                    break;
                }
                int inFrag = skb.consumed - pos;
                int n = Math.min(fEnd - skb.consumed, max - done);
                PagePool.refNetmem(niov);
                int token;
                synchronized (tokenLock) {
                    token = tokens.add(niov);
                }
                records.add(new DevmemRecord.Dmabuf(niov.virtualAddress() + skb.fragOffset(i) + inFrag, n, token,
                        niov.pool().provider().fill(null).id()));
                skb.consumed += n;
                done += n;
            }
            pos = fEnd;
        }
        return done;
    }

    /**
     * {@code IORING_OP_RECV_ZC} ({@code io_zcrx_recv}): hands queued data to the io_uring user ring
     * of {@code ifq}. Each frag in the ifq's memory becomes a completion
     * ({@link ZcrxIfq#postCompletion}, which takes the buffer's {@code pp_ref_count} and user
     * references); linear bytes and readable (host page) frags are copied into free ifq buffers
     * ({@link ZcrxIfq#postCopyCompletion}, the copy fallback). At most
     * {@link #IO_SKBS_PER_CALL_LIMIT} skbs per call; the user returns buffers through the refill ring.
     *
     * @return bytes handed over, 0 if none arrived in time
     * @throws NetdevException {@link Errno#EFAULT} for a frag in another provider's memory;
     *                         {@link Errno#ENOSPC} (completion ring full) or {@link Errno#ENOMEM}
     *                         (no free buffer for a copy) when nothing could be handed over;
     *                         {@link Errno#ENOTCONN} once closed
     */
    public int recvZc(ZcrxIfq ifq, Duration timeout) {
        synchronized (rxLock) {
            if (!awaitData(timeout.toNanos())) {
                return 0;
            }
            int done = 0;
            for (int skbs = 0; skbs < IO_SKBS_PER_CALL_LIMIT && rxHead != null; skbs++) {
                SkBuff skb = rxHead;
                int before = skb.consumed;
                int r = zcrxLinear(ifq, skb);
                int pos = skb.headlen();
                for (int i = 0; i < skb.nrFrags() && r >= 0; i++) {
                    int fEnd = pos + skb.fragSize(i);
                    if (skb.consumed < fEnd) {
                        r = zcrxFrag(ifq, skb, i, skb.consumed - pos, fEnd - skb.consumed);
                    }
                    pos = fEnd;
                }
                done += skb.consumed - before;
                if (r < 0) {
                    if (done == 0) {
                        throw zcrxError(r);
                    }
                    return done;
                }
                popAndFree(skb);
            }
            return done;
        }
    }

    /** Copies the linear bytes into free ifq buffers; returns a negative errno when stuck. */
    private static int zcrxLinear(ZcrxIfq ifq, SkBuff skb) {
        while (skb.consumed < skb.headlen()) {
            int r = ifq.postCopyCompletion(skb.head().segment().asSlice(skb.headOffset() + skb.consumed,
                    skb.headlen() - skb.consumed));
            if (r < 0) {
                return r;
            }
            skb.consumed += r;
        }
        return 0;
    }

    /** Hands over bytes {@code [from, from + n)} of frag {@code i}; returns a negative errno when stuck. */
    private static int zcrxFrag(ZcrxIfq ifq, SkBuff skb, int i, int from, int n) {
        NetIov niov = skb.fragNetmem(i);
        if (niov.owner() == ifq.area().niovs()) {
            if (!ifq.postCompletion(niov, skb.fragOffset(i) + from, n)) {
                return Errno.ENOSPC.value();
            }
            skb.consumed += n;
            return 0;
        }
        if (!niov.type().readable()) {
            throw new NetdevException(Errno.EFAULT, "frag " + i + " is not memory of zcrx ifq " + ifq.id());
        }
        while (n > 0) {
            int r = ifq.postCopyCompletion(niov.segment().asSlice(skb.fragOffset(i) + from, n));
            if (r < 0) {
                return r;
            }
            skb.consumed += r;
            from += r;
            n -= r;
        }
        return 0;
    }

    private static NetdevException zcrxError(int errno) {
        return errno == Errno.ENOSPC.value()
                ? new NetdevException(Errno.ENOSPC, "zcrx completion ring is full")
                : new NetdevException(Errno.ENOMEM, "zcrx has no free buffer for the copy fallback");
    }

    /** Test hook: dequeues the oldest skb without freeing it (the caller now owns it), or null. */
    SkBuff takeForTest() {
        synchronized (rxLock) {
            takeIncoming();
            return rxHead == null ? null : unlinkHead();
        }
    }

    private void popAndFree(SkBuff skb) {
        assert skb == rxHead;
        unlinkHead().free();
    }

    /** Removes the head skb from the FIFO and uncharges it. rxLock. */
    private SkBuff unlinkHead() {
        SkBuff skb = rxHead;
        rxHead = skb.next;
        if (rxHead == null) {
            rxTail = null;
        }
        skb.next = null;
        QUEUED.getAndAdd(this, (long) -skb.truesize());
        QUEUED_LEN.getAndAdd(this, (long) -skb.len());
        return skb;
    }

    /**
     * {@code SO_DEVMEM_DONTNEED}: returns tokens. Inspects at most {@link #MAX_DONTNEED_FRAGS}
     * tokens, skips tokens this socket does not hold, and puts each found buffer through its page
     * pool (NAPI-local when called on the pool's NAPI thread, else into the ring).
     *
     * Every run is checked before any token is taken, so a rejected call changes nothing.
     *
     * @return the number of buffers freed
     * @throws NetdevException      {@link Errno#EINVAL} for more than {@link #MAX_DONTNEED_TOKENS} runs
     * @throws NullPointerException if a run is null (message {@code runs[i]})
     */
    public int dontneed(DmabufToken... runs) {
        if (runs.length > MAX_DONTNEED_TOKENS) {
            throw new NetdevException(Errno.EINVAL, "too many dmabuf tokens: " + runs.length + " > "
                    + MAX_DONTNEED_TOKENS);
        }
        for (int i = 0; i < runs.length; i++) {
            if (runs[i] == null) { // checked up front: a null met mid-loop would strand the tokens taken so far
                throw new NullPointerException("runs[" + i + "]");
            }
        }
        synchronized (tokenLock) {
            int n = 0;
            int inspected = 0;
            outer:
            for (DmabufToken run : runs) {
                for (int j = 0; j < run.tokenCount(); j++) {
                    if (++inspected > MAX_DONTNEED_FRAGS) {
                        break outer;
                    }
                    NetIov niov = tokens.remove((long) run.tokenStart() + j);
                    if (niov != null) {
                        batch[n++] = niov;
                    }
                }
            }
            putBatch(n);
            return n;
        }
    }

    private void putBatch(int n) {
        for (int i = 0; i < n; i++) {
            NetIov niov = batch[i];
            batch[i] = null;
            niov.pool().putNetmem(niov, -1, false);
        }
    }

    /**
     * Closes the socket: frees queued skbs and returns every outstanding token through the page-pool
     * put path ({@code tcp_release_user_frags}). Idempotent.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        device.removeSocket(this);
        synchronized (rxLock) {
            takeIncoming();
            while (rxHead != null) {
                popAndFree(rxHead);
            }
        }
        synchronized (tokenLock) {
            int n;
            while ((n = tokens.removeAll(batch, batch.length)) > 0) {
                putBatch(n);
            }
        }
    }

    @Override
    public String toString() {
        return "DevmemSocket[" + device.name() + ":" + port + (closed ? " closed" : "") + "]";
    }
}
