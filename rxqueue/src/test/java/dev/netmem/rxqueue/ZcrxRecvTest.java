package dev.netmem.rxqueue;

import static dev.netmem.rxqueue.TestSupport.payload;
import static dev.netmem.rxqueue.TestSupport.send;
import static dev.netmem.testsupport.base.Await.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.netmem.api.Errno;
import dev.netmem.api.NetIov;
import dev.netmem.api.PagePool;
import dev.netmem.api.PagePoolParams;
import dev.netmem.providers.zcrx.ZcrxArea;
import dev.netmem.providers.zcrx.ZcrxIfq;
import dev.netmem.providers.zcrx.ZcrxUserRing;
import dev.netmem.rxqueue.net.Headers;
import dev.netmem.rxqueue.net.NetifRx;
import dev.netmem.rxqueue.net.SkBuff;
import dev.netmem.rxqueue.netdev.Netdev;
import dev.netmem.rxqueue.netdev.NetdevNlSock;
import dev.netmem.rxqueue.netdev.RxBinding;
import dev.netmem.rxqueue.nic.NetDevice;
import dev.netmem.rxqueue.stack.DevmemSocket;
import dev.netmem.rxqueue.stack.NetStack;
import dev.netmem.rxqueue.wire.PayloadPattern;
import dev.netmem.rxqueue.zcrx.IoUringZcrx;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code io_zcrx_recv}'s per-call skb limit and its result mapping ({@code io_zcrx_tcp_recvmsg}):
 * requeue or {@code EAGAIN} at the limit, {@code SOCK_DONE}, {@code sk_err}, {@code RCV_SHUTDOWN},
 * {@code TCP_CLOSE}.
 */
@Timeout(30)
class ZcrxRecvTest {
    private static final PayloadPattern P = PayloadPattern.repeating(11);
    private static final int PORT = 5201;
    private static final int PKT = 100;

    @TempDir
    Path dir;
    private NetDevice dev;
    private NetdevNlSock nl;
    private RxBinding binding;
    private ZcrxIfq ifq;
    private DevmemSocket sock;
    private ZcrxUserRing ring;
    private PagePool heads;

    @BeforeEach
    void setUp() {
        dev = NetDevice.builder("zcrxrecv").rxQueues(2).ringSize(64).rcvbuf(1 << 20).build();
        dev.addFlowRule(PORT, 1);
        dev.open();
        MemorySegment mem = Arena.ofShared().allocate(1 << 20, NetIov.PAGE_SIZE);
        nl = Netdev.open();
        binding = IoUringZcrx.bindRxUserRing(nl, dev, ZcrxArea.ofUserMemory(mem), 1, 256, 1024, dir);
        ifq = (ZcrxIfq) binding.provider();
        ring = ZcrxUserRing.open(ifq.regionPath(), mem);
        sock = NetStack.of(dev).openSocket(PORT);
        heads = PagePool.create(PagePoolParams.builder().hostPages(dev.hostPages()).build());
    }

    @AfterEach
    void tearDown() {
        ring.close();
        sock.close();
        binding.close();
        nl.close();
        heads.destroy();
        dev.unregister();
    }

    private void sendPackets(int n) {
        for (int i = 0; i < n; i++) {
            send(dev, 40000, PORT, payload(P, (long) i * PKT, PKT));
        }
        await("queued", () -> sock.queuedBytes() == (long) n * PKT);
    }

    /** Queues a segment without data carrying {@code tcpFlags} (FIN or RST) through the stack's seam. */
    private void sendEnd(int tcpFlags) {
        NetIov head = heads.alloc();
        Headers.write(head.segment(), 0, 40000, PORT, 0, tcpFlags);
        SkBuff skb = SkBuff.build(head, 0, Headers.HEADER_LEN);
        skb.markForRecycle();
        assertEquals(NetifRx.NET_RX_SUCCESS, NetStack.of(dev).receiveSkb(skb));
    }

    private int drainCompletions() {
        return ring.poll((off, len, flags) -> ring.refill(off, len));
    }

    @Test
    void shouldTakeAtMostTwentyOneSkbsPerCallAndAskAMultishotRequestToRequeue() {
        sendPackets(30);
        assertEquals(21 * PKT, IoUringZcrx.zcrxRecv(sock, ifq, 0, 0),
                "single shot: the bytes of 21 skbs (nr_skbs++ > 20 stops the 22nd)");
        assertEquals(9 * PKT, sock.queuedBytes());
        assertEquals(9 * PKT, IoUringZcrx.zcrxRecv(sock, ifq, 0, IoUringZcrx.IO_URING_F_MULTISHOT),
                "below the limit: the bytes, no requeue");
        sendPackets(25);
        assertEquals(IoUringZcrx.IOU_REQUEUE, IoUringZcrx.zcrxRecv(sock, ifq, 0, IoUringZcrx.IO_URING_F_MULTISHOT));
        assertEquals(4 * PKT, sock.queuedBytes(), "21 skbs were taken before the requeue");
        assertEquals(4 * PKT, IoUringZcrx.zcrxRecv(sock, ifq, 0, 0));
        assertEquals(Errno.EAGAIN.value(), IoUringZcrx.zcrxRecv(sock, ifq, 0, 0), "nothing queued: EAGAIN");
        assertEquals(55, drainCompletions());
    }

    @Test
    void shouldStopAtTheRequestedLength() {
        sendPackets(3);
        assertEquals(150, IoUringZcrx.zcrxRecv(sock, ifq, 150, 0));
        assertEquals(200, sock.queuedBytes(), "the partly read skb and the last one stay queued");
        assertEquals(150, IoUringZcrx.zcrxRecv(sock, ifq, 0, 0));
        assertEquals(4, drainCompletions(), "the second skb was split between the two calls");
    }

    @Test
    void shouldRetryAfterDataBeforeAFinUntilItReturnsZero() {
        sendPackets(2);
        sendEnd(Headers.TCP_FIN | Headers.TCP_ACK);
        assertEquals(IoUringZcrx.IOU_REQUEUE, IoUringZcrx.zcrxRecv(sock, ifq, 0, IoUringZcrx.IO_URING_F_MULTISHOT),
                "data and SOCK_DONE: requeue until it finally gets 0");
        assertEquals(0, IoUringZcrx.zcrxRecv(sock, ifq, 0, IoUringZcrx.IO_URING_F_MULTISHOT), "SOCK_DONE: 0");
        assertEquals(0, IoUringZcrx.zcrxRecv(sock, ifq, 0, 0));
        assertEquals(2, drainCompletions());
    }

    @Test
    void shouldReportDataBeforeAFinAsEagainToASingleShotRequest() {
        sendPackets(1);
        sendEnd(Headers.TCP_FIN | Headers.TCP_ACK);
        assertEquals(Errno.EAGAIN.value(), IoUringZcrx.zcrxRecv(sock, ifq, 0, 0));
        assertEquals(1, drainCompletions(), "the data was handed over all the same");
        assertEquals(0, IoUringZcrx.zcrxRecv(sock, ifq, 0, 0));
    }

    @Test
    void shouldReturnTheResetOnceThenZeroAndEnotconnOnceClosed() {
        sendPackets(1);
        sendEnd(Headers.TCP_RST);
        assertEquals(PKT, IoUringZcrx.zcrxRecv(sock, ifq, 0, IoUringZcrx.IO_URING_F_MULTISHOT),
                "a reset does not set SOCK_DONE: the bytes");
        assertEquals(Errno.ECONNRESET.value(), IoUringZcrx.zcrxRecv(sock, ifq, 0, 0), "sk_err, read once");
        assertEquals(0, IoUringZcrx.zcrxRecv(sock, ifq, 0, 0), "then RCV_SHUTDOWN: 0");
        sock.close();
        assertEquals(Errno.ENOTCONN.value(), IoUringZcrx.zcrxRecv(sock, ifq, 0, 0), "TCP_CLOSE");
        assertEquals(1, drainCompletions());
    }
}
