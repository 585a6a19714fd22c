package dev.netmem.uring;

import static dev.netmem.uring.IoUringDescriptor.*;
import static java.lang.foreign.MemoryLayout.PathElement.groupElement;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.netmem.api.Errno;
import java.lang.foreign.StructLayout;
import org.junit.jupiter.api.Test;

/**
 * Every layout offset, size and constant against the numbers in the project's IO_URING.md reference
 * (checked there with offsetof/sizeof against liburing 2.13's uapi header on Linux 6.18), typed here
 * by hand on purpose.
 */
class IoUringDescriptorTest {

    private static void offsets(StructLayout layout, long size, Object... nameOffset) {
        assertEquals(size, layout.byteSize(), layout.name().orElseThrow() + " size");
        for (int i = 0; i < nameOffset.length; i += 2) {
            String field = (String) nameOffset[i];
            long expected = ((Number) nameOffset[i + 1]).longValue();
            assertEquals(expected, layout.byteOffset(groupElement(field)), layout.name().orElseThrow() + "." + field);
        }
    }

    @Test
    void shouldMatchIoUringParams() {
        offsets(IO_URING_PARAMS, 120, "sq_entries", 0, "cq_entries", 4, "flags", 8, "sq_thread_cpu", 12,
                "sq_thread_idle", 16, "features", 20, "wq_fd", 24, "resv", 28, "sq_off", 40, "cq_off", 80);
    }

    @Test
    void shouldMatchRingOffsets() {
        offsets(IO_SQRING_OFFSETS, 40, "head", 0, "tail", 4, "ring_mask", 8, "ring_entries", 12, "flags", 16,
                "dropped", 20, "array", 24, "resv1", 28, "user_addr", 32);
        offsets(IO_CQRING_OFFSETS, 40, "head", 0, "tail", 4, "ring_mask", 8, "ring_entries", 12, "overflow", 16,
                "cqes", 20, "flags", 24, "resv1", 28, "user_addr", 32);
        assertEquals(40 + 24, sqOff("array"));
        assertEquals(80 + 20, cqOff("cqes"));
    }

    @Test
    void shouldMatchSqeAndCqe() {
        offsets(IO_URING_SQE, 64, "opcode", 0, "flags", 1, "ioprio", 2, "fd", 4, "off", 8, "addr", 16, "len", 24,
                "msg_flags", 28, "user_data", 32, "buf_group", 40, "personality", 42, "file_index", 44, "addr3", 48);
        offsets(IO_URING_CQE, 16, "user_data", 0, "res", 8, "flags", 12);
    }

    @Test
    void shouldMatchBufferRingStructs() {
        offsets(IO_URING_BUF_REG, 40, "ring_addr", 0, "ring_entries", 8, "bgid", 12, "flags", 14, "resv", 16);
        offsets(IO_URING_BUF, 16, "addr", 0, "len", 8, "bid", 12, "resv", 14);
        offsets(IO_URING_BUF_RING, 16, "tail", 14);
        assertEquals(14, BUF_RING_TAIL_OFFSET);
        offsets(IO_URING_BUF_STATUS, 40, "buf_group", 0, "head", 4, "resv", 8);
    }

    @Test
    void shouldMatchProbeAndGeteventsArg() {
        offsets(IO_URING_PROBE, 16, "last_op", 0, "ops_len", 1, "resv", 2, "resv2", 4);
        offsets(IO_URING_PROBE_OP, 8, "op", 0, "resv", 1, "flags", 2, "resv2", 4);
        offsets(IO_URING_GETEVENTS_ARG, 24, "sigmask", 0, "sigmask_sz", 8, "min_wait_usec", 12, "ts", 16);
        offsets(KERNEL_TIMESPEC, 16, "tv_sec", 0, "tv_nsec", 8);
    }

    @Test
    void shouldMatchSyscallsAndMmapOffsets() {
        assertEquals(425, NR_IO_URING_SETUP);
        assertEquals(426, NR_IO_URING_ENTER);
        assertEquals(427, NR_IO_URING_REGISTER);
        assertEquals(0L, IORING_OFF_SQ_RING);
        assertEquals(0x8000000L, IORING_OFF_CQ_RING);
        assertEquals(0x10000000L, IORING_OFF_SQES);
        assertEquals(0x80000000L, IORING_OFF_PBUF_RING);
        assertEquals(16, IORING_OFF_PBUF_SHIFT);
    }

    @Test
    void shouldMatchSetupFlags() {
        assertEquals(1 << 3, IORING_SETUP_CQSIZE);
        assertEquals(1 << 7, IORING_SETUP_SUBMIT_ALL);
        assertEquals(1 << 8, IORING_SETUP_COOP_TASKRUN);
        assertEquals(1 << 9, IORING_SETUP_TASKRUN_FLAG);
        assertEquals(1 << 11, IORING_SETUP_CQE32);
        assertEquals(1 << 12, IORING_SETUP_SINGLE_ISSUER);
        assertEquals(1 << 13, IORING_SETUP_DEFER_TASKRUN);
        assertEquals(1 << 14, IORING_SETUP_NO_MMAP);
        assertEquals(1 << 16, IORING_SETUP_NO_SQARRAY);
        assertEquals(1 << 18, IORING_SETUP_CQE_MIXED);
        // the doc's accepted combination CQSIZE|SUBMIT_ALL|SINGLE_ISSUER|DEFER_TASKRUN|NO_SQARRAY
        assertEquals(0x13088, IoUringParams.DEFAULT_FLAGS);
    }

    @Test
    void shouldMatchFeatureBits() {
        assertEquals(1, IORING_FEAT_SINGLE_MMAP);
        assertEquals(2, IORING_FEAT_NODROP);
        assertEquals(1 << 8, IORING_FEAT_EXT_ARG);
        assertEquals(1 << 14, IORING_FEAT_RECVSEND_BUNDLE);
        assertEquals(1 << 15, IORING_FEAT_MIN_TIMEOUT);
        assertEquals(1 << 17, IORING_FEAT_NO_IOWAIT);
        // the doc's feature word 0x3ffff has 18 bits: SINGLE_MMAP .. NO_IOWAIT
        int all = 0;
        for (int f : new int[] {IORING_FEAT_SINGLE_MMAP, IORING_FEAT_NODROP, IORING_FEAT_SUBMIT_STABLE,
                IORING_FEAT_RW_CUR_POS, IORING_FEAT_CUR_PERSONALITY, IORING_FEAT_FAST_POLL, IORING_FEAT_POLL_32BITS,
                IORING_FEAT_SQPOLL_NONFIXED, IORING_FEAT_EXT_ARG, IORING_FEAT_NATIVE_WORKERS, IORING_FEAT_RSRC_TAGS,
                IORING_FEAT_CQE_SKIP, IORING_FEAT_LINKED_FILE, IORING_FEAT_REG_REG_RING, IORING_FEAT_RECVSEND_BUNDLE,
                IORING_FEAT_MIN_TIMEOUT, IORING_FEAT_RW_ATTR, IORING_FEAT_NO_IOWAIT}) {
            all |= f;
        }
        assertEquals(0x3ffff, all);
    }

    @Test
    void shouldMatchOpcodesAndRecvFlags() {
        assertEquals(27, IORING_OP_RECV);
        assertEquals(58, IORING_OP_RECV_ZC);
        assertEquals(14, IORING_OP_ASYNC_CANCEL);
        assertEquals(0x20, IOSQE_BUFFER_SELECT);
        assertEquals(0x2, IORING_RECV_MULTISHOT);
        assertEquals(0x10, IORING_RECVSEND_BUNDLE);
        assertEquals(1, IORING_ASYNC_CANCEL_ALL);
        assertEquals(2, IORING_ASYNC_CANCEL_FD);
        assertEquals(4, IORING_ASYNC_CANCEL_ANY);
        // not in IO_URING.md; from the uapi header's enum io_uring_op and accept flags
        assertEquals(13, IORING_OP_ACCEPT);
        assertEquals(22, IORING_OP_READ);
        assertEquals(1, IORING_ACCEPT_MULTISHOT);
        assertEquals(12, IORING_REGISTER_ENABLE_RINGS);
        assertEquals(1 << 6, IORING_SETUP_R_DISABLED);
    }

    @Test
    void shouldMatchCqeFlags() {
        assertEquals(1, IORING_CQE_F_BUFFER);
        assertEquals(2, IORING_CQE_F_MORE);
        assertEquals(4, IORING_CQE_F_SOCK_NONEMPTY);
        assertEquals(8, IORING_CQE_F_NOTIF);
        assertEquals(16, IORING_CQE_F_BUF_MORE);
        assertEquals(16, IORING_CQE_BUFFER_SHIFT);
    }

    @Test
    void shouldMatchRegisterOpcodesAndEnterFlags() {
        assertEquals(22, IORING_REGISTER_PBUF_RING);
        assertEquals(23, IORING_UNREGISTER_PBUF_RING);
        assertEquals(26, IORING_REGISTER_PBUF_STATUS);
        assertEquals(8, IORING_REGISTER_PROBE);
        assertEquals(1, IOU_PBUF_RING_MMAP);
        assertEquals(2, IOU_PBUF_RING_INC);
        assertEquals(32768, BUF_RING_MAX_ENTRIES);
        assertEquals(1, IORING_ENTER_GETEVENTS);
        assertEquals(1 << 3, IORING_ENTER_EXT_ARG);
        assertEquals(1, IORING_SQ_NEED_WAKEUP);
        assertEquals(2, IORING_SQ_CQ_OVERFLOW);
        assertEquals(4, IORING_SQ_TASKRUN);
    }

    @Test
    void shouldMatchErrnoValues() {
        assertEquals(-105, Errno.ENOBUFS.value());
        assertEquals(-125, Errno.ECANCELED.value());
        assertEquals(-53, Errno.EBADR.value());
        assertEquals(-1, Errno.EPERM.value());
        assertEquals(-38, Errno.ENOSYS.value());
        assertEquals("ENOBUFS (-105): No buffer space available", SyscallException.format(105));
        assertEquals("errno 200", Errno.nameOf(-200));
        assertEquals("io_uring_setup: EPERM (-1): Operation not permitted",
                new SyscallException("io_uring_setup", Errno.EPERM.value(), null).getMessage());
    }
}
