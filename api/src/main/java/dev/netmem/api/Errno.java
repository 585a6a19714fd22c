package dev.netmem.api;

/**
 * The kernel error numbers netmem reports, with the kernel's names and its negative return values
 * ({@code -EINVAL} is {@code -22}). The one errno vocabulary of the project: every layer that fails
 * "as the kernel would" reports one of these, through {@link #exception(String)}.
 */
public enum Errno {
    /** Operation not permitted. */
    EPERM(-1),
    /** No such file or directory (also: no such object). */
    ENOENT(-2),
    /** Argument list too long. */
    E2BIG(-7),
    /** Try again. */
    EAGAIN(-11),
    /** Out of memory. */
    ENOMEM(-12),
    /** Bad address. */
    EFAULT(-14),
    /** Device or resource busy. */
    EBUSY(-16),
    /** Already exists. */
    EEXIST(-17),
    /** No such device. */
    ENODEV(-19),
    /** Invalid argument. */
    EINVAL(-22),
    /** No space left on device (a ring is full). */
    ENOSPC(-28),
    /** Result out of range. */
    ERANGE(-34),
    /** Function not implemented. */
    ENOSYS(-38),
    /** Invalid request descriptor (io_uring: CQ overflow could not be stored). */
    EBADR(-53),
    /** No data available. */
    ENODATA(-61),
    /** Operation not supported. */
    EOPNOTSUPP(-95),
    /** Network is down. */
    ENETDOWN(-100),
    /** Connection reset by peer. */
    ECONNRESET(-104),
    /** No buffer space available (io_uring: the provided-buffer ring is empty). */
    ENOBUFS(-105),
    /** Transport endpoint is not connected. */
    ENOTCONN(-107),
    /** Operation canceled. */
    ECANCELED(-125),
    /**
     * Buffer or request is too small: kernel-internal, yet what devmem {@code recvmsg} returns when
     * its first control record does not fit ({@code put_cmsg_notrunc}).
     */
    ETOOSMALL(-525);

    private static final Errno[] VALUES = values();

    private final int value;

    Errno(int value) {
        this.value = value;
    }

    /** The negative kernel value, as a syscall or an in-kernel function returns it. */
    public int value() {
        return value;
    }

    /**
     * The errno whose negative value is {@code value}, or {@code null} if netmem does not name it.
     * Accepts positive values too ({@code errno} as libc reports it).
     */
    public static Errno of(int value) {
        int v = value > 0 ? -value : value;
        for (Errno e : VALUES) {
            if (e.value == v) {
                return e;
            }
        }
        return null;
    }

    /** The exception reporting this errno with {@code message}: the one place errno exceptions are built. */
    public ErrnoException exception(String message) {
        return new ErrnoException(this, message);
    }
}
