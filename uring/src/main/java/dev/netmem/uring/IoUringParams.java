package dev.netmem.uring;

import static dev.netmem.uring.IoUringDescriptor.IORING_SETUP_COOP_TASKRUN;
import static dev.netmem.uring.IoUringDescriptor.IORING_SETUP_CQSIZE;
import static dev.netmem.uring.IoUringDescriptor.IORING_SETUP_DEFER_TASKRUN;
import static dev.netmem.uring.IoUringDescriptor.IORING_SETUP_NO_SQARRAY;
import static dev.netmem.uring.IoUringDescriptor.IORING_SETUP_R_DISABLED;
import static dev.netmem.uring.IoUringDescriptor.IORING_SETUP_SINGLE_ISSUER;
import static dev.netmem.uring.IoUringDescriptor.IORING_SETUP_SUBMIT_ALL;
import static dev.netmem.uring.IoUringDescriptor.IORING_SETUP_TASKRUN_FLAG;

/**
 * What {@link IoUring#open} asks {@code io_uring_setup} for: SQ and CQ sizes and the preferred setup
 * flags. Flags a kernel rejects with {@code EINVAL} are dropped one by one, newest feature first
 * (NO_SQARRAY, DEFER_TASKRUN, SINGLE_ISSUER, SUBMIT_ALL, TASKRUN_FLAG, COOP_TASKRUN);
 * {@link IoUring#setupFlags()} says which were accepted. {@link IoUringDescriptor#IORING_SETUP_CQSIZE}
 * is always set.
 *
 * @param sqEntries  SQ size, a power of two in [1, 32768]
 * @param cqEntries  CQ size, a power of two in [sqEntries, 65536]
 * @param setupFlags preferred {@code IORING_SETUP_*} flags, a subset of {@link #SUPPORTED_FLAGS}
 */
public record IoUringParams(int sqEntries, int cqEntries, int setupFlags) {
    /** {@code IORING_MAX_ENTRIES}. */
    public static final int MAX_SQ_ENTRIES = 32768;
    /** {@code IORING_MAX_CQ_ENTRIES}. */
    public static final int MAX_CQ_ENTRIES = 2 * MAX_SQ_ENTRIES;

    /** SINGLE_ISSUER | DEFER_TASKRUN | CQSIZE | SUBMIT_ALL | NO_SQARRAY: the receive path's choice. */
    public static final int DEFAULT_FLAGS = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN
            | IORING_SETUP_CQSIZE | IORING_SETUP_SUBMIT_ALL | IORING_SETUP_NO_SQARRAY;

    /** The flags this binding knows how to drive; SQPOLL, IOPOLL, CQE32, SQE128, NO_MMAP are not among them. */
    public static final int SUPPORTED_FLAGS = DEFAULT_FLAGS | IORING_SETUP_COOP_TASKRUN
            | IORING_SETUP_TASKRUN_FLAG | IORING_SETUP_R_DISABLED;

    /**
     * The order in which flags are dropped when {@code io_uring_setup} says {@code EINVAL}: NO_SQARRAY
     * (6.6), DEFER_TASKRUN (6.1), SINGLE_ISSUER (6.0), SUBMIT_ALL (5.18), COOP_TASKRUN and
     * TASKRUN_FLAG (5.19). CQSIZE (5.5) and R_DISABLED (5.10) are never dropped.
     */
    static final int[] FALLBACK_ORDER = {IORING_SETUP_NO_SQARRAY, IORING_SETUP_DEFER_TASKRUN,
            IORING_SETUP_SINGLE_ISSUER, IORING_SETUP_SUBMIT_ALL, IORING_SETUP_TASKRUN_FLAG, IORING_SETUP_COOP_TASKRUN};

    /** Validates; see the component descriptions. */
    public IoUringParams {
        if (sqEntries < 1 || sqEntries > MAX_SQ_ENTRIES || Integer.bitCount(sqEntries) != 1) {
            throw new IllegalArgumentException("sqEntries must be a power of two in [1, 32768]: sqEntries=" + sqEntries);
        }
        if (cqEntries < sqEntries || cqEntries > MAX_CQ_ENTRIES || Integer.bitCount(cqEntries) != 1) {
            throw new IllegalArgumentException("cqEntries must be a power of two in [sqEntries, 65536]: cqEntries="
                    + cqEntries + ", sqEntries=" + sqEntries);
        }
        if ((setupFlags & ~SUPPORTED_FLAGS) != 0) {
            throw new IllegalArgumentException("unsupported setup flags: 0x"
                    + Integer.toHexString(setupFlags & ~SUPPORTED_FLAGS));
        }
        if ((setupFlags & IORING_SETUP_DEFER_TASKRUN) != 0 && (setupFlags & IORING_SETUP_SINGLE_ISSUER) == 0) {
            throw new IllegalArgumentException("IORING_SETUP_DEFER_TASKRUN needs IORING_SETUP_SINGLE_ISSUER");
        }
        setupFlags |= IORING_SETUP_CQSIZE;
    }

    /** The given sizes with {@link #DEFAULT_FLAGS}. */
    public static IoUringParams of(int sqEntries, int cqEntries) {
        return new IoUringParams(sqEntries, cqEntries, DEFAULT_FLAGS);
    }

    /** These sizes with other preferred flags. */
    public IoUringParams withSetupFlags(int flags) {
        return new IoUringParams(sqEntries, cqEntries, flags);
    }
}
