package dev.netmem.uring;

/**
 * Receives the CQEs {@link IoUring#reap} walks, as primitives, so that reaping allocates nothing.
 * Runs on the ring's owner thread; it may prepare and submit new SQEs (re-arm) while it runs.
 */
@FunctionalInterface
public interface CqeHandler {
    /**
     * One completion.
     *
     * @param userData the SQE's {@code user_data}
     * @param res      the result: bytes, a count, or {@code -errno} (see {@link dev.netmem.api.Errno})
     * @param flags    {@code IORING_CQE_F_*}; with {@code IORING_CQE_F_BUFFER} the buffer id in the upper 16 bits
     */
    void onCqe(long userData, int res, int flags);
}
