package dev.netmem.uring;

import static dev.netmem.uring.IoUringDescriptor.CQE_FLAGS;
import static dev.netmem.uring.IoUringDescriptor.CQE_RES;
import static dev.netmem.uring.IoUringDescriptor.CQE_USER_DATA;
import static dev.netmem.uring.IoUringDescriptor.U32;

import java.lang.foreign.MemorySegment;

/**
 * The CQ ring of one {@link IoUring}, as liburing's {@code struct io_uring_cq}: the kernel produces,
 * the owner is the only consumer.
 */
final class CompletionQueue {
    private static final int CQE_SHIFT = 4; // 16-byte CQEs: netmem never sets IORING_SETUP_CQE32

    private final MemorySegment ring;
    private final long headOff;
    private final long tailOff;
    private final long overflowOff;
    private final long cqesOff;
    private final int mask;
    /** The owner's copy of the head it last released. */
    private int head;

    CompletionQueue(RingMapping m, MemorySegment ring) {
        this.ring = ring;
        this.headOff = m.cq("head");
        this.tailOff = m.cq("tail");
        this.overflowOff = m.cq("overflow");
        this.cqesOff = m.cq("cqes");
        this.mask = (int) U32.get(ring, m.cq("ring_mask"));
        this.head = (int) U32.get(ring, headOff);
    }

    /**
     * Hands the CQEs ready now to {@code handler}, then releases their slots to the kernel with one
     * store; a CQE whose handler throws counts as consumed. Returns how many were handled.
     */
    int drain(CqeHandler handler) {
        int start = head;
        int h = start;
        int tail = (int) U32.getAcquire(ring, tailOff); // pairs with the kernel's smp_store_release of cq.tail
        try {
            while (h != tail) {
                long cqe = cqesOff + ((long) (h & mask) << CQE_SHIFT);
                long userData = (long) CQE_USER_DATA.get(ring, cqe);
                int res = (int) CQE_RES.get(ring, cqe);
                int flags = (int) CQE_FLAGS.get(ring, cqe);
                h++;
                handler.onCqe(userData, res, flags);
            }
        } finally {
            head = h;
            U32.setRelease(ring, headOff, h); // pairs with the kernel's acquire of cq.head before it reuses slots
        }
        return h - start;
    }

    int ready() {
        return (int) U32.getAcquire(ring, tailOff) - head;
    }

    int overflow() {
        return (int) U32.getAcquire(ring, overflowOff);
    }
}
