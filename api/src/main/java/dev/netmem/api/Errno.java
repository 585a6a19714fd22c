package dev.netmem.api;

/**
 * The kernel error numbers netmem reports, with the kernel's names and its negative return values
 * ({@code -EINVAL} is {@code -22}), each with glibc's {@code strerror} text as its {@link #description()}.
 * The one errno vocabulary of the project: every layer that fails "as the kernel would" reports one of
 * these, through {@link #exception(String)}; the io_uring binding compares {@code cqe.res} and syscall
 * results against their {@link #value()}s. Values the kernel may return that netmem does not name are
 * still named and described by {@link #nameOf(int)} and {@link #describe(int)}.
 */
public enum Errno {
    /** Operation not permitted. */
    EPERM(-1, "Operation not permitted"),
    /** No such file or directory (also: no such object). */
    ENOENT(-2, "No such file or directory"),
    /** Interrupted system call. */
    EINTR(-4, "Interrupted system call"),
    /** Input/output error. */
    EIO(-5, "Input/output error"),
    /** Argument list too long. */
    E2BIG(-7, "Argument list too long"),
    /** Bad file descriptor. */
    EBADF(-9, "Bad file descriptor"),
    /** Try again (resource temporarily unavailable). */
    EAGAIN(-11, "Resource temporarily unavailable"),
    /** Out of memory. */
    ENOMEM(-12, "Cannot allocate memory"),
    /** Permission denied. */
    EACCES(-13, "Permission denied"),
    /** Bad address. */
    EFAULT(-14, "Bad address"),
    /** Device or resource busy. */
    EBUSY(-16, "Device or resource busy"),
    /** Already exists (io_uring: the caller is not the ring's single issuer). */
    EEXIST(-17, "File exists"),
    /** No such device. */
    ENODEV(-19, "No such device"),
    /** Invalid argument. */
    EINVAL(-22, "Invalid argument"),
    /** Too many open files in the system. */
    ENFILE(-23, "Too many open files in system"),
    /** Too many open files (in this process). */
    EMFILE(-24, "Too many open files"),
    /** No space left on device (a ring is full). */
    ENOSPC(-28, "No space left on device"),
    /** Broken pipe. */
    EPIPE(-32, "Broken pipe"),
    /** Result out of range. */
    ERANGE(-34, "Numerical result out of range"),
    /** Function not implemented. */
    ENOSYS(-38, "Function not implemented"),
    /** Invalid request descriptor (io_uring: CQ overflow could not be stored, completions were dropped). */
    EBADR(-53, "Invalid request descriptor"),
    /** No data available. */
    ENODATA(-61, "No data available"),
    /** Timer expired (io_uring: the wait timed out). */
    ETIME(-62, "Timer expired"),
    /** Value too large for the data type. */
    EOVERFLOW(-75, "Value too large for defined data type"),
    /** Socket operation on a non-socket. */
    ENOTSOCK(-88, "Socket operation on non-socket"),
    /** Operation not supported. */
    EOPNOTSUPP(-95, "Operation not supported"),
    /** Address family not supported by protocol. */
    EAFNOSUPPORT(-97, "Address family not supported by protocol"),
    /** Address already in use. */
    EADDRINUSE(-98, "Address already in use"),
    /** Cannot assign the requested address. */
    EADDRNOTAVAIL(-99, "Cannot assign requested address"),
    /** Network is down. */
    ENETDOWN(-100, "Network is down"),
    /** Network is unreachable. */
    ENETUNREACH(-101, "Network is unreachable"),
    /** Software caused connection abort. */
    ECONNABORTED(-103, "Software caused connection abort"),
    /** Connection reset by peer. */
    ECONNRESET(-104, "Connection reset by peer"),
    /** No buffer space available (io_uring: the provided-buffer ring is empty). */
    ENOBUFS(-105, "No buffer space available"),
    /** Transport endpoint is already connected. */
    EISCONN(-106, "Transport endpoint is already connected"),
    /** Transport endpoint is not connected. */
    ENOTCONN(-107, "Transport endpoint is not connected"),
    /** Connection timed out. */
    ETIMEDOUT(-110, "Connection timed out"),
    /** Connection refused. */
    ECONNREFUSED(-111, "Connection refused"),
    /** Operation already in progress. */
    EALREADY(-114, "Operation already in progress"),
    /** Operation now in progress. */
    EINPROGRESS(-115, "Operation now in progress"),
    /** Operation canceled. */
    ECANCELED(-125, "Operation canceled"),
    /**
     * Buffer or request is too small: kernel-internal, yet what devmem {@code recvmsg} returns when
     * its first control record does not fit ({@code put_cmsg_notrunc}); glibc has no text for it.
     */
    ETOOSMALL(-525, "Unknown error 525");

    /** Indexed by the positive errno; {@code null} where netmem names no errno. */
    private static final Errno[] BY_NUMBER;

    static {
        int max = 0;
        for (Errno e : values()) {
            max = Math.max(max, -e.value);
        }
        BY_NUMBER = new Errno[max + 1];
        for (Errno e : values()) {
            BY_NUMBER[-e.value] = e;
        }
    }

    private final int value;
    private final String description;

    Errno(int value, String description) {
        this.value = value;
        this.description = description;
    }

    /** The negative kernel value, as a syscall or an in-kernel function returns it. */
    public int value() {
        return value;
    }

    /** glibc's {@code strerror} text, e.g. {@code "Cannot allocate memory"} for {@link #ENOMEM}. */
    public String description() {
        return description;
    }

    /**
     * The errno whose negative value is {@code value}, or {@code null} if netmem does not name it.
     * Accepts positive values too ({@code errno} as libc reports it).
     */
    public static Errno of(int value) {
        int n = value > 0 ? value : -value; // Integer.MIN_VALUE stays negative: named by no errno
        return n >= 0 && n < BY_NUMBER.length ? BY_NUMBER[n] : null;
    }

    /**
     * The symbolic name of any errno value, either sign: {@code nameOf(-105)} is {@code "ENOBUFS"};
     * a value netmem does not name gives {@code "errno N"}, N positive.
     */
    public static String nameOf(int value) {
        Errno e = of(value);
        return e != null ? e.name() : "errno " + Math.abs((long) value);
    }

    /**
     * glibc's {@code strerror} text for any errno value, either sign: {@code describe(-12)} is
     * {@code "Cannot allocate memory"}; a value netmem does not name gives {@code "Unknown error N"}, N positive.
     */
    public static String describe(int value) {
        Errno e = of(value);
        return e != null ? e.description : "Unknown error " + Math.abs((long) value);
    }

    /** The exception reporting this errno with {@code message}: the one place errno exceptions are built. */
    public ErrnoException exception(String message) {
        return new ErrnoException(this, message);
    }
}
