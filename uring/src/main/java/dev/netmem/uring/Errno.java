package dev.netmem.uring;

/**
 * Linux errno values as the kernel returns them from io_uring ({@code cqe.res}, syscall results):
 * <em>negative</em>. Names and descriptions are glibc's ({@code strerror}) for the values netmem meets;
 * others are named {@code errno N}.
 */
public final class Errno {
    /** Operation not permitted. */
    public static final int EPERM = -1;
    /** No such file or directory. */
    public static final int ENOENT = -2;
    /** Interrupted system call. */
    public static final int EINTR = -4;
    /** Bad file descriptor. */
    public static final int EBADF = -9;
    /** Resource temporarily unavailable. */
    public static final int EAGAIN = -11;
    /** Cannot allocate memory. */
    public static final int ENOMEM = -12;
    /** Permission denied. */
    public static final int EACCES = -13;
    /** Bad address. */
    public static final int EFAULT = -14;
    /** Device or resource busy. */
    public static final int EBUSY = -16;
    /** File exists; io_uring: not the ring's single issuer. */
    public static final int EEXIST = -17;
    /** Invalid argument. */
    public static final int EINVAL = -22;
    /** Too many open files. */
    public static final int EMFILE = -24;
    /** Function not implemented. */
    public static final int ENOSYS = -38;
    /** Invalid request descriptor; io_uring: completions were dropped (CQ overflow). */
    public static final int EBADR = -53;
    /** Timer expired; io_uring: the wait timed out. */
    public static final int ETIME = -62;
    /** Operation not supported. */
    public static final int EOPNOTSUPP = -95;
    /** Address already in use. */
    public static final int EADDRINUSE = -98;
    /** Connection reset by peer. */
    public static final int ECONNRESET = -104;
    /** No buffer space available; io_uring: the provided-buffer ring was empty. */
    public static final int ENOBUFS = -105;
    /** Transport endpoint is not connected. */
    public static final int ENOTCONN = -107;
    /** Connection refused. */
    public static final int ECONNREFUSED = -111;
    /** Operation now in progress. */
    public static final int EINPROGRESS = -115;
    /** Operation canceled. */
    public static final int ECANCELED = -125;

    private static final String[][] NAMES = new String[134][];

    static {
        put(1, "EPERM", "Operation not permitted");
        put(2, "ENOENT", "No such file or directory");
        put(4, "EINTR", "Interrupted system call");
        put(5, "EIO", "Input/output error");
        put(9, "EBADF", "Bad file descriptor");
        put(11, "EAGAIN", "Resource temporarily unavailable");
        put(12, "ENOMEM", "Cannot allocate memory");
        put(13, "EACCES", "Permission denied");
        put(14, "EFAULT", "Bad address");
        put(16, "EBUSY", "Device or resource busy");
        put(17, "EEXIST", "File exists");
        put(19, "ENODEV", "No such device");
        put(22, "EINVAL", "Invalid argument");
        put(23, "ENFILE", "Too many open files in system");
        put(24, "EMFILE", "Too many open files");
        put(28, "ENOSPC", "No space left on device");
        put(32, "EPIPE", "Broken pipe");
        put(34, "ERANGE", "Numerical result out of range");
        put(38, "ENOSYS", "Function not implemented");
        put(53, "EBADR", "Invalid request descriptor");
        put(62, "ETIME", "Timer expired");
        put(75, "EOVERFLOW", "Value too large for defined data type");
        put(88, "ENOTSOCK", "Socket operation on non-socket");
        put(95, "EOPNOTSUPP", "Operation not supported");
        put(97, "EAFNOSUPPORT", "Address family not supported by protocol");
        put(98, "EADDRINUSE", "Address already in use");
        put(99, "EADDRNOTAVAIL", "Cannot assign requested address");
        put(101, "ENETUNREACH", "Network is unreachable");
        put(103, "ECONNABORTED", "Software caused connection abort");
        put(104, "ECONNRESET", "Connection reset by peer");
        put(105, "ENOBUFS", "No buffer space available");
        put(106, "EISCONN", "Transport endpoint is already connected");
        put(107, "ENOTCONN", "Transport endpoint is not connected");
        put(110, "ETIMEDOUT", "Connection timed out");
        put(111, "ECONNREFUSED", "Connection refused");
        put(114, "EALREADY", "Operation already in progress");
        put(115, "EINPROGRESS", "Operation now in progress");
        put(125, "ECANCELED", "Operation canceled");
    }

    private Errno() {
    }

    private static void put(int errno, String name, String description) {
        NAMES[errno] = new String[] {name, description};
    }

    /**
     * The symbolic name of an errno value, either sign: {@code name(-105)} is {@code "ENOBUFS"};
     * unknown values give {@code "errno N"} with N positive.
     */
    public static String name(int errno) {
        int e = Math.abs(errno);
        return e < NAMES.length && NAMES[e] != null ? NAMES[e][0] : "errno " + e;
    }

    /** glibc's {@code strerror} text for an errno value, either sign; unknown values give {@code "Unknown error N"}. */
    public static String describe(int errno) {
        int e = Math.abs(errno);
        return e < NAMES.length && NAMES[e] != null ? NAMES[e][1] : "Unknown error " + e;
    }

    /** {@code "NAME (-n): description"}, e.g. {@code "ENOBUFS (-105): No buffer space available"}. */
    public static String format(int errno) {
        int neg = -Math.abs(errno);
        return name(neg) + " (" + neg + "): " + describe(neg);
    }
}
