package dev.netmem.uring;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;

/**
 * The io_uring uapi ({@code include/uapi/linux/io_uring.h}) as FFM layouts and constants, declared
 * once. Offsets and {@link VarHandle}s are derived from the layouts; constants keep the kernel's
 * spellings. All integers are in native byte order; {@code uNN} fields are read as Java's signed
 * types of the same width and masked where the sign matters.
 *
 * <pre>
 *  ring fd --mmap(IORING_OFF_SQ_RING = 0)------------> SQ ring header + (sq array) + CQ ring header
 *          |                                            + cqes[]   (one mapping: IORING_FEAT_SINGLE_MMAP)
 *          |     sq_off.head  u32  kernel writes        cq_off.head  u32  application writes (release)
 *          |     sq_off.tail  u32  application (release) cq_off.tail  u32  kernel writes (read acquire)
 *          |     sq_off.flags u32  IORING_SQ_*          cq_off.overflow u32, cq_off.cqes: io_uring_cqe[]
 *          +--mmap(IORING_OFF_SQES = 0x10000000)-----> io_uring_sqe[sq_entries], 64 B each
 *
 *  provided-buffer ring (application memory, page aligned, registered with IORING_REGISTER_PBUF_RING):
 *   slot 0                      slot 1                      ...  slot entries-1
 *  +------------------------+  +------------------------+
 *  | addr u64 | len u32     |  | addr u64 | len u32     |
 *  | bid u16  | tail u16 ◄──┼── the ring's tail (byte 14) sits on top of slot 0's resv
 *  +------------------------+  +------------------------+
 * </pre>
 */
public final class IoUringDescriptor {

    // ---- layouts ------------------------------------------------------------------------------

    /** {@code struct io_sqring_offsets} (40 bytes): offsets inside the SQ ring mapping. */
    public static final StructLayout IO_SQRING_OFFSETS = MemoryLayout.structLayout(
            JAVA_INT.withName("head"),
            JAVA_INT.withName("tail"),
            JAVA_INT.withName("ring_mask"),
            JAVA_INT.withName("ring_entries"),
            JAVA_INT.withName("flags"),
            JAVA_INT.withName("dropped"),
            JAVA_INT.withName("array"),
            JAVA_INT.withName("resv1"),
            JAVA_LONG.withName("user_addr")).withName("io_sqring_offsets");

    /** {@code struct io_cqring_offsets} (40 bytes): offsets inside the CQ ring mapping. */
    public static final StructLayout IO_CQRING_OFFSETS = MemoryLayout.structLayout(
            JAVA_INT.withName("head"),
            JAVA_INT.withName("tail"),
            JAVA_INT.withName("ring_mask"),
            JAVA_INT.withName("ring_entries"),
            JAVA_INT.withName("overflow"),
            JAVA_INT.withName("cqes"),
            JAVA_INT.withName("flags"),
            JAVA_INT.withName("resv1"),
            JAVA_LONG.withName("user_addr")).withName("io_cqring_offsets");

    /** {@code struct io_uring_params} (120 bytes): in and out argument of {@code io_uring_setup}. */
    public static final StructLayout IO_URING_PARAMS = MemoryLayout.structLayout(
            JAVA_INT.withName("sq_entries"),
            JAVA_INT.withName("cq_entries"),
            JAVA_INT.withName("flags"),
            JAVA_INT.withName("sq_thread_cpu"),
            JAVA_INT.withName("sq_thread_idle"),
            JAVA_INT.withName("features"),
            JAVA_INT.withName("wq_fd"),
            MemoryLayout.sequenceLayout(3, JAVA_INT).withName("resv"),
            IO_SQRING_OFFSETS.withName("sq_off"),
            IO_CQRING_OFFSETS.withName("cq_off")).withName("io_uring_params");

    /**
     * {@code struct io_uring_sqe} (64 bytes). Unions are named after the member netmem uses:
     * {@code off} (also {@code addr2}), {@code addr}, {@code msg_flags} (also {@code rw_flags},
     * {@code cancel_flags}), {@code buf_group} (also {@code buf_index}), {@code file_index}
     * (also {@code splice_fd_in}, {@code addr_len}).
     */
    public static final StructLayout IO_URING_SQE = MemoryLayout.structLayout(
            JAVA_BYTE.withName("opcode"),
            JAVA_BYTE.withName("flags"),
            JAVA_SHORT.withName("ioprio"),
            JAVA_INT.withName("fd"),
            JAVA_LONG.withName("off"),
            JAVA_LONG.withName("addr"),
            JAVA_INT.withName("len"),
            JAVA_INT.withName("msg_flags"),
            JAVA_LONG.withName("user_data"),
            JAVA_SHORT.withName("buf_group"),
            JAVA_SHORT.withName("personality"),
            JAVA_INT.withName("file_index"),
            JAVA_LONG.withName("addr3"),
            JAVA_LONG.withName("__pad2")).withName("io_uring_sqe");

    /** {@code struct io_uring_cqe} (16 bytes; netmem never sets {@code IORING_SETUP_CQE32}). */
    public static final StructLayout IO_URING_CQE = MemoryLayout.structLayout(
            JAVA_LONG.withName("user_data"),
            JAVA_INT.withName("res"),
            JAVA_INT.withName("flags")).withName("io_uring_cqe");

    /** {@code struct io_uring_buf_reg} (40 bytes): argument of {@code IORING_(UN)REGISTER_PBUF_RING}. */
    public static final StructLayout IO_URING_BUF_REG = MemoryLayout.structLayout(
            JAVA_LONG.withName("ring_addr"),
            JAVA_INT.withName("ring_entries"),
            JAVA_SHORT.withName("bgid"),
            JAVA_SHORT.withName("flags"),
            MemoryLayout.sequenceLayout(3, JAVA_LONG).withName("resv")).withName("io_uring_buf_reg");

    /** {@code struct io_uring_buf} (16 bytes): one slot of a provided-buffer ring. */
    public static final StructLayout IO_URING_BUF = MemoryLayout.structLayout(
            JAVA_LONG.withName("addr"),
            JAVA_INT.withName("len"),
            JAVA_SHORT.withName("bid"),
            JAVA_SHORT.withName("resv")).withName("io_uring_buf");

    /**
     * The header view of {@code struct io_uring_buf_ring}: a union with slot 0 whose last
     * {@code u16} is the ring's tail. Filling slot 0 must never write its bytes 14..15.
     */
    public static final StructLayout IO_URING_BUF_RING = MemoryLayout.structLayout(
            JAVA_LONG.withName("resv1"),
            JAVA_INT.withName("resv2"),
            JAVA_SHORT.withName("resv3"),
            JAVA_SHORT.withName("tail")).withName("io_uring_buf_ring");

    /** {@code struct io_uring_buf_status} (40 bytes): argument of {@code IORING_REGISTER_PBUF_STATUS}. */
    public static final StructLayout IO_URING_BUF_STATUS = MemoryLayout.structLayout(
            JAVA_INT.withName("buf_group"),
            JAVA_INT.withName("head"),
            MemoryLayout.sequenceLayout(8, JAVA_INT).withName("resv")).withName("io_uring_buf_status");

    /** {@code struct io_uring_probe_op} (8 bytes). */
    public static final StructLayout IO_URING_PROBE_OP = MemoryLayout.structLayout(
            JAVA_BYTE.withName("op"),
            JAVA_BYTE.withName("resv"),
            JAVA_SHORT.withName("flags"),
            JAVA_INT.withName("resv2")).withName("io_uring_probe_op");

    /** {@code struct io_uring_probe} without its flexible {@code ops[]} array (16 bytes). */
    public static final StructLayout IO_URING_PROBE = MemoryLayout.structLayout(
            JAVA_BYTE.withName("last_op"),
            JAVA_BYTE.withName("ops_len"),
            JAVA_SHORT.withName("resv"),
            MemoryLayout.sequenceLayout(3, JAVA_INT).withName("resv2")).withName("io_uring_probe");

    /** {@code struct io_uring_getevents_arg} (24 bytes): the {@code IORING_ENTER_EXT_ARG} argument. */
    public static final StructLayout IO_URING_GETEVENTS_ARG = MemoryLayout.structLayout(
            JAVA_LONG.withName("sigmask"),
            JAVA_INT.withName("sigmask_sz"),
            JAVA_INT.withName("min_wait_usec"),
            JAVA_LONG.withName("ts")).withName("io_uring_getevents_arg");

    /** {@code struct __kernel_timespec} (16 bytes). */
    public static final StructLayout KERNEL_TIMESPEC = MemoryLayout.structLayout(
            JAVA_LONG.withName("tv_sec"),
            JAVA_LONG.withName("tv_nsec")).withName("__kernel_timespec");

    // ---- syscalls and mmap offsets ------------------------------------------------------------

    /** {@code __NR_io_uring_setup}: the same on x86-64 and every asm-generic architecture. */
    public static final int NR_IO_URING_SETUP = 425;
    /** {@code __NR_io_uring_enter}. */
    public static final int NR_IO_URING_ENTER = 426;
    /** {@code __NR_io_uring_register}. */
    public static final int NR_IO_URING_REGISTER = 427;

    /** mmap offset of the SQ ring (and, with {@link #IORING_FEAT_SINGLE_MMAP}, of the CQ ring). */
    public static final long IORING_OFF_SQ_RING = 0L;
    /** mmap offset of the CQ ring when it is a separate mapping. */
    public static final long IORING_OFF_CQ_RING = 0x8000000L;
    /** mmap offset of the SQE array. */
    public static final long IORING_OFF_SQES = 0x10000000L;
    /** mmap offset of a kernel-allocated buffer ring, ORed with {@code bgid << IORING_OFF_PBUF_SHIFT}. */
    public static final long IORING_OFF_PBUF_RING = 0x80000000L;
    /** Shift of the bgid in {@link #IORING_OFF_PBUF_RING}. */
    public static final int IORING_OFF_PBUF_SHIFT = 16;

    // ---- io_uring_setup flags (io_uring_params.flags) ------------------------------------------

    /** {@code IORING_SETUP_IOPOLL}: busy-poll for I/O completion. */
    public static final int IORING_SETUP_IOPOLL = 1;
    /** {@code IORING_SETUP_SQPOLL}: a kernel thread polls the SQ. */
    public static final int IORING_SETUP_SQPOLL = 1 << 1;
    /** {@code IORING_SETUP_CQSIZE}: {@code cq_entries} is given (Linux 5.5). */
    public static final int IORING_SETUP_CQSIZE = 1 << 3;
    /** {@code IORING_SETUP_CLAMP}: clamp entries to the maximum instead of failing. */
    public static final int IORING_SETUP_CLAMP = 1 << 4;
    /** {@code IORING_SETUP_R_DISABLED}: start disabled; {@link #IORING_REGISTER_ENABLE_RINGS} enables. */
    public static final int IORING_SETUP_R_DISABLED = 1 << 6;
    /** {@code IORING_SETUP_SUBMIT_ALL}: keep submitting after an SQE fails (Linux 5.18). */
    public static final int IORING_SETUP_SUBMIT_ALL = 1 << 7;
    /** {@code IORING_SETUP_COOP_TASKRUN}: no IPI to run task work. */
    public static final int IORING_SETUP_COOP_TASKRUN = 1 << 8;
    /** {@code IORING_SETUP_TASKRUN_FLAG}: set {@link #IORING_SQ_TASKRUN} when task work is pending. */
    public static final int IORING_SETUP_TASKRUN_FLAG = 1 << 9;
    /** {@code IORING_SETUP_SQE128}: 128-byte SQEs. */
    public static final int IORING_SETUP_SQE128 = 1 << 10;
    /** {@code IORING_SETUP_CQE32}: 32-byte CQEs. */
    public static final int IORING_SETUP_CQE32 = 1 << 11;
    /** {@code IORING_SETUP_SINGLE_ISSUER}: one task submits; others get {@code -EEXIST} (Linux 6.0). */
    public static final int IORING_SETUP_SINGLE_ISSUER = 1 << 12;
    /**
     * {@code IORING_SETUP_DEFER_TASKRUN}: completions run only inside {@code io_uring_enter} with
     * {@link #IORING_ENTER_GETEVENTS}, on the submitting task; needs SINGLE_ISSUER (Linux 6.1).
     */
    public static final int IORING_SETUP_DEFER_TASKRUN = 1 << 13;
    /** {@code IORING_SETUP_NO_MMAP}: the application provides the ring memory. */
    public static final int IORING_SETUP_NO_MMAP = 1 << 14;
    /** {@code IORING_SETUP_REGISTERED_FD_ONLY}: return a registered ring index instead of an fd. */
    public static final int IORING_SETUP_REGISTERED_FD_ONLY = 1 << 15;
    /** {@code IORING_SETUP_NO_SQARRAY}: no SQ index array; SQE index = tail &amp; mask (Linux 6.6). */
    public static final int IORING_SETUP_NO_SQARRAY = 1 << 16;
    /** {@code IORING_SETUP_CQE_MIXED}: 16- and 32-byte CQEs in one ring. */
    public static final int IORING_SETUP_CQE_MIXED = 1 << 18;

    // ---- features (io_uring_params.features) --------------------------------------------------

    /** {@code IORING_FEAT_SINGLE_MMAP}: one mmap at {@link #IORING_OFF_SQ_RING} serves SQ and CQ rings. */
    public static final int IORING_FEAT_SINGLE_MMAP = 1;
    /** {@code IORING_FEAT_NODROP}: the kernel keeps CQEs that do not fit (CQ overflow list). */
    public static final int IORING_FEAT_NODROP = 1 << 1;
    /** {@code IORING_FEAT_SUBMIT_STABLE}. */
    public static final int IORING_FEAT_SUBMIT_STABLE = 1 << 2;
    /** {@code IORING_FEAT_RW_CUR_POS}. */
    public static final int IORING_FEAT_RW_CUR_POS = 1 << 3;
    /** {@code IORING_FEAT_CUR_PERSONALITY}. */
    public static final int IORING_FEAT_CUR_PERSONALITY = 1 << 4;
    /** {@code IORING_FEAT_FAST_POLL}: internal poll instead of io-wq for pollable files. */
    public static final int IORING_FEAT_FAST_POLL = 1 << 5;
    /** {@code IORING_FEAT_POLL_32BITS}. */
    public static final int IORING_FEAT_POLL_32BITS = 1 << 6;
    /** {@code IORING_FEAT_SQPOLL_NONFIXED}. */
    public static final int IORING_FEAT_SQPOLL_NONFIXED = 1 << 7;
    /** {@code IORING_FEAT_EXT_ARG}: {@link #IORING_ENTER_EXT_ARG} with a timeout is supported. */
    public static final int IORING_FEAT_EXT_ARG = 1 << 8;
    /** {@code IORING_FEAT_NATIVE_WORKERS}. */
    public static final int IORING_FEAT_NATIVE_WORKERS = 1 << 9;
    /** {@code IORING_FEAT_RSRC_TAGS}. */
    public static final int IORING_FEAT_RSRC_TAGS = 1 << 10;
    /** {@code IORING_FEAT_CQE_SKIP}. */
    public static final int IORING_FEAT_CQE_SKIP = 1 << 11;
    /** {@code IORING_FEAT_LINKED_FILE}. */
    public static final int IORING_FEAT_LINKED_FILE = 1 << 12;
    /** {@code IORING_FEAT_REG_REG_RING}. */
    public static final int IORING_FEAT_REG_REG_RING = 1 << 13;
    /** {@code IORING_FEAT_RECVSEND_BUNDLE}: {@link #IORING_RECVSEND_BUNDLE} is supported (Linux 6.10). */
    public static final int IORING_FEAT_RECVSEND_BUNDLE = 1 << 14;
    /** {@code IORING_FEAT_MIN_TIMEOUT}: {@code min_wait_usec} in the getevents argument. */
    public static final int IORING_FEAT_MIN_TIMEOUT = 1 << 15;
    /** {@code IORING_FEAT_RW_ATTR}. */
    public static final int IORING_FEAT_RW_ATTR = 1 << 16;
    /** {@code IORING_FEAT_NO_IOWAIT}. */
    public static final int IORING_FEAT_NO_IOWAIT = 1 << 17;

    // ---- io_uring_enter flags, SQ ring flags, CQ ring flags -----------------------------------

    /** {@code IORING_ENTER_GETEVENTS}: wait for {@code min_complete} CQEs (and run deferred task work). */
    public static final int IORING_ENTER_GETEVENTS = 1;
    /** {@code IORING_ENTER_SQ_WAKEUP}. */
    public static final int IORING_ENTER_SQ_WAKEUP = 1 << 1;
    /** {@code IORING_ENTER_SQ_WAIT}. */
    public static final int IORING_ENTER_SQ_WAIT = 1 << 2;
    /** {@code IORING_ENTER_EXT_ARG}: the argument is an {@link #IO_URING_GETEVENTS_ARG}. */
    public static final int IORING_ENTER_EXT_ARG = 1 << 3;
    /** {@code IORING_ENTER_REGISTERED_RING}. */
    public static final int IORING_ENTER_REGISTERED_RING = 1 << 4;

    /** {@code IORING_SQ_NEED_WAKEUP}: the SQPOLL thread sleeps. */
    public static final int IORING_SQ_NEED_WAKEUP = 1;
    /** {@code IORING_SQ_CQ_OVERFLOW}: CQEs wait in the overflow list; enter with GETEVENTS to flush. */
    public static final int IORING_SQ_CQ_OVERFLOW = 1 << 1;
    /** {@code IORING_SQ_TASKRUN}: task work is pending (with {@link #IORING_SETUP_TASKRUN_FLAG}). */
    public static final int IORING_SQ_TASKRUN = 1 << 2;

    /** {@code IORING_CQ_EVENTFD_DISABLED}. */
    public static final int IORING_CQ_EVENTFD_DISABLED = 1;

    // ---- SQE flags, opcodes, op flags ---------------------------------------------------------

    /** {@code IOSQE_FIXED_FILE}. */
    public static final int IOSQE_FIXED_FILE = 1;
    /** {@code IOSQE_IO_DRAIN}. */
    public static final int IOSQE_IO_DRAIN = 1 << 1;
    /** {@code IOSQE_IO_LINK}. */
    public static final int IOSQE_IO_LINK = 1 << 2;
    /** {@code IOSQE_IO_HARDLINK}. */
    public static final int IOSQE_IO_HARDLINK = 1 << 3;
    /** {@code IOSQE_ASYNC}. */
    public static final int IOSQE_ASYNC = 1 << 4;
    /** {@code IOSQE_BUFFER_SELECT}: pick the buffer from group {@code buf_group}. */
    public static final int IOSQE_BUFFER_SELECT = 1 << 5;
    /** {@code IOSQE_CQE_SKIP_SUCCESS}. */
    public static final int IOSQE_CQE_SKIP_SUCCESS = 1 << 6;

    /** {@code IORING_OP_NOP}. */
    public static final int IORING_OP_NOP = 0;
    /** {@code IORING_OP_ACCEPT}. */
    public static final int IORING_OP_ACCEPT = 13;
    /** {@code IORING_OP_ASYNC_CANCEL}. */
    public static final int IORING_OP_ASYNC_CANCEL = 14;
    /** {@code IORING_OP_READ}. */
    public static final int IORING_OP_READ = 22;
    /** {@code IORING_OP_RECV}. */
    public static final int IORING_OP_RECV = 27;
    /** {@code IORING_OP_RECV_ZC} (zcrx; needs a NIC with header split). */
    public static final int IORING_OP_RECV_ZC = 58;

    /** {@code IORING_RECVSEND_POLL_FIRST} (sqe.ioprio of send/recv). */
    public static final int IORING_RECVSEND_POLL_FIRST = 1;
    /** {@code IORING_RECV_MULTISHOT}: keep receiving; CQEs carry {@link #IORING_CQE_F_MORE} while armed. */
    public static final int IORING_RECV_MULTISHOT = 1 << 1;
    /** {@code IORING_RECVSEND_FIXED_BUF}. */
    public static final int IORING_RECVSEND_FIXED_BUF = 1 << 2;
    /** {@code IORING_RECVSEND_BUNDLE}: one CQE may cover several consecutive ring buffers. */
    public static final int IORING_RECVSEND_BUNDLE = 1 << 4;

    /** {@code IORING_ACCEPT_MULTISHOT} (sqe.ioprio of accept): one CQE per accepted connection (Linux 5.19). */
    public static final int IORING_ACCEPT_MULTISHOT = 1;

    /** {@code IORING_ASYNC_CANCEL_ALL}: cancel every match, not only the first. */
    public static final int IORING_ASYNC_CANCEL_ALL = 1;
    /** {@code IORING_ASYNC_CANCEL_FD}: match on {@code sqe.fd}. */
    public static final int IORING_ASYNC_CANCEL_FD = 1 << 1;
    /** {@code IORING_ASYNC_CANCEL_ANY}: match any request. */
    public static final int IORING_ASYNC_CANCEL_ANY = 1 << 2;
    /** {@code IORING_ASYNC_CANCEL_FD_FIXED}. */
    public static final int IORING_ASYNC_CANCEL_FD_FIXED = 1 << 3;
    /** {@code IORING_ASYNC_CANCEL_USERDATA}: match on {@code sqe.addr} = user_data (the default). */
    public static final int IORING_ASYNC_CANCEL_USERDATA = 1 << 4;
    /** {@code IORING_ASYNC_CANCEL_OP}. */
    public static final int IORING_ASYNC_CANCEL_OP = 1 << 5;

    // ---- CQE flags ----------------------------------------------------------------------------

    /** {@code IORING_CQE_F_BUFFER}: the upper 16 bits of flags hold the buffer id. */
    public static final int IORING_CQE_F_BUFFER = 1;
    /** {@code IORING_CQE_F_MORE}: the (multishot) request stays armed; without it, it ended. */
    public static final int IORING_CQE_F_MORE = 1 << 1;
    /** {@code IORING_CQE_F_SOCK_NONEMPTY}: more data was left in the socket. */
    public static final int IORING_CQE_F_SOCK_NONEMPTY = 1 << 2;
    /** {@code IORING_CQE_F_NOTIF}. */
    public static final int IORING_CQE_F_NOTIF = 1 << 3;
    /** {@code IORING_CQE_F_BUF_MORE}: with {@link #IOU_PBUF_RING_INC}, the buffer is only partly used. */
    public static final int IORING_CQE_F_BUF_MORE = 1 << 4;
    /** {@code IORING_CQE_BUFFER_SHIFT}: buffer id = {@code flags >>> 16}. */
    public static final int IORING_CQE_BUFFER_SHIFT = 16;

    // ---- io_uring_register opcodes and their flags --------------------------------------------

    /** {@code IORING_REGISTER_PROBE}: fill an {@link #IO_URING_PROBE} (Linux 5.6). */
    public static final int IORING_REGISTER_PROBE = 8;
    /** {@code IORING_REGISTER_ENABLE_RINGS}: enable an {@link #IORING_SETUP_R_DISABLED} ring. */
    public static final int IORING_REGISTER_ENABLE_RINGS = 12;
    /** {@code IORING_REGISTER_PBUF_RING}: register a provided-buffer ring (Linux 5.19). */
    public static final int IORING_REGISTER_PBUF_RING = 22;
    /** {@code IORING_UNREGISTER_PBUF_RING}. */
    public static final int IORING_UNREGISTER_PBUF_RING = 23;
    /** {@code IORING_REGISTER_PBUF_STATUS}: read a buffer ring's head (Linux 6.8). */
    public static final int IORING_REGISTER_PBUF_STATUS = 26;

    /** {@code IOU_PBUF_RING_MMAP}: the kernel allocates the ring; the application mmaps it. */
    public static final int IOU_PBUF_RING_MMAP = 1;
    /** {@code IOU_PBUF_RING_INC}: buffers are consumed incrementally (Linux 6.12). */
    public static final int IOU_PBUF_RING_INC = 2;

    /** {@code IO_URING_OP_SUPPORTED}: flag of an {@link #IO_URING_PROBE_OP}. */
    public static final int IO_URING_OP_SUPPORTED = 1;

    /** Largest buffer-ring size: head and tail are u16, so full and empty must stay distinct. */
    public static final int BUF_RING_MAX_ENTRIES = 32768;

    // ---- derived offsets and accessors (package-private) --------------------------------------

    static final long PARAMS_SQ_OFF = IO_URING_PARAMS.byteOffset(groupElement("sq_off"));
    static final long PARAMS_CQ_OFF = IO_URING_PARAMS.byteOffset(groupElement("cq_off"));

    static final VarHandle PARAMS_SQ_ENTRIES = IO_URING_PARAMS.varHandle(groupElement("sq_entries"));
    static final VarHandle PARAMS_CQ_ENTRIES = IO_URING_PARAMS.varHandle(groupElement("cq_entries"));
    static final VarHandle PARAMS_FLAGS = IO_URING_PARAMS.varHandle(groupElement("flags"));
    static final VarHandle PARAMS_FEATURES = IO_URING_PARAMS.varHandle(groupElement("features"));

    static final VarHandle SQE_OPCODE = IO_URING_SQE.varHandle(groupElement("opcode"));
    static final VarHandle SQE_FLAGS = IO_URING_SQE.varHandle(groupElement("flags"));
    static final VarHandle SQE_IOPRIO = IO_URING_SQE.varHandle(groupElement("ioprio"));
    static final VarHandle SQE_FD = IO_URING_SQE.varHandle(groupElement("fd"));
    static final VarHandle SQE_OFF = IO_URING_SQE.varHandle(groupElement("off"));
    static final VarHandle SQE_ADDR = IO_URING_SQE.varHandle(groupElement("addr"));
    static final VarHandle SQE_LEN = IO_URING_SQE.varHandle(groupElement("len"));
    static final VarHandle SQE_MSG_FLAGS = IO_URING_SQE.varHandle(groupElement("msg_flags"));
    static final VarHandle SQE_USER_DATA = IO_URING_SQE.varHandle(groupElement("user_data"));
    static final VarHandle SQE_BUF_GROUP = IO_URING_SQE.varHandle(groupElement("buf_group"));

    static final VarHandle CQE_USER_DATA = IO_URING_CQE.varHandle(groupElement("user_data"));
    static final VarHandle CQE_RES = IO_URING_CQE.varHandle(groupElement("res"));
    static final VarHandle CQE_FLAGS = IO_URING_CQE.varHandle(groupElement("flags"));

    static final VarHandle BUF_ADDR = IO_URING_BUF.varHandle(groupElement("addr"));
    static final VarHandle BUF_LEN = IO_URING_BUF.varHandle(groupElement("len"));
    static final VarHandle BUF_BID = IO_URING_BUF.varHandle(groupElement("bid"));
    static final long BUF_RING_TAIL_OFFSET = IO_URING_BUF_RING.byteOffset(groupElement("tail"));

    static final VarHandle BUF_REG_RING_ADDR = IO_URING_BUF_REG.varHandle(groupElement("ring_addr"));
    static final VarHandle BUF_REG_RING_ENTRIES = IO_URING_BUF_REG.varHandle(groupElement("ring_entries"));
    static final VarHandle BUF_REG_BGID = IO_URING_BUF_REG.varHandle(groupElement("bgid"));
    static final VarHandle BUF_REG_FLAGS = IO_URING_BUF_REG.varHandle(groupElement("flags"));

    static final VarHandle BUF_STATUS_BUF_GROUP = IO_URING_BUF_STATUS.varHandle(groupElement("buf_group"));
    static final VarHandle BUF_STATUS_HEAD = IO_URING_BUF_STATUS.varHandle(groupElement("head"));

    static final VarHandle PROBE_LAST_OP = IO_URING_PROBE.varHandle(groupElement("last_op"));
    static final VarHandle PROBE_OPS_LEN = IO_URING_PROBE.varHandle(groupElement("ops_len"));
    static final VarHandle PROBE_OP_OP = IO_URING_PROBE_OP.varHandle(groupElement("op"));
    static final VarHandle PROBE_OP_FLAGS = IO_URING_PROBE_OP.varHandle(groupElement("flags"));

    static final VarHandle GETEVENTS_SIGMASK_SZ = IO_URING_GETEVENTS_ARG.varHandle(groupElement("sigmask_sz"));
    static final VarHandle GETEVENTS_TS = IO_URING_GETEVENTS_ARG.varHandle(groupElement("ts"));
    static final VarHandle TS_SEC = KERNEL_TIMESPEC.varHandle(groupElement("tv_sec"));
    static final VarHandle TS_NSEC = KERNEL_TIMESPEC.varHandle(groupElement("tv_nsec"));

    /** A u32 anywhere in a mapping: coordinates (segment, byte offset); ring heads, tails, flags. */
    static final VarHandle U32 = ValueLayout.JAVA_INT.varHandle();
    /** A u16 anywhere in a mapping: the buffer ring's tail. */
    static final VarHandle U16 = ValueLayout.JAVA_SHORT.varHandle();
    /** A u64 anywhere in a mapping: zeroing SQEs. */
    static final VarHandle U64 = ValueLayout.JAVA_LONG.varHandle();

    /** Offset of a field of {@link #IO_SQRING_OFFSETS} inside {@link #IO_URING_PARAMS}. */
    static long sqOff(String field) {
        return PARAMS_SQ_OFF + IO_SQRING_OFFSETS.byteOffset(groupElement(field));
    }

    /** Offset of a field of {@link #IO_CQRING_OFFSETS} inside {@link #IO_URING_PARAMS}. */
    static long cqOff(String field) {
        return PARAMS_CQ_OFF + IO_CQRING_OFFSETS.byteOffset(groupElement(field));
    }

    private IoUringDescriptor() {
    }
}
