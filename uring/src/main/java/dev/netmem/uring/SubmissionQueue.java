package dev.netmem.uring;

import static dev.netmem.uring.IoUringDescriptor.IO_URING_SQE;
import static dev.netmem.uring.IoUringDescriptor.SQE_ADDR;
import static dev.netmem.uring.IoUringDescriptor.SQE_BUF_GROUP;
import static dev.netmem.uring.IoUringDescriptor.SQE_FD;
import static dev.netmem.uring.IoUringDescriptor.SQE_FLAGS;
import static dev.netmem.uring.IoUringDescriptor.SQE_IOPRIO;
import static dev.netmem.uring.IoUringDescriptor.SQE_LEN;
import static dev.netmem.uring.IoUringDescriptor.SQE_MSG_FLAGS;
import static dev.netmem.uring.IoUringDescriptor.SQE_OFF;
import static dev.netmem.uring.IoUringDescriptor.SQE_OPCODE;
import static dev.netmem.uring.IoUringDescriptor.SQE_USER_DATA;
import static dev.netmem.uring.IoUringDescriptor.U32;
import static dev.netmem.uring.IoUringDescriptor.U64;

import java.lang.foreign.MemorySegment;

/**
 * The SQ ring and SQE array of one {@link IoUring}, as liburing's {@code struct io_uring_sq}: the
 * owner is the only producer, the kernel consumes inside {@code io_uring_enter}. SQE {@code i} is
 * always at index {@code i} (NO_SQARRAY, or the identity array {@link RingMapping} wrote).
 */
final class SubmissionQueue {
    private static final long SQE_SIZE = IO_URING_SQE.byteSize();

    private final MemorySegment ring;
    private final MemorySegment sqes;
    private final long headOff;
    private final long tailOff;
    private final long flagsOff;
    private final long droppedOff;
    private final int mask;
    private final int entries;
    /** The next SQE to hand out; published to the kernel by {@link #flush()}. */
    private int sqeTail;

    SubmissionQueue(RingMapping m, MemorySegment ring, MemorySegment sqes) {
        this.ring = ring;
        this.sqes = sqes;
        this.headOff = m.sq("head");
        this.tailOff = m.sq("tail");
        this.flagsOff = m.sq("flags");
        this.droppedOff = m.sq("dropped");
        this.mask = (int) U32.get(ring, m.sq("ring_mask"));
        this.entries = (int) U32.get(ring, m.sq("ring_entries"));
        this.sqeTail = (int) U32.get(ring, tailOff);
    }

    int entries() {
        return entries;
    }

    /** A zeroed SQE's index, or -1 when all entries wait for the kernel. */
    int next() {
        int head = (int) U32.getAcquire(ring, headOff); // pairs with the kernel's smp_store_release of sq.head
        int tail = sqeTail;
        if (tail - head >= entries) {
            return -1;
        }
        sqeTail = tail + 1;
        int index = tail & mask;
        long base = index * SQE_SIZE;
        for (long o = 0; o < SQE_SIZE; o += 8) {
            U64.set(sqes, base + o, 0L);
        }
        return index;
    }

    /** Publishes the prepared SQEs; returns how many the kernel has not consumed yet. */
    int flush() {
        U32.setRelease(ring, tailOff, sqeTail); // pairs with the kernel's smp_load_acquire(&rings->sq.tail)
        return sqeTail - (int) U32.getAcquire(ring, headOff);
    }

    int flags() {
        return (int) U32.getAcquire(ring, flagsOff);
    }

    int dropped() {
        return (int) U32.getAcquire(ring, droppedOff);
    }

    /** {@code io_uring_prep_rw}: the fields every operation sets; the SQE was zeroed by {@link #next()}. */
    long prep(int sqe, int opcode, int fd, long addr, int len, long off, long userData) {
        long base = sqe * SQE_SIZE;
        SQE_OPCODE.set(sqes, base, (byte) opcode);
        SQE_FD.set(sqes, base, fd);
        SQE_ADDR.set(sqes, base, addr);
        SQE_LEN.set(sqes, base, len);
        SQE_OFF.set(sqes, base, off);
        SQE_USER_DATA.set(sqes, base, userData);
        return base;
    }

    void sqeFlags(long base, int flags) {
        SQE_FLAGS.set(sqes, base, (byte) flags);
    }

    void ioprio(long base, int ioprio) {
        SQE_IOPRIO.set(sqes, base, (short) ioprio);
    }

    /** The op-flags union at byte 28: {@code msg_flags}, {@code cancel_flags}, {@code accept_flags}. */
    void opFlags(long base, int flags) {
        SQE_MSG_FLAGS.set(sqes, base, flags);
    }

    void bufGroup(long base, int bgid) {
        SQE_BUF_GROUP.set(sqes, base, (short) bgid);
    }
}
