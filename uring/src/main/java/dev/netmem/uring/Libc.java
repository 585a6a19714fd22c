package dev.netmem.uring;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;
import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;

/**
 * libc downcalls. Every call captures {@code errno} into a per-thread segment and returns what the
 * kernel would: the result, or {@code -errno} when libc reports failure ({@code -1}, or
 * {@code MAP_FAILED}).
 */
final class Libc {
    private static final Linker LINKER = Linker.nativeLinker();
    private static final Linker.Option ERRNO_CAPTURE = Linker.Option.captureCallState("errno");
    private static final StructLayout CAPTURE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CAPTURE.varHandle(groupElement("errno"));
    /** One capture segment per thread: FFM writes errno into it during the call. */
    private static final ThreadLocal<MemorySegment> STATE =
            ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(CAPTURE));

    /** {@code long syscall(long number, ...)}: six variadic {@code long}s, unused ones ignored by the kernel. */
    private static final MethodHandle SYSCALL = downcall("syscall",
            FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG),
            Linker.Option.firstVariadicArg(1));
    private static final MethodHandle MMAP = downcall("mmap",
            FunctionDescriptor.of(ADDRESS, ADDRESS, JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_LONG));
    private static final MethodHandle MUNMAP = downcall("munmap", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG));
    private static final MethodHandle CLOSE = downcall("close", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
    private static final MethodHandle SOCKET = downcall("socket", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT));
    private static final MethodHandle SOCKETPAIR = downcall("socketpair",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS));
    private static final MethodHandle SETSOCKOPT = downcall("setsockopt",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle GETSOCKOPT = downcall("getsockopt",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, ADDRESS));
    private static final MethodHandle BIND = downcall("bind", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle LISTEN = downcall("listen", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT));
    private static final MethodHandle ACCEPT4 = downcall("accept4",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, ADDRESS, JAVA_INT));
    private static final MethodHandle CONNECT = downcall("connect", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle GETSOCKNAME = downcall("getsockname",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, ADDRESS));
    private static final MethodHandle GETPEERNAME = downcall("getpeername",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, ADDRESS));
    private static final MethodHandle SHUTDOWN = downcall("shutdown", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT));
    private static final MethodHandle EVENTFD = downcall("eventfd", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT));
    private static final MethodHandle WRITE = downcall("write", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG));
    private static final MethodHandle READ = downcall("read", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG));

    private Libc() {
    }

    @SuppressWarnings("restricted") // the module's one place that links native code
    private static MethodHandle downcall(String name, FunctionDescriptor fd, Linker.Option... extra) {
        Linker.Option[] options = new Linker.Option[extra.length + 1];
        System.arraycopy(extra, 0, options, 0, extra.length);
        options[extra.length] = ERRNO_CAPTURE;
        MemorySegment symbol = LINKER.defaultLookup().find(name)
                .orElseThrow(() -> new UnsatisfiedLinkError("libc has no " + name));
        return LINKER.downcallHandle(symbol, fd, options);
    }

    private static int errno(MemorySegment state) {
        return (int) ERRNO.get(state, 0L);
    }

    private static long ret(long r, MemorySegment state) {
        return r == -1 ? -errno(state) : r;
    }

    private static int ret(int r, MemorySegment state) {
        return r == -1 ? -errno(state) : r;
    }

    private static AssertionError unexpected(Throwable t) {
        return new AssertionError("downcall failed", t);
    }

    /** {@code syscall(nr, a1..a6)}: the result, or {@code -errno}. */
    static long syscall(long nr, long a1, long a2, long a3, long a4, long a5, long a6) {
        MemorySegment st = STATE.get();
        try {
            return ret((long) SYSCALL.invokeExact(st, nr, a1, a2, a3, a4, a5, a6), st);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /** {@code mmap(NULL, len, prot, flags, fd, off)}: the address, or {@code -errno}. */
    static long mmap(long len, int prot, int flags, int fd, long off) {
        MemorySegment st = STATE.get();
        try {
            long addr = ((MemorySegment) MMAP.invokeExact(st, MemorySegment.NULL, len, prot, flags, fd, off)).address();
            return ret(addr, st);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    static int munmap(long addr, long len) {
        MemorySegment st = STATE.get();
        try {
            return ret((int) MUNMAP.invokeExact(st, MemorySegment.ofAddress(addr), len), st);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    static int close(int fd) {
        MemorySegment st = STATE.get();
        try {
            return ret((int) CLOSE.invokeExact(st, fd), st);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    static int socket(int domain, int type, int protocol) {
        MemorySegment st = STATE.get();
        try {
            return ret((int) SOCKET.invokeExact(st, domain, type, protocol), st);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    static int socketpair(int domain, int type, int protocol, MemorySegment fds) {
        MemorySegment st = STATE.get();
        try {
            return ret((int) SOCKETPAIR.invokeExact(st, domain, type, protocol, fds), st);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    static int setsockopt(int fd, int level, int name, MemorySegment value, int len) {
        MemorySegment st = STATE.get();
        try {
            return ret((int) SETSOCKOPT.invokeExact(st, fd, level, name, value, len), st);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    static int getsockopt(int fd, int level, int name, MemorySegment value, MemorySegment len) {
        MemorySegment st = STATE.get();
        try {
            return ret((int) GETSOCKOPT.invokeExact(st, fd, level, name, value, len), st);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    static int bind(int fd, MemorySegment addr, int len) {
        MemorySegment st = STATE.get();
        try {
            return ret((int) BIND.invokeExact(st, fd, addr, len), st);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    static int listen(int fd, int backlog) {
        MemorySegment st = STATE.get();
        try {
            return ret((int) LISTEN.invokeExact(st, fd, backlog), st);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    static int accept4(int fd, MemorySegment addr, MemorySegment len, int flags) {
        MemorySegment st = STATE.get();
        try {
            return ret((int) ACCEPT4.invokeExact(st, fd, addr, len, flags), st);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    static int connect(int fd, MemorySegment addr, int len) {
        MemorySegment st = STATE.get();
        try {
            return ret((int) CONNECT.invokeExact(st, fd, addr, len), st);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    static int getsockname(int fd, MemorySegment addr, MemorySegment len) {
        MemorySegment st = STATE.get();
        try {
            return ret((int) GETSOCKNAME.invokeExact(st, fd, addr, len), st);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    static int getpeername(int fd, MemorySegment addr, MemorySegment len) {
        MemorySegment st = STATE.get();
        try {
            return ret((int) GETPEERNAME.invokeExact(st, fd, addr, len), st);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    static int shutdown(int fd, int how) {
        MemorySegment st = STATE.get();
        try {
            return ret((int) SHUTDOWN.invokeExact(st, fd, how), st);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    static int eventfd(int initval, int flags) {
        MemorySegment st = STATE.get();
        try {
            return ret((int) EVENTFD.invokeExact(st, initval, flags), st);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    static long write(int fd, MemorySegment buf, long len) {
        MemorySegment st = STATE.get();
        try {
            return ret((long) WRITE.invokeExact(st, fd, buf, len), st);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    static long read(int fd, MemorySegment buf, long len) {
        MemorySegment st = STATE.get();
        try {
            return ret((long) READ.invokeExact(st, fd, buf, len), st);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }
}
