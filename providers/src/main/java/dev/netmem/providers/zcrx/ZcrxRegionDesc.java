package dev.netmem.providers.zcrx;

/**
 * The fields of {@code struct io_uring_region_desc} (the refill-ring region of a zcrx registration)
 * that {@code io_create_region} checks. netmem always allocates the region itself (the kernel's
 * kernel-memory region, {@code user_addr == 0}), so its size and address are not given here.
 *
 * @param flags      {@code IORING_MEM_REGION_TYPE_*}: only {@link #IORING_MEM_REGION_TYPE_USER} is
 *                   known ({@code -EINVAL} for any other bit); it needs a {@code user_addr}, which this
 *                   model never has, so it is refused with {@code -EFAULT} as the kernel refuses
 *                   {@code TYPE_USER} with a null {@code user_addr}
 * @param mmapOffset output only: must be 0 on input ({@code -EINVAL})
 * @param id         must be 0 ({@code -EINVAL})
 * @param resv       {@code __resv[4]}, ORed: must be 0 ({@code -EINVAL})
 */
public record ZcrxRegionDesc(int flags, long mmapOffset, int id, long resv) {
    /** {@code IORING_MEM_REGION_TYPE_USER}: the region is user memory at {@code user_addr}. */
    public static final int IORING_MEM_REGION_TYPE_USER = 1;

    /** A zeroed descriptor: a region the kernel (here: netmem) allocates. */
    public static final ZcrxRegionDesc KERNEL = new ZcrxRegionDesc(0, 0, 0, 0);
}
