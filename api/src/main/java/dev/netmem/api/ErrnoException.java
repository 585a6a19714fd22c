package dev.netmem.api;

import java.io.Serial;
import java.util.Objects;

/**
 * A failure the kernel would report as a negative errno: bind-rx checks, queue restarts, socket
 * calls, provider registration. The message is the kernel's extack text where it has one. Built
 * only by {@link Errno#exception(String)}.
 */
public final class ErrnoException extends RuntimeException {
    @Serial
    private static final long serialVersionUID = 1L;

    private final Errno errno;

    ErrnoException(Errno errno, String message) {
        super(message);
        this.errno = Objects.requireNonNull(errno, "errno");
    }

    /** The error number. */
    public Errno errno() {
        return errno;
    }
}
