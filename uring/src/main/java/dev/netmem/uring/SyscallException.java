package dev.netmem.uring;

import dev.netmem.api.Errno;
import java.io.Serial;

/**
 * A system call (or an io_uring operation reported through one) failed: carries the call's name and
 * the negative errno. The message is {@code "call: NAME (-n): description"}, then {@code "; detail"}
 * when there is one, e.g. {@code "io_uring_setup: EPERM (-1): Operation not permitted"}; names and
 * descriptions are the project's {@link Errno} vocabulary's.
 *
 * @apiNote Not an {@link dev.netmem.api.ErrnoException}: that one reports a failure netmem models "as the
 *          kernel would" and carries an {@link Errno}; this one reports what the running kernel answered,
 *          which may be a value the vocabulary does not name, and callers compare {@link #errno()} with
 *          an {@link Errno#value()}.
 */
public final class SyscallException extends RuntimeException {
    @Serial
    private static final long serialVersionUID = 1L;

    /** The failed call's name. */
    private final String call;
    /** The negative errno. */
    private final int errno;

    /**
     * @param call   the system call or register opcode, e.g. {@code "io_uring_setup"}
     * @param errno  the error, either sign (stored negative)
     * @param detail what the caller knows more, or {@code null}
     */
    public SyscallException(String call, int errno, String detail) {
        super(call + ": " + format(errno) + (detail == null ? "" : "; " + detail));
        this.call = call;
        this.errno = -Math.abs(errno);
    }

    /**
     * {@code "NAME (-n): description"} for an errno value of either sign, e.g.
     * {@code "ENOBUFS (-105): No buffer space available"}.
     */
    static String format(int errno) {
        return Errno.nameOf(errno) + " (" + -Math.abs((long) errno) + "): " + Errno.describe(errno);
    }

    /** The failed call's name. */
    public String call() {
        return call;
    }

    /** The negative errno, e.g. {@code Errno.EPERM.value()}. */
    public int errno() {
        return errno;
    }
}
