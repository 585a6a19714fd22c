package dev.netmem.uring;

import static dev.netmem.uring.IoUringDescriptor.BUF_ADDR;
import static dev.netmem.uring.IoUringDescriptor.BUF_BID;
import static dev.netmem.uring.IoUringDescriptor.BUF_LEN;
import static dev.netmem.uring.IoUringDescriptor.BUF_REG_BGID;
import static dev.netmem.uring.IoUringDescriptor.BUF_REG_FLAGS;
import static dev.netmem.uring.IoUringDescriptor.BUF_REG_RING_ADDR;
import static dev.netmem.uring.IoUringDescriptor.BUF_REG_RING_ENTRIES;
import static dev.netmem.uring.IoUringDescriptor.BUF_RING_MAX_ENTRIES;
import static dev.netmem.uring.IoUringDescriptor.BUF_RING_TAIL_OFFSET;
import static dev.netmem.uring.IoUringDescriptor.BUF_STATUS_BUF_GROUP;
import static dev.netmem.uring.IoUringDescriptor.BUF_STATUS_HEAD;
import static dev.netmem.uring.IoUringDescriptor.IORING_CQE_BUFFER_SHIFT;
import static dev.netmem.uring.IoUringDescriptor.IORING_CQE_F_BUFFER;
import static dev.netmem.uring.IoUringDescriptor.IORING_REGISTER_PBUF_RING;
import static dev.netmem.uring.IoUringDescriptor.IORING_REGISTER_PBUF_STATUS;
import static dev.netmem.uring.IoUringDescriptor.IORING_UNREGISTER_PBUF_RING;
import static dev.netmem.uring.IoUringDescriptor.IOU_PBUF_RING_INC;
import static dev.netmem.uring.IoUringDescriptor.IO_URING_BUF;
import static dev.netmem.uring.IoUringDescriptor.IO_URING_BUF_REG;
import static dev.netmem.uring.IoUringDescriptor.IO_URING_BUF_STATUS;
import static dev.netmem.uring.IoUringDescriptor.U16;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * A provided-buffer ring ({@code struct io_buffer_list} with {@code IORING_REGISTER_PBUF_RING}): the
 * application posts buffers, the kernel picks them in order for receives with buffer select and
 * names them in CQEs. It plays an RX descriptor ring: {@link #add} + {@link #advance} are the refill,
 * {@link #consume} turns a completion back into buffers.
 *
 * <p>The ring memory is this object's (page aligned, {@code entries × 16} bytes, freed on
 * {@link #close()}); the buffers are the caller's: any address and length with a 16-bit id.
 *
 * <p><b>Threads.</b> The ring's owner thread does everything (registration goes through
 * {@code io_uring_register}, which SINGLE_ISSUER restricts to the submitter task; and this is a
 * single-producer ring). Checked with asserts.
 *
 * <p><b>Accounting.</b> The application keeps a mirror of the kernel's head: {@link #consume} must see
 * every CQE that carries {@code IORING_CQE_F_BUFFER}, in CQ order, for {@link #free()} to be right
 * and for bundles and incremental buffers to map to buffer ids.
 *
 * <p><b>Lifecycle.</b> {@code REGISTERED → UNREGISTERED → CLOSED}. Unregister only when no request
 * may still select from the ring (cancel, then reap until the CQE without {@code F_MORE}); after
 * {@link #unregister()} the kernel holds no reference to the ring or its buffers, so they may go home.
 */
public final class BufRing implements AutoCloseable {
    private static final long PAGE = 4096;
    private static final long SLOT = IO_URING_BUF.byteSize();

    private final IoUring ring;
    private final Arena arena;
    private final MemorySegment mem;
    private final int bgid;
    private final int entries;
    private final int mask;
    private final int flags;
    private final boolean inc;
    /** What {@link #add} put in each slot: the bundle walk and incremental offsets need it. */
    private final int[] slotBid;
    private final int[] slotLen;

    private int tail;
    private int head;
    private int headOffset;
    private boolean registered;
    private boolean closed;

    private BufRing(IoUring ring, int bgid, int entries, int flags) {
        this.ring = ring;
        this.bgid = bgid;
        this.entries = entries;
        this.mask = entries - 1;
        this.flags = flags;
        this.inc = (flags & IOU_PBUF_RING_INC) != 0;
        this.slotBid = new int[entries];
        this.slotLen = new int[entries];
        this.arena = Arena.ofShared();
        this.mem = arena.allocate(Math.max(PAGE, entries * SLOT), PAGE);
    }

    /**
     * Allocates ring memory and registers it as buffer group {@code bgid}. Owner thread only.
     *
     * @param entries a power of two in [1, 32768]
     * @param flags   0 or {@link IoUringDescriptor#IOU_PBUF_RING_INC}
     * @throws SyscallException e.g. {@code EEXIST} when the group is taken, {@code EINVAL} on a kernel
     *                          without buffer rings (or without INC)
     */
    public static BufRing register(IoUring ring, int bgid, int entries, int flags) {
        if (entries < 1 || entries > BUF_RING_MAX_ENTRIES || Integer.bitCount(entries) != 1) {
            throw new IllegalArgumentException("entries must be a power of two in [1, 32768]: entries=" + entries);
        }
        if (bgid < 0 || bgid > 0xffff) {
            throw new IllegalArgumentException("bgid must be in [0, 65535]: bgid=" + bgid);
        }
        if ((flags & ~IOU_PBUF_RING_INC) != 0) {
            throw new IllegalArgumentException("unsupported buffer ring flags: 0x" + Integer.toHexString(flags)
                    + " (only IOU_PBUF_RING_INC; the ring memory is always the application's)");
        }
        assert ring.isOwnerThread() : "not the ring's owner thread";
        BufRing br = new BufRing(ring, bgid, entries, flags);
        try {
            int r = br.regCall(IORING_REGISTER_PBUF_RING, br.mem.address());
            if (r < 0) {
                throw new SyscallException("IORING_REGISTER_PBUF_RING", r,
                        "bgid=" + bgid + ", entries=" + entries + ", flags=0x" + Integer.toHexString(flags));
            }
        } catch (RuntimeException e) {
            br.arena.close();
            throw e;
        }
        br.registered = true;
        return br;
    }

    /** Registration names the ring; unregistration only the group (the kernel rejects flags there). */
    private int regCall(int opcode, long ringAddr) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment reg = a.allocate(IO_URING_BUF_REG);
            BUF_REG_BGID.set(reg, 0L, (short) bgid);
            if (opcode == IORING_REGISTER_PBUF_RING) {
                BUF_REG_RING_ADDR.set(reg, 0L, ringAddr);
                BUF_REG_RING_ENTRIES.set(reg, 0L, entries);
                BUF_REG_FLAGS.set(reg, 0L, (short) flags);
            }
            return ring.register(opcode, reg.address(), 1);
        }
    }

    // ---- producer: refill -----------------------------------------------------------------------

    /**
     * Writes a buffer into the slot {@code offset} places after the tail ({@code io_uring_buf_ring_add});
     * the kernel sees it after {@link #advance}. Never writes bytes 14..15 of a slot (slot 0's are
     * the tail). Owner only.
     *
     * @param offset 0 for the first buffer of a batch, 1 for the next, ... below {@link #free()}
     */
    public void add(long addr, int len, int bid, int offset) {
        assert ring.isOwnerThread() : "not the ring's owner thread";
        if (len <= 0 || (bid & ~0xffff) != 0 || offset < 0 || offset >= free()) {
            throw badAdd(len, bid, offset, free());
        }
        int slot = (tail + offset) & mask;
        long base = slot * SLOT;
        BUF_ADDR.set(mem, base, addr);
        BUF_LEN.set(mem, base, len);
        BUF_BID.set(mem, base, (short) bid);
        slotBid[slot] = bid;
        slotLen[slot] = len;
    }

    /** {@link #add(long, int, int, int)} for a native segment: its address and size. */
    public void add(MemorySegment buffer, int bid, int offset) {
        add(buffer.address(), Math.toIntExact(buffer.byteSize()), bid, offset);
    }

    private static IllegalArgumentException badAdd(int len, int bid, int offset, int free) {
        return new IllegalArgumentException("bad buffer ring add: len=" + len + ", bid=" + bid + ", offset=" + offset
                + ", free=" + free + " (need len > 0, bid in [0, 65535], offset in [0, free))");
    }

    /**
     * Publishes {@code count} added buffers: a store-release of the tail
     * ({@code io_uring_buf_ring_advance}). Owner only.
     */
    public void advance(int count) {
        assert ring.isOwnerThread() : "not the ring's owner thread";
        if (count < 0 || count > free()) {
            throw new IllegalArgumentException("bad buffer ring advance: count=" + count + ", free=" + free());
        }
        tail += count;
        U16.setRelease(mem, BUF_RING_TAIL_OFFSET, (short) tail); // pairs with the kernel's smp_load_acquire(&br->tail)
    }

    // ---- consumer mirror ------------------------------------------------------------------------

    /**
     * Maps one CQE to the buffers it filled, in order, and advances the head mirror: one buffer for
     * a plain receive; consecutive slots for a bundle (all full but the last); with
     * {@code IOU_PBUF_RING_INC} a part of a buffer that stays the kernel's while
     * {@code IORING_CQE_F_BUF_MORE} is set. A CQE without {@code IORING_CQE_F_BUFFER} consumed
     * nothing. Allocates nothing. Owner only.
     *
     * @return how many buffers were finished (handed back to the application)
     * @throws IllegalStateException when the CQE's buffer id is not the one at the head mirror
     */
    public int consume(int res, int cqeFlags, BufConsumer consumer) {
        assert ring.isOwnerThread() : "not the ring's owner thread";
        if ((cqeFlags & IORING_CQE_F_BUFFER) == 0) {
            return 0;
        }
        int bid = cqeFlags >>> IORING_CQE_BUFFER_SHIFT;
        if (head == tail || slotBid[head & mask] != bid) {
            throw outOfSync(bid);
        }
        int remaining = Math.max(res, 0);
        int finished = 0;
        do {
            int slot = head & mask;
            int offset = headOffset;
            int avail = slotLen[slot] - offset;
            int take = Math.min(remaining, avail);
            remaining -= take;
            boolean done = !inc || take == avail;
            if (done) {
                head++;
                headOffset = 0;
                finished++;
            } else {
                headOffset = offset + take;
            }
            consumer.onBuffer(slotBid[slot], offset, take, done);
            if (remaining > 0 && head == tail) {
                throw outOfSync(bid);
            }
        } while (remaining > 0);
        return finished;
    }

    private IllegalStateException outOfSync(int bid) {
        return new IllegalStateException("buffer ring " + bgid + " out of sync: CQE names bid " + bid
                + ", head mirror " + head + " holds " + (head == tail ? "nothing" : "bid " + slotBid[head & mask])
                + ", tail " + tail + " (every buffer CQE must pass through consume, in CQ order)");
    }

    // ---- state --------------------------------------------------------------------------------

    /** Slots the application may fill now: {@code entries - (tail - head)}. */
    public int free() {
        return entries - (tail - head);
    }

    /** Buffers posted and not yet finished ({@code tail - head}). */
    public int posted() {
        return tail - head;
    }

    /** The tail the application published, as a running count (the kernel sees its low 16 bits). */
    public int tail() {
        return tail;
    }

    /** The head mirror, as a running count: buffers {@link #consume} finished. */
    public int head() {
        return head;
    }

    /** The tail as published in the ring memory (bytes 14..15 of slot 0). */
    short tailInMemory() {
        return (short) U16.getAcquire(mem, BUF_RING_TAIL_OFFSET);
    }

    /** The buffer group id. */
    public int bgid() {
        return bgid;
    }

    /** The ring size. */
    public int entries() {
        return entries;
    }

    /** The registration flags. */
    public int flags() {
        return flags;
    }

    /**
     * The kernel's head ({@code IORING_REGISTER_PBUF_STATUS}, Linux 6.8): the low 16 bits of the
     * running count of slots it consumed. Owner only.
     *
     * @throws SyscallException {@code EINVAL} on kernels without the opcode
     */
    public int kernelHead() {
        assert ring.isOwnerThread() : "not the ring's owner thread";
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = a.allocate(IO_URING_BUF_STATUS);
            BUF_STATUS_BUF_GROUP.set(st, 0L, bgid);
            IoUring.check(ring.register(IORING_REGISTER_PBUF_STATUS, st.address(), 1), "IORING_REGISTER_PBUF_STATUS");
            return (int) BUF_STATUS_HEAD.get(st, 0L) & 0xffff;
        }
    }

    /** Whether the kernel still has this ring registered. */
    public boolean isRegistered() {
        return registered;
    }

    /**
     * {@code IORING_UNREGISTER_PBUF_RING}: the kernel drops the ring and every buffer on it. Owner
     * only; see the class comment for when it is safe.
     */
    public void unregister() {
        assert ring.isOwnerThread() : "not the ring's owner thread";
        if (!registered) {
            throw new IllegalStateException("buffer ring " + bgid + " is not registered");
        }
        int r = regCall(IORING_UNREGISTER_PBUF_RING, 0L);
        if (r < 0) {
            throw new SyscallException("IORING_UNREGISTER_PBUF_RING", r, "bgid=" + bgid);
        }
        registered = false;
    }

    /**
     * Unregisters if still registered and the ring is open (a closed ring released it), then frees the
     * ring memory. Idempotent. If unregistration fails the memory is kept, since the kernel may
     * still read slots from it.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        if (registered && !ring.isClosed()) {
            unregister();
        }
        registered = false;
        closed = true;
        arena.close();
    }

    @Override
    public String toString() {
        return "BufRing[bgid=" + bgid + ", entries=" + entries + ", flags=0x" + Integer.toHexString(flags)
                + ", head=" + head + ", tail=" + tail + "]";
    }
}
