package dev.netmem.providers.zcrx;

import static dev.netmem.providers.zcrx.ZcrxRegionDescriptor.*;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;

/**
 * One mapped zcrx region file ({@link ZcrxRegionDescriptor}): the ring accessors both sides use.
 * Accessor names carry their memory ordering; every release store names its acquire partner.
 * Entry accessors are plain: the tail/head release-acquire pair publishes them.
 *
 * <p>Thread safety: none of its own. The provider side is serialised by the ifq's refill and
 * completion locks; the user side is single-threaded.
 */
final class ZcrxRegion {
    private final MemorySegment seg;
    private final int rqEntries;
    private final int cqEntries;
    private final long rq;
    private final long rqes;
    private final long cq;
    private final long cqes;

    private ZcrxRegion(MemorySegment seg, int rqEntries, int cqEntries) {
        this.seg = seg;
        this.rqEntries = rqEntries;
        this.cqEntries = cqEntries;
        StructLayout layout = regionLayout(rqEntries, cqEntries);
        this.rq = offsetOf(layout, "rq");
        this.rqes = offsetOf(layout, "rqes");
        this.cq = offsetOf(layout, "cq");
        this.cqes = offsetOf(layout, "cqes");
    }

    /** Bytes a region with these ring sizes needs. */
    static long byteSize(int rqEntries, int cqEntries) {
        return regionLayout(rqEntries, cqEntries).byteSize();
    }

    /** Writes the header and ring headers of a fresh (zeroed) region: the provider side. */
    static ZcrxRegion format(MemorySegment seg, int rqEntries, int cqEntries, long areaToken, long areaLen) {
        ZcrxRegion r = new ZcrxRegion(seg, rqEntries, cqEntries);
        H_RQ_ENTRIES.set(seg, 0L, rqEntries);
        H_CQ_ENTRIES.set(seg, 0L, cqEntries);
        H_AREA_TOKEN.set(seg, 0L, areaToken);
        H_AREA_LEN.set(seg, 0L, areaLen);
        H_VERSION.set(seg, 0L, VERSION);
        RING_MASK.set(seg, r.rq, rqEntries - 1);
        RING_ENTRIES.set(seg, r.rq, rqEntries);
        RING_MASK.set(seg, r.cq, cqEntries - 1);
        RING_ENTRIES.set(seg, r.cq, cqEntries);
        // Partner: attach()'s getAcquire of the magic; everything above is visible once it reads MAGIC.
        H_MAGIC.setRelease(seg, 0L, MAGIC);
        return r;
    }

    /**
     * Validates and wraps a mapped region: the user side.
     *
     * @throws IllegalArgumentException if it is not a netmem zcrx region of a size that fits
     */
    static ZcrxRegion attach(MemorySegment seg, String name) {
        if (seg.byteSize() < REGION_HEADER.byteSize() || (long) H_MAGIC.getAcquire(seg, 0L) != MAGIC) {
            throw new IllegalArgumentException("not a netmem zcrx region: " + name);
        }
        int version = (int) H_VERSION.get(seg, 0L);
        if (version != VERSION) {
            throw new IllegalArgumentException("zcrx region " + name + " has version " + version + ", expected "
                    + VERSION);
        }
        int rqEntries = (int) H_RQ_ENTRIES.get(seg, 0L);
        int cqEntries = (int) H_CQ_ENTRIES.get(seg, 0L);
        if (!ZcrxIfq.validEntries(rqEntries, ZcrxIfq.IO_RQ_MAX_ENTRIES)
                || !ZcrxIfq.validEntries(cqEntries, ZcrxIfq.IORING_MAX_CQ_ENTRIES)
                || byteSize(rqEntries, cqEntries) > seg.byteSize()) {
            throw new IllegalArgumentException("zcrx region " + name + " is corrupt: rq_entries=" + rqEntries
                    + ", cq_entries=" + cqEntries + ", size=" + seg.byteSize());
        }
        return new ZcrxRegion(seg, rqEntries, cqEntries);
    }

    int rqEntries() {
        return rqEntries;
    }

    int cqEntries() {
        return cqEntries;
    }

    long areaToken() {
        return (long) H_AREA_TOKEN.get(seg, 0L);
    }

    long areaLen() {
        return (long) H_AREA_LEN.get(seg, 0L);
    }

    /**
     * Adds one copy of {@code bytes} to the region's zcrx stats ({@code zcrx_stat_add}: opaque stores,
     * one writer at a time under the ifq's completion lock; the user reads each field racily).
     */
    void copyStatsAdd(long bytes) {
        H_COPY_COUNT.setOpaque(seg, 0L, (long) H_COPY_COUNT.getOpaque(seg, 0L) + 1);
        H_COPY_BYTES.setOpaque(seg, 0L, (long) H_COPY_BYTES.getOpaque(seg, 0L) + bytes);
    }

    long copyCountOpaque() {
        return (long) H_COPY_COUNT.getOpaque(seg, 0L);
    }

    long copyBytesOpaque() {
        return (long) H_COPY_BYTES.getOpaque(seg, 0L);
    }

    // ---- refill ring ----

    /** Partner of {@link #rqTailRelease}: entries below the tail are written. */
    int rqTailAcquire() {
        return (int) TAIL.getAcquire(seg, rq);
    }

    /** Publishes entries below {@code tail}. Partner: {@link #rqTailAcquire} (provider refill). */
    void rqTailRelease(int tail) {
        TAIL.setRelease(seg, rq, tail);
    }

    /** Partner of {@link #rqHeadRelease}: slots below the head may be reused. */
    int rqHeadAcquire() {
        return (int) HEAD.getAcquire(seg, rq);
    }

    /** Frees consumed slots. Partner: {@link #rqHeadAcquire} (user, before it overwrites a slot). */
    void rqHeadRelease(int head) {
        HEAD.setRelease(seg, rq, head);
    }

    long rqeOff(int slot) {
        return (long) RQE_OFF.get(seg, rqes + slot * RQE.byteSize());
    }

    int rqePad(int slot) {
        return (int) RQE_PAD.get(seg, rqes + slot * RQE.byteSize());
    }

    void putRqe(int slot, long off, int len, int pad) {
        long base = rqes + slot * RQE.byteSize();
        RQE_OFF.set(seg, base, off);
        RQE_LEN.set(seg, base, len);
        RQE_PAD.set(seg, base, pad);
    }

    // ---- completion ring ----

    /** Partner of {@link #cqTailRelease}: CQEs below the tail are written. */
    int cqTailAcquire() {
        return (int) TAIL.getAcquire(seg, cq);
    }

    /** Publishes CQEs below {@code tail}. Partner: {@link #cqTailAcquire} (user poll). */
    void cqTailRelease(int tail) {
        TAIL.setRelease(seg, cq, tail);
    }

    /** Partner of {@link #cqHeadRelease}: slots below the head were read. */
    int cqHeadAcquire() {
        return (int) HEAD.getAcquire(seg, cq);
    }

    /** Frees read CQE slots. Partner: {@link #cqHeadAcquire} (provider, before it overwrites a slot). */
    void cqHeadRelease(int head) {
        HEAD.setRelease(seg, cq, head);
    }

    /** Counts a CQE that did not fit ({@code cq_overflow}); an opaque store, read racily by the user. */
    void cqOverflowOpaque(int overflow) {
        DROPPED.setOpaque(seg, cq, overflow);
    }

    int cqOverflowOpaque() {
        return (int) DROPPED.getOpaque(seg, cq);
    }

    void putCqe(int slot, long userData, int res, int flags, long off) {
        long base = cqes + slot * CQE32.byteSize();
        CQE_USER_DATA.set(seg, base, userData);
        CQE_RES.set(seg, base, res);
        CQE_FLAGS.set(seg, base, flags);
        CQE_OFF.set(seg, base, off);
        CQE_PAD.set(seg, base, 0L);
    }

    long cqeUserData(int slot) {
        return (long) CQE_USER_DATA.get(seg, cqes + slot * CQE32.byteSize());
    }

    long cqeOff(int slot) {
        return (long) CQE_OFF.get(seg, cqes + slot * CQE32.byteSize());
    }

    int cqeRes(int slot) {
        return (int) CQE_RES.get(seg, cqes + slot * CQE32.byteSize());
    }

    int cqeFlags(int slot) {
        return (int) CQE_FLAGS.get(seg, cqes + slot * CQE32.byteSize());
    }
}
