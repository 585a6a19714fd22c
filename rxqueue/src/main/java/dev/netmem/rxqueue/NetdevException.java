package dev.netmem.rxqueue;

import java.io.Serial;
import java.util.Objects;

/**
 * A failed netdev operation: the kernel's negative errno plus its extack message. The message is
 * exact and stable; tests assert it verbatim.
 */
public final class NetdevException extends RuntimeException {
    @Serial
    private static final long serialVersionUID = 1L;

    /** The error code; an enum constant, so serializable. */
    private final Errno errno;

    /**
     * Creates an exception.
     *
     * @param errno   the error code
     * @param message the extack message
     */
    public NetdevException(Errno errno, String message) {
        super(message);
        this.errno = Objects.requireNonNull(errno, "errno");
    }

    /** The error code. */
    public Errno errno() {
        return errno;
    }
}
