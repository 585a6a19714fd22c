package dev.netmem.uring;

import java.io.Serial;

/**
 * A system call (or an io_uring operation reported through one) failed: carries the call's name and
 * the negative errno. The message is {@code "call: NAME (-n): description"}, then {@code "; detail"}
 * when there is one, e.g. {@code "io_uring_setup: EPERM (-1): Operation not permitted"}.
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
        super(call + ": " + Errno.format(errno) + (detail == null ? "" : "; " + detail));
        this.call = call;
        this.errno = -Math.abs(errno);
    }

    /** The failed call's name. */
    public String call() {
        return call;
    }

    /** The negative errno, e.g. {@link Errno#EPERM}. */
    public int errno() {
        return errno;
    }
}
