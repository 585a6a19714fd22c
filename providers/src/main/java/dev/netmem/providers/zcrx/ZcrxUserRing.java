package dev.netmem.providers.zcrx;

import dev.netmem.api.NetIov;
import dev.netmem.providers.internal.ShmFile;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.Objects;

/**
 * The user side of a zcrx ifq, as an io_uring application sees it (liburing's view of the zcrx
 * region): maps the region file and the area, reads completions, reads the received bytes in place
 * and returns buffers through the refill ring. Usable from any process that can open both files.
 *
 * <pre>{@code
 * try (ZcrxUserRing ring = ZcrxUserRing.open(regionPath, areaPath)) {
 *     ring.poll((off, len, flags) -> {
 *         MemorySegment data = ring.data(off, len);   // the bytes, in place
 *         ...
 *         ring.refill(off, len);                      // give the buffer back
 *     });
 * }
 * }</pre>
 *
 * <p>Thread safety: none; one thread consumes completions and produces refill entries, as the single
 * issuer of an io_uring does.
 */
public final class ZcrxUserRing implements AutoCloseable {
    /** Receives one completion. */
    @FunctionalInterface
    public interface CompletionHandler {
        /**
         * One CQE.
         *
         * @param off   {@code area token | buffer offset in the area}; pass it back to {@link #refill}
         * @param len   bytes received ({@code res})
         * @param flags CQE flags ({@code IORING_CQE_F_MORE})
         */
        void onCompletion(long off, int len, int flags);
    }

    /** Receives one event CQE ({@link ZcrxEventDesc}). */
    @FunctionalInterface
    public interface EventHandler {
        /**
         * One event.
         *
         * @param userData the event descriptor's {@code user_data}
         * @param type     {@link ZcrxIfq#ZCRX_EVENT_ALLOC_FAIL} or {@link ZcrxIfq#ZCRX_EVENT_COPY} ({@code res})
         */
        void onEvent(long userData, int type);
    }

    private final ShmFile regionFile;
    private final ShmFile areaFile;
    private final ZcrxRegion region;
    private final MemorySegment area;
    private final long token;
    private final int rqMask;
    private final int cqMask;
    private int rqTail;
    private int cqHead;

    private ZcrxUserRing(ShmFile regionFile, ShmFile areaFile, MemorySegment area) {
        this.regionFile = regionFile;
        this.areaFile = areaFile;
        this.region = ZcrxRegion.attach(regionFile.segment(), regionFile.path().toString());
        if (region.areaLen() != area.byteSize()) {
            throw new IllegalArgumentException("zcrx area is " + area.byteSize() + " B, the region says "
                    + region.areaLen() + " B");
        }
        this.area = area;
        this.token = region.areaToken();
        this.rqMask = region.rqEntries() - 1;
        this.cqMask = region.cqEntries() - 1;
        this.rqTail = region.rqTailAcquire();
        this.cqHead = region.cqHeadAcquire();
    }

    /**
     * Maps the region file and the area's dma-buf file: the view of another process.
     *
     * @throws IllegalArgumentException if the region file is not a zcrx region or the area size differs
     * @throws java.io.UncheckedIOException if a file cannot be mapped
     */
    public static ZcrxUserRing open(Path region, Path area) {
        ShmFile r = ShmFile.open(Objects.requireNonNull(region, "region"));
        ShmFile a = null;
        try {
            a = ShmFile.open(Objects.requireNonNull(area, "area"));
            return new ZcrxUserRing(r, a, a.segment());
        } catch (RuntimeException e) {
            r.close();
            if (a != null) {
                a.close();
            }
            throw e;
        }
    }

    /**
     * Maps the region file; the area is memory this process already has (user memory registered with
     * {@link ZcrxArea#ofUserMemory}).
     *
     * @throws IllegalArgumentException if the region file is not a zcrx region or the area size differs
     */
    public static ZcrxUserRing open(Path region, MemorySegment area) {
        ShmFile r = ShmFile.open(Objects.requireNonNull(region, "region"));
        try {
            return new ZcrxUserRing(r, null, Objects.requireNonNull(area, "area"));
        } catch (RuntimeException e) {
            r.close();
            throw e;
        }
    }

    /**
     * Reads every completion posted so far (acquire on the completion tail), hands each to
     * {@code handler}, then frees their slots (release on the completion head). Event CQEs are
     * skipped: an ifq registered with events is polled with {@link #poll(CompletionHandler, EventHandler)}.
     *
     * @return how many receive completions were read
     */
    public int poll(CompletionHandler handler) {
        return poll(handler, (userData, type) -> { });
    }

    /**
     * {@link #poll(CompletionHandler)}, with event CQEs handed to {@code events}: a CQE without
     * {@link ZcrxIfq#IORING_CQE_F_MORE} is an event (every receive completion carries it, as a
     * multishot {@code RECV_ZC} does).
     *
     * @return how many receive completions were read (events not included)
     */
    public int poll(CompletionHandler handler, EventHandler events) {
        int tail = region.cqTailAcquire(); // partner: ZcrxIfq.publishCqeLocked's cqTailRelease
        int head = cqHead;
        int n = 0;
        while (head != tail) {
            int slot = head & cqMask;
            int flags = region.cqeFlags(slot);
            if ((flags & ZcrxIfq.IORING_CQE_F_MORE) == 0) {
                events.onEvent(region.cqeUserData(slot), region.cqeRes(slot));
            } else {
                handler.onCompletion(region.cqeOff(slot), region.cqeRes(slot), flags);
                n++;
            }
            head++;
        }
        cqHead = head;
        region.cqHeadRelease(head); // partner: ZcrxIfq.postCompletion's cqHeadAcquire (ring-full check)
        return n;
    }

    /** Completions posted and not yet read. */
    public int completionsReady() {
        return region.cqTailAcquire() - cqHead;
    }

    /**
     * {@code zcrx_stats.copy_count} in the region: frags the copy fallback copied; 0 unless the ifq
     * was registered with {@link ZcrxIfq#ZCRX_EVENT_DESC_FLAG_STATS}. A racy read, as in the kernel.
     */
    public long copyCount() {
        return region.copyCountOpaque();
    }

    /** {@code zcrx_stats.copy_bytes} in the region, as {@link #copyCount()}. */
    public long copyBytes() {
        return region.copyBytesOpaque();
    }

    /** Completions the provider dropped because the ring was full. */
    public int overflow() {
        return region.cqOverflowOpaque();
    }

    /**
     * The received bytes of a completion, in place in the area.
     *
     * @throws IndexOutOfBoundsException if {@code off} and {@code len} do not name bytes of the area
     */
    public MemorySegment data(long off, int len) {
        return area.asSlice(off & ~ZcrxArea.IORING_ZCRX_AREA_MASK, len);
    }

    /**
     * Returns the buffer of a completion ({@code off = (cqe.off & ~IORING_ZCRX_AREA_MASK) |
     * rq_area_token}) and store-releases the refill tail.
     *
     * @return {@code false} if the refill ring is full
     */
    public boolean refill(long off, int len) {
        return postRefillEntry((off & ~ZcrxArea.IORING_ZCRX_AREA_MASK) | token, len, 0);
    }

    /**
     * Writes one raw refill entry ({@code io_uring_zcrx_rqe}) and store-releases the refill tail. The
     * provider validates every field; this is how a misbehaving or fuzzing user is modelled.
     *
     * @return {@code false} if the refill ring is full
     */
    public boolean postRefillEntry(long off, int len, int pad) {
        int tail = rqTail;
        // partner: ZcrxIfq.ringRefill's rqHeadRelease; a slot below the head is consumed and reusable.
        if (tail - region.rqHeadAcquire() > rqMask) {
            return false;
        }
        region.putRqe(tail & rqMask, off, len, pad);
        rqTail = tail + 1;
        region.rqTailRelease(tail + 1); // partner: ZcrxIfq.ringRefill's rqTailAcquire
        return true;
    }

    /** Free refill slots. */
    public int refillSpace() {
        return rqMask + 1 - (rqTail - region.rqHeadAcquire());
    }

    /** {@code rq_area_token}. */
    public long areaToken() {
        return token;
    }

    /** The area as mapped here. */
    public MemorySegment area() {
        return area;
    }

    /**
     * The default buffer size ({@code PAGE_SIZE}). An ifq registered with a larger
     * {@code rx_buf_len} has buffers of {@link ZcrxIfq#rxBufLen()} bytes, which the registration
     * reports and the region does not record; completion offsets are byte offsets either way.
     */
    public int bufferSize() {
        return NetIov.PAGE_SIZE;
    }

    /** Unmaps the region and, when this ring mapped it, the area. The files are not deleted. */
    @Override
    public void close() {
        regionFile.close();
        if (areaFile != null) {
            areaFile.close();
        }
    }
}
