package dev.netmem.uring;

import static dev.netmem.uring.IoUringDescriptor.IORING_CQE_F_MORE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** What a NAPI-style owner loop needs besides receiving: being woken by other threads, accepting without blocking. */
@Timeout(60)
class WakeupAndAcceptTest {

    @BeforeEach
    void requireIoUring() {
        UringTestSupport.assumeIoUring();
    }

    @Test
    void shouldWakeTheOwnerBlockedInSubmitAndWaitFromAnotherThread() throws Exception {
        try (IoUring ring = IoUring.open(IoUringParams.of(8, 64));
             EventFd wake = EventFd.create()) {
            for (int round = 1; round <= 3; round++) {
                wake.prepRead(ring, ring.getSqe(), 77);
                ring.submit();
                Thread signaller = new Thread(wake::signal, "signaller");
                signaller.start();
                List<long[]> cqes = new ArrayList<>();
                for (int i = 0; i < 10 && cqes.isEmpty(); i++) {
                    ring.submitAndWait(1, 1_000_000_000L);
                    ring.reap((ud, res, flags) -> cqes.add(new long[] {ud, res}));
                }
                signaller.join();
                assertEquals(1, cqes.size(), "round " + round);
                assertEquals(77, cqes.getFirst()[0]);
                assertEquals(8, cqes.getFirst()[1], "read the 8-byte counter");
                assertEquals(1, wake.lastCount());
            }
        }
    }

    @Test
    void shouldAcceptConnectionsWithOneMultishotAccept() throws IOException {
        int listener = Sockets.tcpSocket();
        try (IoUring ring = IoUring.open(IoUringParams.of(8, 64))) {
            Sockets.bindLoopback(listener, 0);
            Sockets.listen(listener, 8);
            int port = Sockets.localPort(listener);
            ring.prepAcceptMultishot(ring.getSqe(), listener, 5);
            List<Integer> accepted = new ArrayList<>();
            List<SocketChannel> clients = new ArrayList<>();
            try {
                for (int c = 0; c < 3; c++) {
                    clients.add(SocketChannel.open(new InetSocketAddress("127.0.0.1", port)));
                    int before = accepted.size();
                    for (int i = 0; i < 10 && accepted.size() == before; i++) {
                        ring.submitAndWait(1, 1_000_000_000L);
                        ring.reap((ud, res, flags) -> {
                            assertEquals(5, ud);
                            assertTrue(res >= 0, () -> "accept: " + SyscallException.format(res));
                            assertTrue((flags & IORING_CQE_F_MORE) != 0, "still armed");
                            accepted.add(res);
                        });
                    }
                }
                assertEquals(3, accepted.size());
                for (int i = 0; i < 3; i++) {
                    assertEquals(clients.get(i).socket().getLocalPort(), peerPortOf(accepted.get(i)));
                }
            } finally {
                for (SocketChannel ch : clients) {
                    ch.close();
                }
                for (int fd : accepted) {
                    Sockets.close(fd);
                }
            }
        } finally {
            Sockets.close(listener);
        }
    }

    private static int peerPortOf(int fd) {
        return Sockets.peerPort(fd);
    }
}
