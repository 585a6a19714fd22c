package dev.netmem.providers.zcrx;

/**
 * The fields of {@code struct io_uring_zcrx_area_reg} that {@code io_import_area} checks before it
 * imports the memory; the memory itself ({@code addr}, {@code len}, {@code dmabuf_fd}) is the
 * {@link ZcrxArea}. All must be zero except {@link #IORING_ZCRX_AREA_DMABUF}, which must name the
 * area's kind.
 *
 * @param flags       {@code IORING_ZCRX_AREA_*}: {@link #IORING_ZCRX_AREA_DMABUF} for a dma-buf
 *                    area, else 0; any other bit is refused ({@code -EINVAL})
 * @param rqAreaToken output only: must be 0 on input ({@code -EINVAL})
 * @param resv        {@code __resv2[2]}, ORed: must be 0 ({@code -EINVAL})
 */
public record ZcrxAreaReg(int flags, long rqAreaToken, long resv) {
    /** {@code IORING_ZCRX_AREA_DMABUF}: the area is a dma-buf ({@code dmabuf_fd}), not user memory. */
    public static final int IORING_ZCRX_AREA_DMABUF = 1;

    /** The zeroed area registration for {@code area}: {@link #IORING_ZCRX_AREA_DMABUF} iff a dma-buf. */
    public static ZcrxAreaReg of(ZcrxArea area) {
        return new ZcrxAreaReg(area.dmabuf() != null ? IORING_ZCRX_AREA_DMABUF : 0, 0, 0);
    }
}
