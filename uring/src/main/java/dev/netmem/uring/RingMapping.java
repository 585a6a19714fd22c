package dev.netmem.uring;

import static dev.netmem.uring.IoUringDescriptor.IORING_FEAT_SINGLE_MMAP;
import static dev.netmem.uring.IoUringDescriptor.IORING_OFF_CQ_RING;
import static dev.netmem.uring.IoUringDescriptor.IORING_OFF_SQES;
import static dev.netmem.uring.IoUringDescriptor.IORING_OFF_SQ_RING;
import static dev.netmem.uring.IoUringDescriptor.IORING_SETUP_CQSIZE;
import static dev.netmem.uring.IoUringDescriptor.IORING_SETUP_NO_SQARRAY;
import static dev.netmem.uring.IoUringDescriptor.IO_URING_CQE;
import static dev.netmem.uring.IoUringDescriptor.IO_URING_PARAMS;
import static dev.netmem.uring.IoUringDescriptor.IO_URING_SQE;
import static dev.netmem.uring.IoUringDescriptor.PARAMS_CQ_ENTRIES;
import static dev.netmem.uring.IoUringDescriptor.PARAMS_FEATURES;
import static dev.netmem.uring.IoUringDescriptor.PARAMS_FLAGS;
import static dev.netmem.uring.IoUringDescriptor.PARAMS_SQ_ENTRIES;
import static dev.netmem.uring.IoUringDescriptor.U32;
import static dev.netmem.uring.IoUringDescriptor.cqOff;
import static dev.netmem.uring.IoUringDescriptor.sqOff;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import dev.netmem.api.Errno;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * {@code io_uring_setup} with the flag fallback, and the three mappings of a ring (SQ ring, CQ ring
 * unless {@link IoUringDescriptor#IORING_FEAT_SINGLE_MMAP}, SQEs), as liburing's
 * {@code io_uring_queue_init_params} and {@code io_uring_mmap} do. Cold path only.
 */
final class RingMapping {
    final int fd;
    final int setupFlags;
    final int features;
    final int sqEntries;
    final int cqEntries;
    /** The params as the kernel returned them: ring offsets are read from here. */
    final MemorySegment params;
    final long sqRingAddr;
    final long sqRingLen;
    /** 0 when the CQ ring shares the SQ ring's mapping. */
    final long cqRingAddr;
    final long cqRingLen;
    final long sqesAddr;
    final long sqesLen;

    private RingMapping(int fd, MemorySegment params, long sqRingAddr, long sqRingLen, long cqRingAddr,
                        long cqRingLen, long sqesAddr, long sqesLen) {
        this.fd = fd;
        this.params = params;
        this.setupFlags = (int) PARAMS_FLAGS.get(params, 0L);
        this.features = (int) PARAMS_FEATURES.get(params, 0L);
        this.sqEntries = (int) PARAMS_SQ_ENTRIES.get(params, 0L);
        this.cqEntries = (int) PARAMS_CQ_ENTRIES.get(params, 0L);
        this.sqRingAddr = sqRingAddr;
        this.sqRingLen = sqRingLen;
        this.cqRingAddr = cqRingAddr;
        this.cqRingLen = cqRingLen;
        this.sqesAddr = sqesAddr;
        this.sqesLen = sqesLen;
    }

    /** Offset of an {@code io_sqring_offsets} field inside the SQ ring mapping. */
    long sq(String field) {
        return Integer.toUnsignedLong(params.get(JAVA_INT, sqOff(field)));
    }

    /** Offset of an {@code io_cqring_offsets} field inside the CQ ring mapping. */
    long cq(String field) {
        return Integer.toUnsignedLong(params.get(JAVA_INT, cqOff(field)));
    }

    /**
     * Sets up a ring and maps it; the params segment is allocated in {@code arena}.
     *
     * @throws SyscallException when setup fails with anything but a droppable flag's {@code EINVAL},
     *                          or a mapping fails (the fd is closed then)
     */
    static RingMapping create(Kernel kernel, IoUringParams p, Arena arena) {
        MemorySegment params = arena.allocate(IO_URING_PARAMS);
        int wanted = p.setupFlags();
        int fd;
        while (true) {
            params.fill((byte) 0);
            PARAMS_CQ_ENTRIES.set(params, 0L, p.cqEntries());
            PARAMS_FLAGS.set(params, 0L, wanted);
            fd = kernel.setup(p.sqEntries(), params);
            if (fd >= 0) {
                break;
            }
            int drop = fd == Errno.EINVAL.value() ? droppable(wanted) : 0;
            if (drop == 0) {
                throw new SyscallException("io_uring_setup", fd,
                        "entries=" + p.sqEntries() + ", cq_entries=" + p.cqEntries() + ", flags=0x" + Integer.toHexString(wanted));
            }
            wanted &= ~drop;
        }
        PARAMS_FLAGS.set(params, 0L, wanted); // what the kernel accepted (it leaves flags as given)
        try {
            return map(kernel, fd, params);
        } catch (RuntimeException e) {
            kernel.close(fd);
            throw e;
        }
    }

    private static int droppable(int flags) {
        for (int f : IoUringParams.FALLBACK_ORDER) {
            if ((flags & f) != 0) {
                return f;
            }
        }
        return 0;
    }

    private static RingMapping map(Kernel kernel, int fd, MemorySegment params) {
        int flags = (int) PARAMS_FLAGS.get(params, 0L);
        int features = (int) PARAMS_FEATURES.get(params, 0L);
        int sqEntries = (int) PARAMS_SQ_ENTRIES.get(params, 0L);
        int cqEntries = (int) PARAMS_CQ_ENTRIES.get(params, 0L);
        long sqLen = Integer.toUnsignedLong(params.get(JAVA_INT, sqOff("array"))) + sqEntries * 4L;
        long cqLen = Integer.toUnsignedLong(params.get(JAVA_INT, cqOff("cqes"))) + cqEntries * IO_URING_CQE.byteSize();
        boolean single = (features & IORING_FEAT_SINGLE_MMAP) != 0;
        if (single) {
            sqLen = Math.max(sqLen, cqLen);
            cqLen = sqLen;
        }
        long sqAddr = mmap(kernel, sqLen, fd, IORING_OFF_SQ_RING, "SQ ring");
        long cqAddr = 0;
        try {
            if (!single) {
                cqAddr = mmap(kernel, cqLen, fd, IORING_OFF_CQ_RING, "CQ ring");
            }
            long sqesLen = sqEntries * IO_URING_SQE.byteSize();
            long sqesAddr = mmap(kernel, sqesLen, fd, IORING_OFF_SQES, "SQE array");
            RingMapping m = new RingMapping(fd, params, sqAddr, sqLen, cqAddr, cqLen, sqesAddr, sqesLen);
            if ((flags & IORING_SETUP_NO_SQARRAY) == 0) {
                m.identitySqArray();
            }
            assert (flags & IORING_SETUP_CQSIZE) != 0;
            return m;
        } catch (RuntimeException e) {
            kernel.munmap(sqAddr, sqLen);
            if (cqAddr != 0) {
                kernel.munmap(cqAddr, cqLen);
            }
            throw e;
        }
    }

    private static long mmap(Kernel kernel, long len, int fd, long offset, String what) {
        long addr = kernel.mmap(len, fd, offset);
        if (addr < 0 && addr >= -4095) {
            throw new SyscallException("mmap", (int) addr, what + " of io_uring fd " + fd + ", " + len + " bytes");
        }
        return addr;
    }

    /** Without NO_SQARRAY the SQ ring holds an index array: SQE i is always at index i, as liburing does. */
    @SuppressWarnings("restricted") // a sized view of the kernel's SQ ring mapping
    private void identitySqArray() {
        MemorySegment ring = MemorySegment.ofAddress(sqRingAddr).reinterpret(sqRingLen);
        long array = sq("array");
        for (int i = 0; i < sqEntries; i++) {
            U32.set(ring, array + 4L * i, i);
        }
    }

    /** Unmaps everything and closes the fd; errors are ignored (nothing is left to do about them). */
    void unmapAndClose(Kernel kernel) {
        kernel.munmap(sqesAddr, sqesLen);
        if (cqRingAddr != 0) {
            kernel.munmap(cqRingAddr, cqRingLen);
        }
        kernel.munmap(sqRingAddr, sqRingLen);
        kernel.close(fd);
    }
}
