package dev.netmem.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import org.junit.jupiter.api.Test;

/**
 * The errno vocabulary against Linux's numbers ({@code include/uapi/asm-generic/errno-base.h},
 * {@code errno.h}) and glibc's {@code strerror} texts, typed here by hand on purpose.
 */
class ErrnoTest {
    /** Name, positive number, strerror text: one line per constant, every constant listed. */
    private static final String TABLE = """
            EPERM 1 Operation not permitted
            ENOENT 2 No such file or directory
            EINTR 4 Interrupted system call
            EIO 5 Input/output error
            E2BIG 7 Argument list too long
            EBADF 9 Bad file descriptor
            EAGAIN 11 Resource temporarily unavailable
            ENOMEM 12 Cannot allocate memory
            EACCES 13 Permission denied
            EFAULT 14 Bad address
            EBUSY 16 Device or resource busy
            EEXIST 17 File exists
            ENODEV 19 No such device
            EINVAL 22 Invalid argument
            ENFILE 23 Too many open files in system
            EMFILE 24 Too many open files
            ENOSPC 28 No space left on device
            EPIPE 32 Broken pipe
            ERANGE 34 Numerical result out of range
            ENOSYS 38 Function not implemented
            EBADR 53 Invalid request descriptor
            ENODATA 61 No data available
            ETIME 62 Timer expired
            EOVERFLOW 75 Value too large for defined data type
            ENOTSOCK 88 Socket operation on non-socket
            EOPNOTSUPP 95 Operation not supported
            EAFNOSUPPORT 97 Address family not supported by protocol
            EADDRINUSE 98 Address already in use
            EADDRNOTAVAIL 99 Cannot assign requested address
            ENETDOWN 100 Network is down
            ENETUNREACH 101 Network is unreachable
            ECONNABORTED 103 Software caused connection abort
            ECONNRESET 104 Connection reset by peer
            ENOBUFS 105 No buffer space available
            EISCONN 106 Transport endpoint is already connected
            ENOTCONN 107 Transport endpoint is not connected
            ETIMEDOUT 110 Connection timed out
            ECONNREFUSED 111 Connection refused
            EALREADY 114 Operation already in progress
            EINPROGRESS 115 Operation now in progress
            ECANCELED 125 Operation canceled
            ETOOSMALL 525 Unknown error 525
            """;

    @Test
    void shouldMatchLinuxNumbersAndGlibcDescriptions() {
        String[] lines = TABLE.strip().split("\n");
        assertEquals(lines.length, Errno.values().length, "every constant is in the table");
        for (String line : lines) {
            String[] f = line.split(" ", 3);
            Errno e = Errno.valueOf(f[0]);
            int n = Integer.parseInt(f[1]);
            assertEquals(-n, e.value(), f[0]);
            assertEquals(f[2], e.description(), f[0]);
            assertSame(e, Errno.of(-n), f[0]);
            assertSame(e, Errno.of(n), f[0] + " (positive, as libc's errno)");
            assertEquals(f[0], Errno.nameOf(-n));
            assertEquals(f[0], Errno.nameOf(n));
            assertEquals(f[2], Errno.describe(-n));
            assertEquals(f[2], Errno.describe(n));
        }
    }

    @Test
    void shouldNameAndDescribeValuesItDoesNotModel() {
        assertNull(Errno.of(-200));
        assertNull(Errno.of(0));
        assertNull(Errno.of(-3)); // ESRCH: a real errno netmem never reports
        assertNull(Errno.of(Integer.MIN_VALUE));
        assertEquals("errno 200", Errno.nameOf(-200));
        assertEquals("errno 200", Errno.nameOf(200));
        assertEquals("errno 3", Errno.nameOf(-3));
        assertEquals("errno 0", Errno.nameOf(0));
        assertEquals("errno 2147483648", Errno.nameOf(Integer.MIN_VALUE));
        assertEquals("Unknown error 200", Errno.describe(-200));
        assertEquals("Unknown error 2147483648", Errno.describe(Integer.MIN_VALUE));
    }

    @Test
    void shouldBuildTheExceptionCarryingItsErrnoAndMessage() {
        ErrnoException e = Errno.ENOBUFS.exception("the provided-buffer ring is empty");
        assertSame(Errno.ENOBUFS, e.errno());
        assertEquals("the provided-buffer ring is empty", e.getMessage());
    }
}
