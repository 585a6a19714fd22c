package dev.netmem.uring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.netmem.api.Errno;
import org.junit.jupiter.api.Test;

class SocketsTest {

    @Test
    void shouldNameTheCallAndErrnoWhenAPortIsTaken() {
        int a = Sockets.tcpSocket();
        int b = Sockets.tcpSocket();
        try {
            Sockets.bindLoopback(a, 0);
            Sockets.listen(a, 1);
            int port = Sockets.localPort(a);
            SyscallException e = assertThrows(SyscallException.class, () -> Sockets.bindLoopback(b, port));
            assertEquals("bind: EADDRINUSE (-98): Address already in use; 127.0.0.1:" + port, e.getMessage());
            assertEquals(Errno.EADDRINUSE.value(), e.errno());
            assertEquals("bind", e.call());
        } finally {
            Sockets.close(a);
            Sockets.close(b);
        }
    }

    @Test
    void shouldRejectABadFdAndABadPort() {
        SyscallException e = assertThrows(SyscallException.class, () -> Sockets.close(-1));
        assertEquals("close: EBADF (-9): Bad file descriptor; fd -1", e.getMessage());
        int fd = Sockets.tcpSocket();
        try {
            IllegalArgumentException bad = assertThrows(IllegalArgumentException.class, () -> Sockets.bindLoopback(fd, 70000));
            assertEquals("port must be in [0, 65535]: port=70000", bad.getMessage());
            SyscallException notConnected = assertThrows(SyscallException.class, () -> Sockets.peerPort(fd));
            assertEquals("getpeername: ENOTCONN (-107): Transport endpoint is not connected; fd " + fd,
                    notConnected.getMessage());
        } finally {
            Sockets.close(fd);
        }
    }

    @Test
    void shouldSetSocketOptions() {
        int fd = Sockets.tcpSocket();
        try {
            Sockets.setReuseAddr(fd, true);
            Sockets.setTcpNoDelay(fd, true);
            Sockets.setLinger(fd, true, 0);
            Sockets.setRcvBuf(fd, 64 * 1024);
            assertEquals(128 * 1024, Sockets.rcvBuf(fd), "the kernel doubles SO_RCVBUF");
        } finally {
            Sockets.close(fd);
        }
    }

    @Test
    void shouldConnectAcceptAndShutDownOnLoopback() {
        int listener = Sockets.tcpSocket();
        int client = Sockets.tcpSocket();
        try {
            Sockets.bindLoopback(listener, 0);
            Sockets.listen(listener, 1);
            Sockets.connectLoopback(client, Sockets.localPort(listener));
            int server = Sockets.accept(listener);
            try {
                assertEquals(Sockets.localPort(client), Sockets.peerPort(server));
                assertTrue(Sockets.localPort(server) > 0);
                Sockets.shutdown(client, Sockets.SHUT_WR);
            } finally {
                Sockets.close(server);
            }
        } finally {
            Sockets.close(listener);
            Sockets.close(client);
        }
    }
}
