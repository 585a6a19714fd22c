package dev.netmem.rxqueue.stack;

import dev.netmem.api.Errno;
import dev.netmem.api.NetIov;
import dev.netmem.api.NetIovType;
import dev.netmem.api.PagePool;
import dev.netmem.rxqueue.net.Headers;
import dev.netmem.rxqueue.net.SkBuff;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.locks.LockSupport;

/**
 * A TCP-like receiving socket with devmem TCP ({@code MSG_SOCK_DEVMEM}) support, bound to a
 * destination port of a device's {@link NetStack}.
 *
 * <p>{@link #recvmsg} copies readable bytes into the caller's buffer. Payload in dma-buf memory
 * stays where the NIC wrote it: each frag is reported as a {@link DevmemRecord.Dmabuf} carrying a
 * per-socket token that holds one {@code pp_ref_count} reference on the buffer until it is given back
 * with {@link #dontneed} or the socket is closed. Linear bytes of a devmem skb are copied and
 * reported as {@link DevmemRecord.Linear}. One call never mixes readable and devmem skbs.
 *
 * <p>Layers above the stack (io_uring's zcrx receive) read it through {@link #readSock}, the model
 * of {@code tcp_read_sock}: the stack never names them.
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
    /** {@code sizeof(struct dmabuf_token)}: {@code u32 token_start}, {@code u32 token_count}. */
    public static final int DMABUF_TOKEN_SIZE = 8;

    private static final VarHandle INCOMING;
    private static final VarHandle QUEUED;
    private static final VarHandle QUEUED_LEN;
    private static final VarHandle WAITER;

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            INCOMING = l.findVarHandle(DevmemSocket.class, "incoming", SkBuff.class);
            QUEUED = l.findVarHandle(DevmemSocket.class, "queued", long.class);
            QUEUED_LEN = l.findVarHandle(DevmemSocket.class, "queuedLen", long.class);
            WAITER = l.findVarHandle(DevmemSocket.class, "waiter", Thread.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final NetStack stack;
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
    /**
     * The reader parked in {@link #awaitData}, or null. The first {@code enqueue} after it parked
     * takes it (getAndSet) and wakes it; later ones find null and wake nobody until it parks again
     * (the kernel's {@code sk_data_ready} wakes only a waiter on the socket's wait queue).
     */
    @SuppressWarnings("unused")
    private volatile Thread waiter;
    private volatile boolean closed;
    /** The stream's end reached the head of the queue: FIN ({@code 1}) or RST ({@code 2}). rxLock. */
    private int end;
    /** {@code sk_err}: {@code ECONNRESET} once a RST reached the head, until {@link #sockError()} reads it. rxLock. */
    private int sockErr;

    private final Object rxLock = new Object();
    /** FIFO of skbs taken from {@code incoming}, oldest first. rxLock. */
    private SkBuff rxHead;
    private SkBuff rxTail;
    /** Where the current recvmsg writes next in the caller's buffer. rxLock. */
    private long iovPos;

    private final Object tokenLock = new Object();
    private final TokenTable tokens = new TokenTable();
    /** {@code struct tcp_xa_pool}: tokens reserved for the skb being received and their netmems. rxLock and tokenLock. */
    private final int[] xaTokens = new int[SkBuff.MAX_SKB_FRAGS];
    private final NetIov[] xaNetmems = new NetIov[SkBuff.MAX_SKB_FRAGS];
    /** {@code -ETOOSMALL} once a record did not fit the control buffer in this recvmsg. rxLock. */
    private int cmsgErr;
    private final NetIov[] batch = new NetIov[MAX_DONTNEED_FRAGS];
    /** Tokens a {@code dontneed} call may still inspect ({@link #MAX_DONTNEED_FRAGS} per call). tokenLock. */
    private int dontneedBudget;

    DevmemSocket(NetStack stack, int port) {
        this.stack = stack;
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
     * every queued skb. The stack closes the window for this socket at the device's {@code rcvbuf}.
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
     * @return false if the socket is closed or its queue is past the device's {@code rmemHardLimit}
     *         (the caller drops the skb)
     */
    boolean enqueue(SkBuff skb) {
        if (closed || (long) QUEUED.getVolatile(this) >= stack.rmemHardLimit()) {
            return false;
        }
        QUEUED.getAndAdd(this, (long) skb.truesize());
        QUEUED_LEN.getAndAdd(this, (long) skb.len());
        SkBuff h;
        do {
            h = (SkBuff) INCOMING.getVolatile(this);
            skb.setNext(h);
        } while (!INCOMING.compareAndSet(this, h, skb)); // recvmsg's getAndSet is the acquire partner
        if (closed) {
            freeIncoming(); // close raced with us: whoever takes the stack frees it
        }
        // seq-cst after the push: either the reader, having published itself, sees the skb, or we see it
        Thread w = (Thread) WAITER.getAndSet(this, (Thread) null);
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
            SkBuff n = s.next();
            s.setNext(first);
            first = s;
            s = n;
        }
        if (rxTail == null) {
            rxHead = first;
        } else {
            rxTail.setNext(first);
        }
        rxTail = last;
    }

    private void freeIncoming() {
        SkBuff s = (SkBuff) INCOMING.getAndSet(this, (SkBuff) null);
        while (s != null) {
            SkBuff n = s.next();
            s.setNext(null);
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
     * are not copied. Stops at the boundary between readable and devmem data. This form makes a
     * {@link DevmemRecord} object per record; the {@link DevmemControl} form writes the records into
     * control memory as the kernel's {@code put_cmsg} does, and allocates nothing per record.
     *
     * @param iov     the caller's buffer
     * @param records receives the devmem records, in stream order
     * @param flags   {@link #MSG_SOCK_DEVMEM}, {@link #MSG_DONTWAIT}
     * @param timeout how long to wait for data when none is queued
     * @return bytes received, 0 if none arrived in time, -1 at the end of the stream (the peer's FIN
     *         reached the head of the queue and nothing is left)
     * @throws dev.netmem.api.ErrnoException {@link Errno#EFAULT} for devmem data without {@link #MSG_SOCK_DEVMEM};
     *                         {@link Errno#ENODEV} for a frag in provider memory that is not a dma-buf;
     *                         {@link Errno#ENOTCONN} once closed; {@link Errno#ECONNRESET} once the peer's
     *                         reset reached the head of the queue
     * @throws NullPointerException if {@code iov} or {@code records} is null, or {@code timeout} is null
     *                              without {@link #MSG_DONTWAIT}; checked before anything is received
     */
    public int recvmsg(MemorySegment iov, List<DevmemRecord> records, int flags, Duration timeout) {
        Objects.requireNonNull(records, "records"); // a null met after a token was taken would strand it
        return recvmsg(iov, records, null, flags, timeout);
    }

    /**
     * {@link #recvmsg(MemorySegment, List, int, Duration)} into a bounded control buffer, as the
     * kernel's: a record is never truncated; when the next one does not fit, the receive stops before
     * the bytes it describes (a linear part stays unread, a frag keeps its place in the queue and
     * gets its token on the next call), and a token reserved for it is rolled back. Records go after
     * those already in {@code control} ({@link DevmemControl#clear()} empties it).
     *
     * @return as {@link #recvmsg(MemorySegment, List, int, Duration)}
     * @throws dev.netmem.api.ErrnoException {@link Errno#ETOOSMALL} if not even the first record fits
     *                         (nothing was received); otherwise as the list form
     */
    public int recvmsg(MemorySegment iov, DevmemControl control, int flags, Duration timeout) {
        Objects.requireNonNull(control, "control");
        return recvmsg(iov, null, control, flags, timeout);
    }

    private int recvmsg(MemorySegment iov, List<DevmemRecord> records, DevmemControl ctl, int flags,
                        Duration timeout) {
        Objects.requireNonNull(iov, "iov");
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
            cmsgErr = 0;
            int mode = -1;
            while (rxHead != null && copied < len) {
                SkBuff skb = rxHead;
                if (skb.len() == 0) {
                    takeEnd(skb);
                    break;
                }
                int devmem = skb.unreadable() ? 1 : 0;
                if (mode < 0) {
                    if (devmem == 1 && (flags & MSG_SOCK_DEVMEM) == 0) {
                        throw Errno.EFAULT.exception("unreadable data needs MSG_SOCK_DEVMEM");
                    }
                    mode = devmem;
                } else if (mode != devmem) {
                    break;
                }
                int max = (int) Math.min(Integer.MAX_VALUE, len - copied);
                int n = devmem == 1 ? recvDevmem(skb, iov, max, records, ctl, copied == 0) : recvCopy(skb, iov, max);
                copied += n;
                if (skb.consumed() < skb.len()) {
                    break;
                }
                popAndFree(skb);
                if (n == 0) {
                    break;
                }
            }
            if (copied == 0 && cmsgErr != 0) {
                throw Errno.ETOOSMALL.exception("no room for a devmem record: msg_controllen "
                        + ctl.controllen() + ", " + ctl.remaining() + " left, a record needs "
                        + DevmemControl.CMSG_SPACE_DEVMEM);
            }
            if (copied == 0 && end != 0) {
                return endOfStream();
            }
            if (copied > 0) {
                stack.netif().rxWake();
            }
            return (int) copied;
        }
    }

    /** A FIN or RST at the head of the queue: the stream ends here. rxLock. */
    private void takeEnd(SkBuff skb) {
        end = (skb.tcpFlags() & Headers.TCP_RST) != 0 ? 2 : 1;
        if (end == 2) {
            sockErr = Errno.ECONNRESET.value();
        }
        popAndFree(skb);
    }

    private int endOfStream() {
        if (end == 2) {
            throw Errno.ECONNRESET.exception("connection reset by peer");
        }
        return -1;
    }

    /**
     * Whether the end of the stream (FIN or RST) was read: every byte before it was received
     * ({@code sk_shutdown & RCV_SHUTDOWN}).
     */
    public boolean isEndOfStream() {
        synchronized (rxLock) {
            return end != 0;
        }
    }

    /** {@code sock_flag(sk, SOCK_DONE)}: the peer's FIN was read (a reset does not set it). */
    public boolean isSockDone() {
        synchronized (rxLock) {
            return end == 1;
        }
    }

    /**
     * {@code sock_error}: the pending socket error as a negative errno ({@code -ECONNRESET} once the
     * peer's reset was read), cleared by this call; 0 if none.
     */
    public int sockError() {
        synchronized (rxLock) {
            int e = sockErr;
            sockErr = 0;
            return e;
        }
    }

    private boolean awaitData(long nanos) {
        if (closed) {
            throw Errno.ENOTCONN.exception("socket is closed");
        }
        if (end != 0) {
            return true; // recvmsg reports the end
        }
        takeIncoming();
        if (rxHead != null || nanos <= 0) {
            return rxHead != null;
        }
        long deadline = System.nanoTime() + nanos;
        Thread me = Thread.currentThread();
        try {
            while (true) {
                WAITER.setVolatile(this, me); // before looking, so an enqueue after the look wakes us
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
            WAITER.setVolatile(this, (Thread) null);
        }
    }

    private int recvCopy(SkBuff skb, MemorySegment iov, int max) {
        int n = Math.min(skb.len() - skb.consumed(), max);
        skb.copyBits(skb.consumed(), iov, iovPos, n);
        skb.consume(n);
        iovPos += n;
        return n;
    }

    /**
     * {@code tcp_recvmsg_dmabuf} for one skb: the linear part is copied and reported, then each frag
     * gets a record and a token. Tokens are reserved in a batch for the frags left
     * ({@code tcp_xa_pool_refill}, at most {@code MAX_SKB_FRAGS}), committed for the frags reported
     * and rolled back for the rest ({@code tcp_xa_pool_commit}). With a control buffer, a record that
     * does not fit stops the skb before its bytes and sets {@code cmsgErr}. rxLock.
     */
    private int recvDevmem(SkBuff skb, MemorySegment iov, int max, List<DevmemRecord> records, DevmemControl ctl,
                           boolean first) {
        int done = 0;
        int lin = skb.headlen() - skb.consumed();
        if (lin > 0) {
            if (ctl != null && !ctl.hasRoom()) {
                cmsgErr = Errno.ETOOSMALL.value(); // put_cmsg_notrunc: the bytes stay unread
                return 0;
            }
            int n = Math.min(lin, max);
            skb.copyBits(skb.consumed(), iov, iovPos, n);
            iovPos += n;
            skb.consume(n);
            done += n;
            if (ctl != null) {
                ctl.putLinear(n);
            } else {
                records.add(new DevmemRecord.Linear(n));
            }
        }
        int nrFrags = skb.nrFrags();
        int pos = skb.headlen();
        synchronized (tokenLock) { // a reservation never outlives this block: dontneed never sees one
            int xaMax = 0;
            int xaIdx = 0;
            for (int i = 0; i < nrFrags && done < max; i++) {
                int fEnd = pos + skb.fragSize(i);
                if (skb.consumed() < fEnd) {
                    NetIov niov = skb.fragNetmem(i);
                    if (niov.type() != NetIovType.DMABUF) {
                        if (first && done == 0) {
                            throw Errno.ENODEV.exception("frag " + i + " is " + niov.type()
                                    + " memory, not a dma-buf");
                        }
                        break;
                    }
                    if (xaIdx == xaMax) { // tcp_xa_pool_refill
                        xaCommit(xaIdx, xaMax);
                        xaMax = Math.min(nrFrags - i, SkBuff.MAX_SKB_FRAGS);
                        for (int k = 0; k < xaMax; k++) {
                            xaTokens[k] = tokens.reserve();
                        }
                        xaIdx = 0;
                    }
                    if (ctl != null && !ctl.hasRoom()) {
                        cmsgErr = Errno.ETOOSMALL.value(); // the frag stays for the next recvmsg
                        break;
                    }
                    int inFrag = skb.consumed() - pos;
                    int n = Math.min(fEnd - skb.consumed(), max - done);
                    long fragOffset = niov.virtualAddress() + skb.fragOffset(i) + inFrag;
                    long dmabufId = niov.pool().provider().bindingId();
                    if (ctl != null) { // put_cmsg into the caller's control memory: nothing allocated
                        ctl.putDmabuf(fragOffset, n, xaTokens[xaIdx], dmabufId);
                    } else {
                        records.add(new DevmemRecord.Dmabuf(fragOffset, n, xaTokens[xaIdx], dmabufId));
                    }
                    PagePool.refNetmem(niov);
                    xaNetmems[xaIdx++] = niov;
                    skb.consume(n);
                    done += n;
                }
                pos = fEnd;
            }
            xaCommit(xaIdx, xaMax);
        }
        return done;
    }

    /** {@code tcp_xa_pool_commit}: the first {@code idx} reserved tokens get their netmems, the rest go back. tokenLock. */
    private void xaCommit(int idx, int max) {
        for (int k = 0; k < idx; k++) {
            tokens.commit(xaTokens[k], xaNetmems[k]);
            xaNetmems[k] = null;
        }
        for (int k = idx; k < max; k++) {
            tokens.rollback(xaTokens[k]);
        }
    }

    /**
     * {@code tcp_read_sock}: offers queued data to {@code actor}, skb by skb, in stream order, for a
     * layer above the stack that consumes skbs itself (io_uring's zcrx receive). Each call gives the
     * actor an skb and the range {@code [offset, offset + len)} not consumed yet; the actor returns
     * how many bytes it took (the skb is freed once all are taken) or a negative errno to stop.
     * Offers at most {@code maxSkbs} skbs. Waits up to {@code timeout} for data when none is queued.
     *
     * @return bytes consumed; or, if the actor stopped before taking anything, its negative errno;
     *         0 if no data arrived in time or the stream has ended ({@link #isEndOfStream()})
     * @throws dev.netmem.api.ErrnoException {@link Errno#ENOTCONN} once closed
     */
    public int readSock(SkbReader actor, int maxSkbs, Duration timeout) {
        Objects.requireNonNull(actor, "actor");
        Objects.requireNonNull(timeout, "timeout");
        synchronized (rxLock) {
            if (!awaitData(timeout.toNanos())) {
                return 0;
            }
            int done = 0;
            for (int skbs = 0; skbs < maxSkbs && rxHead != null; skbs++) {
                SkBuff skb = rxHead;
                if (skb.len() == 0) {
                    takeEnd(skb);
                    break;
                }
                while (skb.consumed() < skb.len()) {
                    int used = actor.read(skb, skb.consumed(), skb.len() - skb.consumed());
                    if (used <= 0) {
                        return done == 0 && used < 0 ? used : done;
                    }
                    skb.consume(used);
                    done += used;
                }
                popAndFree(skb);
            }
            if (done > 0) {
                stack.netif().rxWake();
            }
            return done;
        }
    }

    /** The {@code recv_actor} of {@link #readSock}. */
    @FunctionalInterface
    public interface SkbReader {
        /**
         * Takes bytes {@code [offset, offset + len)} of {@code skb} (the skb stays the socket's).
         *
         * @return bytes taken, from 0 to {@code len}, or a negative errno to stop reading
         */
        int read(SkBuff skb, int offset, int len);
    }

    /**
     * {@code skb_dequeue} on the receive queue: removes the oldest skb without freeing it (the caller
     * now owns it and frees it), or returns {@code null}. Any thread.
     */
    public SkBuff skbDequeue() {
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
        rxHead = skb.next();
        if (rxHead == null) {
            rxTail = null;
        }
        skb.setNext(null);
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
     * @throws dev.netmem.api.ErrnoException      {@link Errno#EINVAL} for more than {@link #MAX_DONTNEED_TOKENS} runs
     * @throws NullPointerException if a run is null (message {@code runs[i]})
     */
    public int dontneed(DmabufToken... runs) {
        if (runs.length > MAX_DONTNEED_TOKENS) {
            throw Errno.EINVAL.exception("too many dmabuf tokens: " + runs.length + " > "
                    + MAX_DONTNEED_TOKENS);
        }
        for (int i = 0; i < runs.length; i++) {
            if (runs[i] == null) { // checked up front: a null met mid-loop would strand the tokens taken so far
                throw new NullPointerException("runs[" + i + "]");
            }
        }
        synchronized (tokenLock) {
            dontneedBudget = MAX_DONTNEED_FRAGS;
            int n = 0;
            for (int i = 0; i < runs.length && dontneedBudget > 0; i++) {
                n = takeRun(Integer.toUnsignedLong(runs[i].tokenStart()), runs[i].tokenCount(), n);
            }
            return putTaken(n);
        }
    }

    /**
     * {@code SO_DEVMEM_DONTNEED} as {@code setsockopt} passes it: {@code optlen} bytes at {@code optval}
     * holding {@code struct dmabuf_token} entries ({@link #DMABUF_TOKEN_SIZE} bytes each: {@code u32
     * token_start}, {@code u32 token_count}, native byte order). Returns tokens as
     * {@link #dontneed(DmabufToken...)} does, and allocates nothing: the form for a receive loop that
     * returns tokens at line rate (the kernel's layout, so a run list can be kept in shared memory).
     *
     * @param optval the entries; any alignment
     * @param optlen bytes of entries to read from {@code optval}
     * @return the number of buffers freed
     * @throws dev.netmem.api.ErrnoException {@link Errno#EINVAL} if {@code optlen} is negative, not a multiple
     *                         of {@link #DMABUF_TOKEN_SIZE} or more than {@link #MAX_DONTNEED_TOKENS} entries;
     *                         {@link Errno#EFAULT} if {@code optval} is shorter than {@code optlen}
     *                         (nothing is returned in either case)
     * @throws NullPointerException if {@code optval} is null
     */
    public int dontneed(MemorySegment optval, long optlen) {
        Objects.requireNonNull(optval, "optval");
        if (optlen < 0 || optlen % DMABUF_TOKEN_SIZE != 0 || optlen > (long) DMABUF_TOKEN_SIZE * MAX_DONTNEED_TOKENS) {
            throw Errno.EINVAL.exception("optlen must be a multiple of " + DMABUF_TOKEN_SIZE + " up to "
                    + DMABUF_TOKEN_SIZE * MAX_DONTNEED_TOKENS + ": " + optlen);
        }
        if (optlen > optval.byteSize()) {
            throw Errno.EFAULT.exception("optlen " + optlen + " is past the end of optval (" + optval.byteSize()
                    + " bytes)");
        }
        int runs = (int) (optlen / DMABUF_TOKEN_SIZE);
        synchronized (tokenLock) {
            dontneedBudget = MAX_DONTNEED_FRAGS;
            int n = 0;
            for (int i = 0; i < runs && dontneedBudget > 0; i++) {
                long at = (long) i * DMABUF_TOKEN_SIZE;
                n = takeRun(Integer.toUnsignedLong(optval.get(ValueLayout.JAVA_INT_UNALIGNED, at)),
                        Integer.toUnsignedLong(optval.get(ValueLayout.JAVA_INT_UNALIGNED, at + 4)), n);
            }
            return putTaken(n);
        }
    }

    /**
     * Takes the held tokens of one run into {@link #batch} from index {@code n}, inspecting at most
     * {@link #dontneedBudget} more tokens; returns the new count. Token numbers are u32 and wrap, as the
     * kernel's {@code token_start + j}: a run from {@code 0xFFFFFFFE} of 3 reaches token 0. tokenLock.
     */
    private int takeRun(long start, long count, int n) {
        for (long j = 0; j < count; j++) {
            if (dontneedBudget == 0) {
                break;
            }
            dontneedBudget--;
            NetIov niov = tokens.remove((start + j) & 0xFFFF_FFFFL);
            if (niov != null) {
                batch[n++] = niov;
            }
        }
        return n;
    }

    /** Puts the {@code n} taken buffers through their pools and wakes the NAPI; returns {@code n}. tokenLock. */
    private int putTaken(int n) {
        putBatch(n);
        if (n > 0) {
            stack.netif().rxWake();
        }
        return n;
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
        stack.removeSocket(this);
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
        return "DevmemSocket[" + stack.netif().name() + ":" + port + (closed ? " closed" : "") + "]";
    }
}
