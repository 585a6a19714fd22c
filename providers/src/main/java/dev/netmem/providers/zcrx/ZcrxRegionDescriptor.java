package dev.netmem.providers.zcrx;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.VarHandle;
import java.util.ArrayList;
import java.util.List;

/**
 * The shared-memory file of a zcrx ifq: the refill ring (user → provider) and the completion ring
 * (provider → user), laid out like the io_uring uapi, declared once here with FFM layouts. Offsets
 * and {@link VarHandle}s are derived from the layouts; nothing is hand-typed.
 *
 * <pre>
 *  offset                                                      written by
 *  0      +--------------------------------------------------+
 *         | region header (one cache line)                   |  provider, once
 *         |  u64 magic, u32 version, u32 rq_entries,         |
 *         |  u32 cq_entries, u32 __resv, u64 area_token,     |
 *         |  u64 area_len,                                   |
 *         |  u64 copy_count, u64 copy_bytes (zcrx stats:     |  provider, when registered
 *         |   ZCRX_EVENT_DESC_FLAG_STATS; opaque stores)     |  with the stats flag
 *  64     +--------------------------------------------------+  ┐ the kernel's zcrx region:
 *         | refill ring header (one cache line)              |  │ struct io_uring {head, tail}
 *         |  u32 head            (provider, store-release)   |  │ at io_uring_zcrx_offsets
 *         |  u32 tail            (user, store-release)       |  │ .head = 0, .tail = 4,
 *         |  u32 ring_mask, u32 ring_entries, u32 dropped    |  │ .rqes = 64 (L1-aligned)
 *  128    +--------------------------------------------------+  │
 *         | rqes[rq_entries]: io_uring_zcrx_rqe              |  │ user
 *         |  { u64 off; u32 len; u32 __pad; }   16 B each     |  ┘
 *         +--------------------------------------------------+ (cache-line aligned)
 *         | completion ring header (one cache line)          |
 *         |  u32 head            (user, store-release)       |
 *         |  u32 tail            (provider, store-release)   |
 *         |  u32 ring_mask, u32 ring_entries, u32 overflow   |
 *         +--------------------------------------------------+
 *         | cqes[cq_entries]: a 32-byte CQE (IORING_SETUP_CQE32)|  provider
 *         |  io_uring_cqe { u64 user_data; s32 res; u32 flags; }|
 *         |  io_uring_zcrx_cqe { u64 off; u64 __pad; }        |
 *         +--------------------------------------------------+
 * </pre>
 *
 * <p>A CQE's {@code off} is {@code area_token | (niov index << PAGE_SHIFT) + offset in the buffer};
 * {@code res} is the length. The user returns a buffer by writing an rqe with the same {@code off}
 * (only the area and index bits matter) and store-releasing the refill tail.
 *
 * @apiNote The kernel keeps the completion ring in {@code struct io_rings} next to the submission
 * ring header; netmem has no submission ring, so its completion ring has a header of the same shape
 * as the refill ring. {@code io_uring_zcrx_rqe.__pad} is a {@code u32} as in the uapi header (the
 * issue text said {@code u16}). All integers are in native byte order: the file is shared between
 * processes of one machine.
 */
final class ZcrxRegionDescriptor {
    /** {@code L1_CACHE_BYTES} on x86-64: ring headers are cache-line aligned. */
    static final int CACHE_LINE = 64;
    /** "NMZCRX01" in a little-endian u64: marks a netmem zcrx region file. */
    static final long MAGIC = 0x3130585243_5a4d4eL;
    /** Layout version. */
    static final int VERSION = 2;

    /** {@code struct io_uring_zcrx_rqe}. */
    static final StructLayout RQE = MemoryLayout.structLayout(
            JAVA_LONG.withName("off"),
            JAVA_INT.withName("len"),
            JAVA_INT.withName("__pad")).withName("io_uring_zcrx_rqe");

    /** {@code struct io_uring_zcrx_cqe}: the second half of a 32-byte CQE. */
    static final StructLayout ZCRX_CQE = MemoryLayout.structLayout(
            JAVA_LONG.withName("off"),
            JAVA_LONG.withName("__pad")).withName("io_uring_zcrx_cqe");

    /** {@code struct io_uring_cqe} with its 16-byte {@code big_cqe} tail holding the zcrx part. */
    static final StructLayout CQE32 = MemoryLayout.structLayout(
            JAVA_LONG.withName("user_data"),
            JAVA_INT.withName("res"),
            JAVA_INT.withName("flags"),
            ZCRX_CQE.withName("big_cqe")).withName("io_uring_cqe32");

    /** A ring header: head and tail first, as {@code struct io_uring}, padded to a cache line. */
    static final StructLayout RING_HEADER = padToCacheLine("ring_header",
            JAVA_INT.withName("head"),
            JAVA_INT.withName("tail"),
            JAVA_INT.withName("ring_mask"),
            JAVA_INT.withName("ring_entries"),
            JAVA_INT.withName("dropped"));

    /** The region header: what {@code IORING_REGISTER_ZCRX_IFQ} returns to the user, kept in the file. */
    static final StructLayout REGION_HEADER = padToCacheLine("region_header",
            JAVA_LONG.withName("magic"),
            JAVA_INT.withName("version"),
            JAVA_INT.withName("rq_entries"),
            JAVA_INT.withName("cq_entries"),
            JAVA_INT.withName("__resv"),
            JAVA_LONG.withName("area_token"),
            JAVA_LONG.withName("area_len"),
            JAVA_LONG.withName("copy_count"),
            JAVA_LONG.withName("copy_bytes"));

    static final VarHandle RQE_OFF = RQE.varHandle(groupElement("off"));
    static final VarHandle RQE_LEN = RQE.varHandle(groupElement("len"));
    static final VarHandle RQE_PAD = RQE.varHandle(groupElement("__pad"));
    static final VarHandle CQE_USER_DATA = CQE32.varHandle(groupElement("user_data"));
    static final VarHandle CQE_RES = CQE32.varHandle(groupElement("res"));
    static final VarHandle CQE_FLAGS = CQE32.varHandle(groupElement("flags"));
    static final VarHandle CQE_OFF = CQE32.varHandle(groupElement("big_cqe"), groupElement("off"));
    static final VarHandle CQE_PAD = CQE32.varHandle(groupElement("big_cqe"), groupElement("__pad"));
    static final VarHandle HEAD = RING_HEADER.varHandle(groupElement("head"));
    static final VarHandle TAIL = RING_HEADER.varHandle(groupElement("tail"));
    static final VarHandle RING_MASK = RING_HEADER.varHandle(groupElement("ring_mask"));
    static final VarHandle RING_ENTRIES = RING_HEADER.varHandle(groupElement("ring_entries"));
    static final VarHandle DROPPED = RING_HEADER.varHandle(groupElement("dropped"));
    static final VarHandle H_MAGIC = REGION_HEADER.varHandle(groupElement("magic"));
    static final VarHandle H_VERSION = REGION_HEADER.varHandle(groupElement("version"));
    static final VarHandle H_RQ_ENTRIES = REGION_HEADER.varHandle(groupElement("rq_entries"));
    static final VarHandle H_CQ_ENTRIES = REGION_HEADER.varHandle(groupElement("cq_entries"));
    static final VarHandle H_AREA_TOKEN = REGION_HEADER.varHandle(groupElement("area_token"));
    static final VarHandle H_AREA_LEN = REGION_HEADER.varHandle(groupElement("area_len"));
    static final VarHandle H_COPY_COUNT = REGION_HEADER.varHandle(groupElement("copy_count"));
    static final VarHandle H_COPY_BYTES = REGION_HEADER.varHandle(groupElement("copy_bytes"));

    private ZcrxRegionDescriptor() {
    }

    private static StructLayout padToCacheLine(String name, MemoryLayout... fields) {
        long size = MemoryLayout.structLayout(fields).byteSize();
        List<MemoryLayout> all = new ArrayList<>(List.of(fields));
        all.add(MemoryLayout.paddingLayout(CACHE_LINE - size));
        return MemoryLayout.structLayout(all.toArray(MemoryLayout[]::new)).withName(name);
    }

    /**
     * The whole file for the given ring sizes (both powers of two): header, refill ring, completion
     * ring, each ring header cache-line aligned.
     */
    static StructLayout regionLayout(int rqEntries, int cqEntries) {
        List<MemoryLayout> parts = new ArrayList<>();
        parts.add(REGION_HEADER.withName("header"));
        parts.add(RING_HEADER.withName("rq"));
        MemoryLayout rqes = MemoryLayout.sequenceLayout(rqEntries, RQE).withName("rqes");
        parts.add(rqes);
        long rqEnd = (2L * CACHE_LINE) + rqes.byteSize();
        long gap = -rqEnd & (CACHE_LINE - 1);
        if (gap != 0) {
            parts.add(MemoryLayout.paddingLayout(gap));
        }
        parts.add(RING_HEADER.withName("cq"));
        parts.add(MemoryLayout.sequenceLayout(cqEntries, CQE32).withName("cqes"));
        return MemoryLayout.structLayout(parts.toArray(MemoryLayout[]::new)).withName("netmem_zcrx_region");
    }

    /** Offset of a named part ({@code header}, {@code rq}, {@code rqes}, {@code cq}, {@code cqes}) of a region. */
    static long offsetOf(StructLayout region, String part) {
        return region.byteOffset(groupElement(part));
    }
}
