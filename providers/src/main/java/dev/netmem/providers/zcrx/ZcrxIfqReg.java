package dev.netmem.providers.zcrx;

/**
 * The parts of {@code struct io_uring_zcrx_ifq_reg} (and of the ring's setup flags) that shape an
 * ifq: ring sizes, the ring's {@code IORING_SETUP_*} flags, the registration's {@code flags},
 * {@code zcrx_id}, {@code rx_buf_len} and reserved words, its region descriptor and area
 * registration, and the event descriptor. Checked by {@link ZcrxIfq#register(ZcrxArea, dev.netmem.api.DmaDevice, ZcrxIfqReg,
 * java.nio.file.Path, java.util.function.Consumer, Object)}, in the kernel's order.
 *
 * @param rqEntries  refill ring size: in {@code [1, IO_RQ_MAX_ENTRIES]}, or larger with
 *                   {@link ZcrxIfq#IORING_SETUP_CLAMP} (then clamped); rounded up to a power of two
 * @param cqEntries  completion ring size ({@code cq_entries} of the ring): in
 *                   {@code [1, IORING_MAX_CQ_ENTRIES]}, or clamped likewise
 * @param setupFlags the ring's {@code IORING_SETUP_*} flags: must hold
 *                   {@link ZcrxIfq#IORING_SETUP_DEFER_TASKRUN} and one of
 *                   {@link ZcrxIfq#IORING_SETUP_CQE32} / {@link ZcrxIfq#IORING_SETUP_CQE_MIXED};
 *                   {@link ZcrxIfq#IORING_SETUP_CLAMP} clamps ring sizes
 * @param flags      {@code zcrx_reg_flags}: must be 0 ({@code -EINVAL}; netmem models the 6.18
 *                   kernel, which knows none)
 * @param zcrxId     output only: must be 0 on input ({@code -EINVAL})
 * @param rxBufLen   {@code rx_buf_len}: the size of each area buffer (net_iov), or 0 for the default
 *                   ({@code PAGE_SIZE}, and no {@code rx_page_size} asked of the driver). Otherwise a
 *                   power of two of at least {@code PAGE_SIZE} ({@code -EINVAL}) that divides the
 *                   area's contiguous chunks ({@code -ERANGE}); the queue's driver must support and
 *                   accept it as its {@code rx_page_size} ({@code -EOPNOTSUPP}, or the driver's
 *                   {@code ndo_validate_qcfg} error). The kernel writes the size used back
 *                   ({@link ZcrxIfq#rxBufLen()}).
 * @param resv       {@code __resv[3]}, ORed: must be 0 ({@code -EINVAL})
 * @param regionDesc the refill-ring region descriptor ({@code region_ptr})
 * @param areaReg    the area registration ({@code area_ptr}), or {@code null} for the zeroed one
 *                   matching the area ({@link ZcrxAreaReg#of})
 * @param eventDesc  the events and stats wanted, or {@code null} for none
 */
public record ZcrxIfqReg(int rqEntries, int cqEntries, int setupFlags, int flags, int zcrxId, int rxBufLen, long resv,
                         ZcrxRegionDesc regionDesc, ZcrxAreaReg areaReg, ZcrxEventDesc eventDesc) {
    /**
     * The setup flags of a ring that may register zcrx:
     * {@code SINGLE_ISSUER | DEFER_TASKRUN | CQE32} (DEFER_TASKRUN needs SINGLE_ISSUER at setup).
     */
    public static final int DEFAULT_SETUP_FLAGS = ZcrxIfq.IORING_SETUP_SINGLE_ISSUER
            | ZcrxIfq.IORING_SETUP_DEFER_TASKRUN | ZcrxIfq.IORING_SETUP_CQE32;

    /** Validates nothing (that is {@link ZcrxIfq#register}'s job); a null region descriptor is zeroed. */
    public ZcrxIfqReg {
        if (regionDesc == null) {
            regionDesc = ZcrxRegionDesc.KERNEL;
        }
    }

    /** Ring sizes only, on a ring set up with {@link #DEFAULT_SETUP_FLAGS}; every other field zero. */
    public static ZcrxIfqReg of(int rqEntries, int cqEntries) {
        return new ZcrxIfqReg(rqEntries, cqEntries, DEFAULT_SETUP_FLAGS, 0, 0, 0, 0, ZcrxRegionDesc.KERNEL, null, null);
    }

    /** This registration with {@code setup} as the ring's setup flags (replacing them). */
    public ZcrxIfqReg withSetupFlags(int setup) {
        return new ZcrxIfqReg(rqEntries, cqEntries, setup, flags, zcrxId, rxBufLen, resv, regionDesc, areaReg, eventDesc);
    }

    /** This registration with {@code regFlags} as its {@code flags}. */
    public ZcrxIfqReg withFlags(int regFlags) {
        return new ZcrxIfqReg(rqEntries, cqEntries, setupFlags, regFlags, zcrxId, rxBufLen, resv, regionDesc, areaReg, eventDesc);
    }

    /** This registration with {@code id} as its input {@code zcrx_id}. */
    public ZcrxIfqReg withZcrxId(int id) {
        return new ZcrxIfqReg(rqEntries, cqEntries, setupFlags, flags, id, rxBufLen, resv, regionDesc, areaReg, eventDesc);
    }

    /** This registration with {@code len} as its {@code rx_buf_len} (0: the default). */
    public ZcrxIfqReg withRxBufLen(int len) {
        return new ZcrxIfqReg(rqEntries, cqEntries, setupFlags, flags, zcrxId, len, resv, regionDesc, areaReg, eventDesc);
    }

    /** This registration with {@code reserved} as its reserved words. */
    public ZcrxIfqReg withResv(long reserved) {
        return new ZcrxIfqReg(rqEntries, cqEntries, setupFlags, flags, zcrxId, rxBufLen, reserved, regionDesc, areaReg, eventDesc);
    }

    /** This registration with {@code desc} as its region descriptor. */
    public ZcrxIfqReg withRegionDesc(ZcrxRegionDesc desc) {
        return new ZcrxIfqReg(rqEntries, cqEntries, setupFlags, flags, zcrxId, rxBufLen, resv, desc, areaReg, eventDesc);
    }

    /** This registration with {@code reg} as its area registration. */
    public ZcrxIfqReg withAreaReg(ZcrxAreaReg reg) {
        return new ZcrxIfqReg(rqEntries, cqEntries, setupFlags, flags, zcrxId, rxBufLen, resv, regionDesc, reg, eventDesc);
    }

    /** This registration with {@code desc} as its event descriptor. */
    public ZcrxIfqReg withEvents(ZcrxEventDesc desc) {
        return new ZcrxIfqReg(rqEntries, cqEntries, setupFlags, flags, zcrxId, rxBufLen, resv, regionDesc, areaReg, desc);
    }
}
