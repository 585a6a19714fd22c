package dev.netmem.uring;

import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * An {@code eventfd(2)} that wakes a ring's owner blocked in {@link IoUring#submitAndWait}, as
 * {@code napi_schedule} wakes a NAPI poll: the owner keeps an {@code IORING_OP_READ} of the counter
 * armed ({@link #prepRead}) and re-arms it after each completion ({@code res} 8); any thread calls
 * {@link #signal()}. Signals before the read is armed are not lost: the counter keeps them.
 */
public final class EventFd implements AutoCloseable {
    private static final int EFD_CLOEXEC = 0x80000;

    private final int fd;
    private final Arena arena = Arena.ofShared();
    /** The owner's read target: the counter value the last read returned. */
    private final MemorySegment counter;
    /** The constant 1 every {@link #signal()} writes; only read, so threads may share it. */
    private final MemorySegment one;
    private boolean closed;

    private EventFd(int fd) {
        this.fd = fd;
        this.counter = arena.allocate(JAVA_LONG);
        this.one = arena.allocate(JAVA_LONG);
        one.set(JAVA_LONG, 0, 1L);
    }

    /** {@code eventfd(0, EFD_CLOEXEC)}. */
    public static EventFd create() {
        int fd = Libc.eventfd(0, EFD_CLOEXEC);
        if (fd < 0) {
            throw new SyscallException("eventfd", fd, null);
        }
        return new EventFd(fd);
    }

    /** The eventfd's file descriptor. */
    public int fd() {
        return fd;
    }

    /** Prepares the read of the counter into this object's buffer. Owner of {@code ring} only. */
    public void prepRead(IoUring ring, int sqe, long userData) {
        ring.prepRead(sqe, fd, counter.address(), (int) JAVA_LONG.byteSize(), 0L, userData);
    }

    /** The counter value the last completed read returned (the number of signals it collected). */
    public long lastCount() {
        return counter.get(JAVA_LONG, 0);
    }

    /** Adds 1 to the counter, waking the armed read. Any thread. */
    public void signal() {
        long r = Libc.write(fd, one, JAVA_LONG.byteSize());
        if (r < 0) {
            throw new SyscallException("write", (int) r, "eventfd " + fd);
        }
    }

    /** Closes the fd (an armed read then completes or is cancelled by the kernel) and frees the buffers. Idempotent. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        Libc.close(fd);
        arena.close();
    }
}
