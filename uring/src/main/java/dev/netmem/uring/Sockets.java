package dev.netmem.uring;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.lang.foreign.Arena;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.VarHandle;

/**
 * The socket calls a loopback TCP receive through io_uring needs, as FFM downcalls on raw file
 * descriptors (no reflection into the JDK's channels). IPv4 loopback only. Every failure is a
 * {@link SyscallException} naming the call, e.g. {@code "bind: EADDRINUSE (-98): Address already in
 * use; 127.0.0.1:5201"}. Blocking calls block the calling thread. Sockets are created close-on-exec.
 */
public final class Sockets {
    /** {@code SHUT_RD}. */
    public static final int SHUT_RD = 0;
    /** {@code SHUT_WR}. */
    public static final int SHUT_WR = 1;
    /** {@code SHUT_RDWR}. */
    public static final int SHUT_RDWR = 2;

    static final int AF_UNIX = 1;
    static final int AF_INET = 2;
    static final int SOCK_STREAM = 1;
    static final int SOCK_CLOEXEC = 0x80000;
    static final int SOL_SOCKET = 1;
    static final int SO_REUSEADDR = 2;
    static final int SO_SNDBUF = 7;
    static final int SO_RCVBUF = 8;
    static final int SO_LINGER = 13;
    static final int IPPROTO_TCP = 6;
    static final int TCP_NODELAY = 1;
    static final int INADDR_LOOPBACK = 0x7f000001;

    /** {@code struct sockaddr_in} (16 bytes); port and address in network byte order. */
    static final StructLayout SOCKADDR_IN = MemoryLayout.structLayout(
            JAVA_SHORT.withName("sin_family"),
            JAVA_SHORT.withName("sin_port"),
            JAVA_INT.withName("sin_addr"),
            MemoryLayout.sequenceLayout(8, java.lang.foreign.ValueLayout.JAVA_BYTE).withName("sin_zero"))
            .withName("sockaddr_in");
    /** {@code struct linger}. */
    static final StructLayout LINGER = MemoryLayout.structLayout(
            JAVA_INT.withName("l_onoff"), JAVA_INT.withName("l_linger")).withName("linger");

    private static final VarHandle SIN_FAMILY = SOCKADDR_IN.varHandle(groupElement("sin_family"));
    private static final VarHandle SIN_PORT = SOCKADDR_IN.varHandle(groupElement("sin_port"));
    private static final VarHandle SIN_ADDR = SOCKADDR_IN.varHandle(groupElement("sin_addr"));

    private Sockets() {
    }

    private static int check(int r, String call, String detail) {
        if (r < 0) {
            throw new SyscallException(call, r, detail);
        }
        return r;
    }

    /** {@code socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)}: a new TCP socket's fd. */
    public static int tcpSocket() {
        return check(Libc.socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), "socket", "AF_INET, SOCK_STREAM");
    }

    /** {@code socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC)}: two connected fds. */
    static int[] unixStreamPair() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment fds = a.allocate(JAVA_INT, 2);
            check(Libc.socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), "socketpair", "AF_UNIX, SOCK_STREAM");
            return new int[] {fds.getAtIndex(JAVA_INT, 0), fds.getAtIndex(JAVA_INT, 1)};
        }
    }

    private static void setInt(int fd, int level, int name, int value, String what) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment v = a.allocate(JAVA_INT);
            v.set(JAVA_INT, 0, value);
            check(Libc.setsockopt(fd, level, name, v, 4), "setsockopt", what + "=" + value + " on fd " + fd);
        }
    }

    /** {@code SO_REUSEADDR}. */
    public static void setReuseAddr(int fd, boolean on) {
        setInt(fd, SOL_SOCKET, SO_REUSEADDR, on ? 1 : 0, "SO_REUSEADDR");
    }

    /** {@code SO_RCVBUF} (the kernel doubles it and clamps it to {@code net.core.rmem_max}). */
    public static void setRcvBuf(int fd, int bytes) {
        setInt(fd, SOL_SOCKET, SO_RCVBUF, bytes, "SO_RCVBUF");
    }

    /** {@code SO_RCVBUF} as the kernel holds it (doubled). */
    public static int rcvBuf(int fd) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment v = a.allocate(JAVA_INT);
            MemorySegment len = a.allocate(JAVA_INT);
            len.set(JAVA_INT, 0, 4);
            check(Libc.getsockopt(fd, SOL_SOCKET, SO_RCVBUF, v, len), "getsockopt", "SO_RCVBUF on fd " + fd);
            return v.get(JAVA_INT, 0);
        }
    }

    /** {@code TCP_NODELAY}. */
    public static void setTcpNoDelay(int fd, boolean on) {
        setInt(fd, IPPROTO_TCP, TCP_NODELAY, on ? 1 : 0, "TCP_NODELAY");
    }

    /** {@code SO_LINGER}; {@code on} with 0 seconds makes {@link #close} send a reset. */
    public static void setLinger(int fd, boolean on, int seconds) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment v = a.allocate(LINGER);
            v.set(JAVA_INT, 0, on ? 1 : 0);
            v.set(JAVA_INT, 4, seconds);
            check(Libc.setsockopt(fd, SOL_SOCKET, SO_LINGER, v, (int) LINGER.byteSize()), "setsockopt",
                    "SO_LINGER=" + on + "," + seconds + " on fd " + fd);
        }
    }

    private static MemorySegment loopback(Arena a, int port) {
        if (port < 0 || port > 0xffff) {
            throw new IllegalArgumentException("port must be in [0, 65535]: port=" + port);
        }
        MemorySegment sa = a.allocate(SOCKADDR_IN);
        SIN_FAMILY.set(sa, 0L, (short) AF_INET);
        SIN_PORT.set(sa, 0L, Short.reverseBytes((short) port));
        SIN_ADDR.set(sa, 0L, Integer.reverseBytes(INADDR_LOOPBACK));
        return sa;
    }

    /** {@code bind} to 127.0.0.1:{@code port} (0: any free port). */
    public static void bindLoopback(int fd, int port) {
        try (Arena a = Arena.ofConfined()) {
            check(Libc.bind(fd, loopback(a, port), (int) SOCKADDR_IN.byteSize()), "bind", "127.0.0.1:" + port);
        }
    }

    /** {@code listen}. */
    public static void listen(int fd, int backlog) {
        check(Libc.listen(fd, backlog), "listen", "fd " + fd);
    }

    /** {@code accept4(fd, NULL, NULL, SOCK_CLOEXEC)}: blocks until a connection arrives; its fd. */
    public static int accept(int fd) {
        return check(Libc.accept4(fd, MemorySegment.NULL, MemorySegment.NULL, SOCK_CLOEXEC), "accept4", "fd " + fd);
    }

    /**
     * {@code accept4(fd, &peer, &len, SOCK_CLOEXEC)}: blocks until a connection arrives; returns its
     * fd and stores the peer's port in {@code peerPort[0]}.
     */
    public static int accept(int fd, int[] peerPort) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment sa = a.allocate(SOCKADDR_IN);
            MemorySegment len = a.allocate(JAVA_INT);
            len.set(JAVA_INT, 0, (int) SOCKADDR_IN.byteSize());
            int r = check(Libc.accept4(fd, sa, len, SOCK_CLOEXEC), "accept4", "fd " + fd);
            peerPort[0] = Short.toUnsignedInt(Short.reverseBytes((short) SIN_PORT.get(sa, 0L)));
            return r;
        }
    }

    /** {@code connect} to 127.0.0.1:{@code port}, blocking. */
    public static void connectLoopback(int fd, int port) {
        try (Arena a = Arena.ofConfined()) {
            check(Libc.connect(fd, loopback(a, port), (int) SOCKADDR_IN.byteSize()), "connect", "127.0.0.1:" + port);
        }
    }

    /** The local port ({@code getsockname}). */
    public static int localPort(int fd) {
        return port(fd, false);
    }

    /** The peer's port ({@code getpeername}). */
    public static int peerPort(int fd) {
        return port(fd, true);
    }

    private static int port(int fd, boolean peer) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment sa = a.allocate(SOCKADDR_IN);
            MemorySegment len = a.allocate(JAVA_INT);
            len.set(JAVA_INT, 0, (int) SOCKADDR_IN.byteSize());
            int r = peer ? Libc.getpeername(fd, sa, len) : Libc.getsockname(fd, sa, len);
            check(r, peer ? "getpeername" : "getsockname", "fd " + fd);
            return Short.toUnsignedInt(Short.reverseBytes((short) SIN_PORT.get(sa, 0L)));
        }
    }

    /** {@code write} from a native segment, blocking; the bytes written. */
    public static long write(int fd, MemorySegment buf) {
        long r = Libc.write(fd, buf, buf.byteSize());
        if (r < 0) {
            throw new SyscallException("write", (int) r, "fd " + fd);
        }
        return r;
    }

    /** {@code shutdown(fd, how)}. */
    public static void shutdown(int fd, int how) {
        check(Libc.shutdown(fd, how), "shutdown", "fd " + fd);
    }

    /** {@code close(fd)}. */
    public static void close(int fd) {
        check(Libc.close(fd), "close", "fd " + fd);
    }
}
