package dev.netmem.providers.zcrx;

/**
 * The parts of {@code struct io_uring_zcrx_ifq_reg} (and of the ring's setup flags) that shape an
 * ifq: ring sizes, {@code IORING_SETUP_CLAMP}, and the event descriptor. Checked by
 * {@link ZcrxIfq#register(ZcrxArea, dev.netmem.api.DmaDevice, ZcrxIfqReg, java.nio.file.Path,
 * java.util.function.Consumer, Object)}, in the kernel's order.
 *
 * @param rqEntries  refill ring size: in {@code [1, IO_RQ_MAX_ENTRIES]}, or larger with
 *                   {@link ZcrxIfq#IORING_SETUP_CLAMP} (then clamped); rounded up to a power of two
 * @param cqEntries  completion ring size ({@code cq_entries} of the ring): in
 *                   {@code [1, IORING_MAX_CQ_ENTRIES]}, or clamped likewise
 * @param setupFlags the ring's {@code IORING_SETUP_*} flags; only {@link ZcrxIfq#IORING_SETUP_CLAMP}
 *                   matters here
 * @param eventDesc  the events and stats wanted, or {@code null} for none
 */
public record ZcrxIfqReg(int rqEntries, int cqEntries, int setupFlags, ZcrxEventDesc eventDesc) {
    /** Ring sizes only: no setup flags, no events. */
    public static ZcrxIfqReg of(int rqEntries, int cqEntries) {
        return new ZcrxIfqReg(rqEntries, cqEntries, 0, null);
    }

    /** This registration with {@code flags} as the ring's setup flags. */
    public ZcrxIfqReg withSetupFlags(int flags) {
        return new ZcrxIfqReg(rqEntries, cqEntries, flags, eventDesc);
    }

    /** This registration with {@code desc} as its event descriptor. */
    public ZcrxIfqReg withEvents(ZcrxEventDesc desc) {
        return new ZcrxIfqReg(rqEntries, cqEntries, setupFlags, desc);
    }
}
