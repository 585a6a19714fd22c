package dev.netmem.rxqueue;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.netmem.rxqueue.netdev.Netdev;
import dev.netmem.rxqueue.nic.IoUringNic;
import dev.netmem.rxqueue.nic.NetDevice;
import dev.netmem.rxqueue.nic.RxQueue;
import dev.netmem.rxqueue.stack.DevmemSocket;
import dev.netmem.rxqueue.stack.NetStack;
import dev.netmem.uring.IoUringAvailability;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import javax.management.MBeanServer;
import javax.management.ObjectName;
import jdk.jfr.consumer.RecordedEvent;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The io_uring driver's slow paths as JFR events and MXBean attributes: a real loopback stream
 * through an 8-buffer ring and a slow reader (as {@code UringDriverTest}'s empty-ring case) runs the
 * ring dry ({@code -ENOBUFS}) and re-arms the receive; each shows as {@code dev.netmem.UringNoBufs} /
 * {@code dev.netmem.UringRearm} with the queue, pool, provider and connection, and the queue MXBean's
 * {@code RxNoBufs}, {@code RxRearms} and {@code RxConnEnds} read the queue's counters.
 */
@Timeout(120)
@SuppressWarnings("try") // the listener is open for the try block's lifetime
class UringEventsTest extends DeviceTestBase {
    @BeforeAll
    static void requireIoUring() {
        IoUringAvailability a = IoUringAvailability.check();
        if (!a.available()) {
            System.out.println("UringEventsTest skipped: " + a.message());
        }
        assumeTrue(a.available(), a.message());
    }

    @Test
    void shouldRecordEnobufsAndRearmWithQueuePoolProviderAndConnection() throws Exception {
        try (JfrRecorder jfr = JfrRecorder.record("dev.netmem.UringNoBufs", "dev.netmem.UringRearm")) {
            NetDevice dev = device(NetDevice.builder("ur-jfr").rxQueues(1).ringSize(8).rcvbuf(64 << 10)
                    .hostBytes(2L << 20).driver(IoUringNic.builder().build()));
            int port = freePort();
            dev.open();
            DevmemSocket sock = NetStack.of(dev).openSocket(port);
            IoUringNic nic = (IoUringNic) dev.driver();
            long total = 4L << 20;
            AtomicInteger peerPort = new AtomicInteger();
            try (IoUringNic.Listener l = nic.listen(port)) {
                Thread sender = sender(port, total, peerPort);
                MemorySegment small = Arena.ofAuto().allocate(16 << 10);
                long got = 0;
                long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
                while (true) {
                    assertTrue(System.nanoTime() < deadline, "timed out after " + got + " bytes");
                    int n = sock.recvmsg(small, new ArrayList<>(), 0, Duration.ofMillis(50));
                    if (n < 0) {
                        break;
                    }
                    for (int i = 0; i < n; i++) {
                        assertEquals((byte) (got + i), small.get(ValueLayout.JAVA_BYTE, i), "byte " + (got + i));
                    }
                    got += n;
                    if ((got & 0x3ffff) < n) {
                        Thread.sleep(2); // a slow reader now and then: the 8 buffers run out
                    }
                }
                sender.join();
                assertEquals(total, got);
            }
            RxQueue q = dev.rxQueue(0);
            int pool = q.pagePool().id();
            assertTrue(q.rxNoBufs() > 0, "the 8-buffer ring ran dry: nobufs=" + q.rxNoBufs());
            assertTrue(q.rxRearms() > 0, "receives were re-armed: rearms=" + q.rxRearms());

            RecordedEvent nobufs = jfr.await("dev.netmem.UringNoBufs", e -> e.getInt("ifindex") == dev.ifindex());
            assertConnection(nobufs, dev, pool, port, peerPort.get());
            assertNull(nobufs.getStackTrace(), "a per-completion event records no stack trace");
            RecordedEvent rearm = jfr.await("dev.netmem.UringRearm", e -> e.getInt("ifindex") == dev.ifindex());
            assertConnection(rearm, dev, pool, port, peerPort.get());
            assertTrue(rearm.getInt("posted") > 0 && rearm.getInt("posted") <= 8, rearm::toString);

            MBeanServer mbs = ManagementFactory.getPlatformMBeanServer();
            ObjectName qn = new ObjectName(Netdev.queueMBeanName(dev.ifindex(), 0));
            assertEquals(q.rxNoBufs(), (long) mbs.getAttribute(qn, "RxNoBufs"));
            assertEquals(q.rxRearms(), (long) mbs.getAttribute(qn, "RxRearms"));
            assertEquals(1L, (long) mbs.getAttribute(qn, "RxConnEnds"), "the sender's FIN");
            List<RecordedEvent> all = jfr.received(e -> e.getInt("ifindex") == dev.ifindex()
                    && e.getEventType().getName().equals("dev.netmem.UringNoBufs"));
            assertTrue(all.size() + 1 <= q.rxNoBufs(), "at most one event per ENOBUFS: " + all.size());
            sock.close();
        }
    }

    private static void assertConnection(RecordedEvent e, NetDevice dev, int pool, int port, int peer) {
        assertEquals(0, e.getInt("queue"), e::toString);
        assertEquals(pool, e.getInt("poolId"), e::toString);
        assertEquals("host", e.getString("provider"), e::toString);
        assertEquals(0L, e.getLong("providerId"), e::toString);
        assertEquals(port, e.getInt("localPort"), e::toString);
        assertEquals(peer, e.getInt("remotePort"), e::toString);
    }

    /** A client that writes {@code total} bytes {@code (byte) offset}, then closes; publishes its port. */
    private static Thread sender(int port, long total, AtomicInteger peerPort) {
        return Thread.ofPlatform().daemon().name("sender-" + port).start(() -> {
            try (SocketChannel ch = SocketChannel.open(new InetSocketAddress(InetAddress.getLoopbackAddress(), port))) {
                peerPort.set(((InetSocketAddress) ch.getLocalAddress()).getPort());
                ByteBuffer buf = ByteBuffer.allocateDirect(64 << 10);
                for (long off = 0; off < total; ) {
                    buf.clear();
                    int n = (int) Math.min(buf.capacity(), total - off);
                    for (int i = 0; i < n; i++) {
                        buf.put((byte) (off + i));
                    }
                    buf.flip();
                    while (buf.hasRemaining()) {
                        ch.write(buf);
                    }
                    off += n;
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }

    private static int freePort() {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
