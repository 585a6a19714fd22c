package dev.netmem.rxqueue.net;

import dev.netmem.api.Errno;
import dev.netmem.api.ErrnoException;
import dev.netmem.api.NetIov;
import dev.netmem.api.PagePool;
import java.lang.foreign.MemorySegment;

/**
 * Models {@code struct sk_buff} with its {@code skb_shared_info}: a linear head in host memory plus up
 * to {@link #MAX_SKB_FRAGS} frags {@code (netmem, offset, size)}.
 *
 * <p>Layout of the bytes: {@code [0, headlen())} are the linear bytes at {@code head().segment()}
 * from {@link #headOffset()}; frag {@code i} follows, {@code fragSize(i)} bytes at
 * {@code fragOffset(i)} of its netmem. {@link #len()} is the total.
 *
 * <p>{@code pp_recycle} ({@link #ppRecycle()}, "page_pool: Allow drivers to hint on SKB
 * recycling", net-next 2021): the head and every frag hold one {@code pp_ref_count} reference of the page pool
 * that owns them, and {@link #free()} drops each through {@link PagePool#putNetmem} (the kernel's
 * {@code napi_pp_put_page}), so the last reference recycles or leaves through the pool's single
 * release path. Without the mark, head and frags hold page references dropped with
 * {@link NetIov#putPage()}. {@link #unreadable()} is set when any frag is in unreadable provider
 * memory; reading those bytes fails with {@link Errno#EFAULT}.
 *
 * <p>Thread safety: an skb has one owner at a time (the RX engine, then the socket, then the reader
 * that frees it); it is handed over through the queues that carry it.
 */
public final class SkBuff {
    /** {@code MAX_SKB_FRAGS} (17 with 4 KiB pages). */
    public static final int MAX_SKB_FRAGS = 17;

    /** The preallocated-skb cache this skb returns to on free, or {@code null} (clones, builds). */
    final SkbCache cache;
    /** Link for the skb cache and the socket receive queue; one at a time. */
    private SkBuff next;
    /** Bytes of this skb already delivered by {@code recvmsg} (socket-owned). */
    private int consumed;
    /** TCP flags of the segment, set by the stack before it pulls the headers (FIN/RST carry no data). */
    private int tcpFlags;

    private NetIov head;
    private int data;
    private int headlen;
    private final NetIov[] fragNetmem = new NetIov[MAX_SKB_FRAGS];
    private final int[] fragOff = new int[MAX_SKB_FRAGS];
    private final int[] fragLen = new int[MAX_SKB_FRAGS];
    private int nrFrags;
    private int len;
    private int truesize;
    private boolean ppRecycle;
    private boolean unreadable;
    private boolean cloned;
    private boolean live;

    SkBuff(SkbCache cache) {
        this.cache = cache;
    }

    /**
     * {@code build_skb}: an skb whose linear head is {@code len} bytes at {@code offset} of
     * {@code head}. The skb takes over the caller's reference on {@code head}; it is not marked for
     * recycling until {@link #markForRecycle()}. Any thread.
     *
     * @throws IllegalArgumentException if the range is outside the buffer, or the head is unreadable
     */
    public static SkBuff build(NetIov head, int offset, int len) {
        SkBuff skb = new SkBuff(null);
        skb.init(head, offset, len, false);
        return skb;
    }

    /**
     * {@code napi_build_skb}: sets up a fresh (or cached) skb whose linear head is {@code length}
     * bytes at {@code offset} of {@code headNetmem}, taking over the caller's reference on it; with
     * {@code recycle} the skb is marked for page-pool recycling. Caller: the skb's owner (a driver's
     * NAPI for skbs from its {@link SkbCache}).
     *
     * @throws IllegalArgumentException if the range is outside the buffer, or the head is unreadable
     */
    public void init(NetIov headNetmem, int offset, int length, boolean recycle) {
        if (!headNetmem.type().readable()) {
            throw new IllegalArgumentException("an skb head must be in readable host memory: " + headNetmem);
        }
        checkRange(headNetmem, offset, length);
        head = headNetmem;
        data = offset;
        headlen = length;
        len = length;
        truesize = headNetmem.size();
        nrFrags = 0;
        ppRecycle = recycle;
        unreadable = false;
        cloned = false;
        consumed = 0;
        tcpFlags = 0;
        live = true;
    }

    private static void checkRange(NetIov netmem, int offset, int size) {
        if (offset < 0 || size < 0 || (long) offset + size > netmem.size()) {
            throw new IllegalArgumentException("range [" + offset + ", " + ((long) offset + size)
                    + ") is outside the " + netmem.size() + "-byte buffer " + netmem);
        }
    }

    /**
     * The next skb on the list that owns this one (a socket's receive queue, the skb cache); one
     * list at a time. Caller: the list's owner.
     */
    public SkBuff next() {
        return next;
    }

    /** Links {@code n} after this skb on its owner's list. Caller: the list's owner. */
    public void setNext(SkBuff n) {
        next = n;
    }

    /** Bytes of this skb a receiving socket has already consumed (its read offset). Caller: the socket. */
    public int consumed() {
        return consumed;
    }

    /** The TCP flags the stack read from the headers ({@code TCP_SKB_CB(skb)->tcp_flags}); 0 before. */
    public int tcpFlags() {
        return tcpFlags;
    }

    /** Records the segment's TCP flags. Caller: the stack, before it pulls the headers. */
    public void setTcpFlags(int flags) {
        tcpFlags = flags;
    }

    /** Advances {@link #consumed()} by {@code n} bytes. Caller: the socket holding the skb. */
    public void consume(int n) {
        consumed += n;
    }

    /** {@code skb_mark_for_recycle}: from now on, free returns head and frags to their page pools. */
    public void markForRecycle() {
        ppRecycle = true;
    }

    /**
     * {@code skb_add_rx_frag}: appends a frag; the skb takes over the caller's reference on
     * {@code netmem}. Marks the skb unreadable if the memory is unreadable.
     *
     * @throws IllegalStateException    if the skb already has {@link #MAX_SKB_FRAGS} frags
     * @throws IllegalArgumentException if the range is outside the buffer
     */
    public void addRxFrag(NetIov netmem, int offset, int size) {
        checkLive();
        if (nrFrags == MAX_SKB_FRAGS) {
            throw new IllegalStateException("skb already has " + MAX_SKB_FRAGS + " frags");
        }
        checkRange(netmem, offset, size);
        int i = nrFrags++;
        fragNetmem[i] = netmem;
        fragOff[i] = offset;
        fragLen[i] = size;
        len += size;
        truesize += netmem.size();
        if (!netmem.type().readable()) {
            unreadable = true;
        }
    }

    /** {@code skb->len}: linear plus frag bytes. */
    public int len() {
        return len;
    }

    /**
     * {@code skb->truesize}: the memory the skb pins, the size of every buffer it references (a
     * 4 KiB buffer holding 100 bytes costs 4 KiB). Socket receive buffers are charged this.
     */
    public int truesize() {
        return truesize;
    }

    /** {@code skb_headlen}: the linear bytes. */
    public int headlen() {
        return headlen;
    }

    /** The buffer holding the linear head. */
    public NetIov head() {
        return head;
    }

    /** Where the linear bytes start in {@link #head()} ({@code skb->data}). */
    public int headOffset() {
        return data;
    }

    /** {@code skb_shinfo(skb)->nr_frags}. */
    public int nrFrags() {
        return nrFrags;
    }

    /** The netmem of frag {@code i}. */
    public NetIov fragNetmem(int i) {
        checkFrag(i);
        return fragNetmem[i];
    }

    /** {@code skb_frag_off}: offset of frag {@code i} in its netmem. */
    public int fragOffset(int i) {
        checkFrag(i);
        return fragOff[i];
    }

    /** {@code skb_frag_size}. */
    public int fragSize(int i) {
        checkFrag(i);
        return fragLen[i];
    }

    private void checkFrag(int i) {
        if (i < 0 || i >= nrFrags) {
            throw new IndexOutOfBoundsException("frag " + i + " of " + nrFrags);
        }
    }

    /** {@code skb->pp_recycle}. */
    public boolean ppRecycle() {
        return ppRecycle;
    }

    /** {@code !skb_frags_readable(skb)}: some frag is in unreadable provider memory. */
    public boolean unreadable() {
        return unreadable;
    }

    /** {@code skb_cloned}: this skb or a clone of it shares the data. */
    public boolean cloned() {
        return cloned;
    }

    /**
     * {@code __skb_pull}: drops {@code n} bytes from the front of the linear part (the stack
     * consuming protocol headers).
     *
     * @throws IllegalArgumentException if {@code n} exceeds {@link #headlen()}
     */
    public void pull(int n) {
        checkLive();
        if (n < 0 || n > headlen) {
            throw new IllegalArgumentException("cannot pull " + n + " of " + headlen + " linear bytes");
        }
        data += n;
        headlen -= n;
        len -= n;
    }

    /**
     * {@code skb_copy_bits}: copies {@code length} bytes from {@code offset} of the skb into
     * {@code dst}. Any thread holding the skb.
     *
     * @throws ErrnoException {@link Errno#EFAULT} if the range touches a frag in unreadable memory
     * @throws IndexOutOfBoundsException if the range is outside the skb
     */
    public void copyBits(int offset, MemorySegment dst, long dstOffset, int length) {
        checkLive();
        if (offset < 0 || length < 0 || (long) offset + length > len) {
            throw new IndexOutOfBoundsException("range [" + offset + ", " + ((long) offset + length)
                    + ") is outside the " + len + "-byte skb");
        }
        int end = offset + length;
        if (offset < headlen) {
            int n = Math.min(headlen, end) - offset;
            MemorySegment.copy(head.segment(), data + offset, dst, dstOffset, n);
            dstOffset += n;
        }
        int pos = headlen;
        for (int i = 0; i < nrFrags && pos < end; i++) {
            int fEnd = pos + fragLen[i];
            if (fEnd > offset) {
                int from = Math.max(offset, pos);
                int n = Math.min(fEnd, end) - from;
                NetIov niov = fragNetmem[i];
                if (!niov.type().readable()) {
                    throw unreadableFrag(i, niov);
                }
                MemorySegment.copy(niov.segment(), fragOff[i] + (from - pos), dst, dstOffset, n);
                dstOffset += n;
            }
            pos = fEnd;
        }
    }

    static ErrnoException unreadableFrag(int i, NetIov niov) {
        return Errno.EFAULT.exception("skb frag " + i + " is unreadable " + niov.type() + " memory");
    }

    /**
     * {@code skb_clone}: a new skb sharing head and frags; each shared buffer takes one more
     * reference ({@link PagePool#refNetmem} for recycled skbs, {@link NetIov#getPage()} otherwise), so
     * each skb is freed on its own. Both are then {@link #cloned()}. Any thread holding the skb.
     */
    public SkBuff cloneSkb() {
        checkLive();
        SkBuff c = new SkBuff(null);
        ref(head);
        c.head = head;
        c.data = data;
        c.headlen = headlen;
        c.len = len;
        c.truesize = truesize;
        c.nrFrags = nrFrags;
        for (int i = 0; i < nrFrags; i++) {
            ref(fragNetmem[i]);
            c.fragNetmem[i] = fragNetmem[i];
            c.fragOff[i] = fragOff[i];
            c.fragLen[i] = fragLen[i];
        }
        c.ppRecycle = ppRecycle;
        c.unreadable = unreadable;
        c.cloned = true;
        c.live = true;
        cloned = true;
        return c;
    }

    private void ref(NetIov netmem) {
        if (ppRecycle) {
            PagePool.refNetmem(netmem);
        } else {
            netmem.getPage();
        }
    }

    /**
     * {@code skb_try_coalesce}: moves {@code from}'s frags to the end of {@code to}. Refused when
     * {@code to} is cloned, the recycle marks differ (the mark is per skb, so a mixed skb
     * would put non-pool pages into a pool, or pool pages to the page allocator), the readability
     * differs, {@code from} still has linear bytes, or the frags do not fit. On success
     * {@code from} keeps only its head and the caller frees it.
     *
     * @return whether the frags moved
     */
    public static boolean tryCoalesce(SkBuff to, SkBuff from) {
        to.checkLive();
        from.checkLive();
        if (to.cloned || from.cloned) {
            return false;
        }
        if (to.ppRecycle != from.ppRecycle) {
            return false;
        }
        if (to.unreadable != from.unreadable) {
            return false;
        }
        if (from.headlen != 0 || to.nrFrags + from.nrFrags > MAX_SKB_FRAGS) {
            return false;
        }
        for (int i = 0; i < from.nrFrags; i++) {
            to.addRxFrag(from.fragNetmem[i], from.fragOff[i], from.fragLen[i]);
            from.fragNetmem[i] = null;
        }
        from.len = 0;
        from.nrFrags = 0;
        return true;
    }

    /**
     * {@code kfree_skb}: drops the head's and every frag's reference through the single put path and
     * returns the skb object to its cache. Any thread; on the thread running the pools' NAPI the
     * buffers recycle NAPI-locally into the fast cache, elsewhere into the ring.
     *
     * @throws IllegalStateException if the skb was already freed
     */
    public void free() {
        checkLive();
        live = false;
        put(head);
        head = null;
        for (int i = 0; i < nrFrags; i++) {
            put(fragNetmem[i]);
            fragNetmem[i] = null;
        }
        nrFrags = 0;
        if (cache != null) {
            cache.release(this);
        }
    }

    /** {@code skb_page_unref}: a recycled skb's buffer goes through its pool ({@code napi_pp_put_page}), else it is a plain page. */
    private void put(NetIov netmem) {
        if (!ppRecycle || !PagePool.napiPpPutPage(netmem)) {
            netmem.putPage();
        }
    }

    private void checkLive() {
        if (!live) {
            throw new IllegalStateException("skb is freed");
        }
    }

    @Override
    public String toString() {
        return "SkBuff[len=" + len + ", headlen=" + headlen + ", frags=" + nrFrags + ", ppRecycle=" + ppRecycle
                + ", unreadable=" + unreadable + "]";
    }
}
