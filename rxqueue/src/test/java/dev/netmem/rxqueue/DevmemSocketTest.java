package dev.netmem.rxqueue;

import static dev.netmem.rxqueue.TestSupport.payload;
import static dev.netmem.rxqueue.TestSupport.send;
import static dev.netmem.testsupport.base.Await.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.netmem.api.Errno;
import dev.netmem.api.ErrnoException;
import dev.netmem.api.NetIov;
import dev.netmem.api.PagePool;
import dev.netmem.api.PagePoolParams;
import dev.netmem.rxqueue.net.Headers;
import dev.netmem.rxqueue.net.NetifRx;
import dev.netmem.rxqueue.net.SkBuff;
import dev.netmem.rxqueue.netdev.Netdev;
import dev.netmem.rxqueue.netdev.NetdevNlSock;
import dev.netmem.rxqueue.nic.NetDevice;
import dev.netmem.rxqueue.stack.DevmemRecord;
import dev.netmem.rxqueue.stack.DevmemSocket;
import dev.netmem.rxqueue.stack.DmabufToken;
import dev.netmem.rxqueue.stack.NetStack;
import dev.netmem.rxqueue.wire.PayloadPattern;
import dev.netmem.testsupport.StubQueue;
import dev.netmem.testsupport.TestProvider;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The devmem socket: records, tokens, dontneed limits, close, and the never-mix rule. On the emulated
 * NIC only: the never-mix case needs a payload below {@code hds-thresh} left linear, which the io_uring
 * driver never makes, and one case hands the stack a hand-built skb. The socket's hostile-input and
 * ownership cases run on both drivers ({@link DontneedHostileTest},
 * {@link EntryPointHostileInputTest}, {@link OwnershipTest}, {@link UserRingHostileTest}).
 */
@Timeout(30)
class DevmemSocketTest {
    private static final Duration T = Duration.ofSeconds(2);
    private static final PayloadPattern P = PayloadPattern.repeating(7);
    private NetDevice dev;
    private NetdevNlSock nl;
    private TestProvider mp;
    private DevmemSocket sock;
    private final MemorySegment iov = Arena.ofAuto().allocate(1 << 20);

    @BeforeEach
    void setUp() {
        dev = NetDevice.builder("dm").rxQueues(2).ringSize(16).unsplitPayloads(100).build();
        dev.addFlowRule(5201, 1);
        dev.open();
        mp = TestProvider.dmabuf(256);
        nl = Netdev.open();
        nl.bindRx(dev, mp, 1);
        sock = NetStack.of(dev).openSocket(5201);
    }

    @AfterEach
    void tearDown() {
        sock.close();
        nl.close();
        dev.unregister();
        assertEquals(0, mp.inUse(), "every dma-buf chunk came home");
    }

    private List<DevmemRecord> recvDevmem(int expectBytes) {
        List<DevmemRecord> recs = new ArrayList<>();
        assertEquals(expectBytes, sock.recvmsg(iov, recs, DevmemSocket.MSG_SOCK_DEVMEM, T));
        return recs;
    }

    @Test
    void shouldReportDevmemFragsAsDmabufRecordsWithTokensAndPayloadInPlace() {
        send(dev, 1, 5201, payload(P, 0, 3000));
        await("queued", () -> sock.queuedBytes() == 3000);
        List<DevmemRecord> recs = recvDevmem(3000);
        assertEquals(1, recs.size());
        DevmemRecord.Dmabuf d = assertInstanceOf(DevmemRecord.Dmabuf.class, recs.getFirst());
        assertEquals(3000, d.fragSize());
        assertEquals(1, d.fragToken(), "tokens start at 1 (XA_FLAGS_ALLOC1)");
        assertEquals(mp.fill(null).id(), d.dmabufId());
        for (int i = 0; i < 3000; i++) {
            assertEquals(P.at(i), mp.area().memory().get(ValueLayout.JAVA_BYTE, d.fragOffset() + i), "byte " + i);
        }
        assertEquals(1, sock.outstandingTokens());
        assertEquals(1, sock.dontneed(DmabufToken.of(d.fragToken())));
        assertEquals(0, sock.dontneed(DmabufToken.of(d.fragToken())), "already returned: skipped");
    }

    @Test
    void shouldRefuseDevmemDataWithoutMsgSockDevmem() {
        send(dev, 1, 5201, payload(P, 0, 3000));
        await("queued", () -> sock.queuedBytes() == 3000);
        ErrnoException e = assertThrows(ErrnoException.class, () -> sock.recvmsg(iov, new ArrayList<>(), 0, T));
        assertEquals(Errno.EFAULT, e.errno());
        assertEquals("unreadable data needs MSG_SOCK_DEVMEM", e.getMessage());
        recvDevmem(3000);
    }

    @Test
    void shouldNeverMixReadableAndDevmemDataInOneReceive() {
        send(dev, 1, 5201, payload(P, 0, 2000)); // split: devmem
        send(dev, 1, 5201, payload(P, 0, 50)); // left unsplit (unsplitPayloads): all linear, readable
        send(dev, 1, 5201, payload(P, 0, 2000));
        await("queued", () -> sock.queuedBytes() == 4050);
        assertEquals(1, recvDevmem(2000).size());
        List<DevmemRecord> recs = new ArrayList<>();
        assertEquals(50, sock.recvmsg(iov, recs, DevmemSocket.MSG_SOCK_DEVMEM, T));
        assertEquals(List.of(), recs, "readable data is copied without records");
        assertEquals(P.at(49), iov.get(ValueLayout.JAVA_BYTE, 49));
        assertEquals(1, recvDevmem(2000).size());
        assertEquals(2, sock.dontneed(new DmabufToken(1, 2)));
    }

    @Test
    void shouldCopyLinearBytesOfADevmemSkbAsALinearRecord() {
        // The NIC failed to split: 10 payload bytes landed in the linear part, the rest in a frag.
        TestProvider other = TestProvider.dmabuf(4);
        PagePool hostPool = PagePool.create(PagePoolParams.builder().hostPages(dev.hostPages()).build());
        PagePool devPool = PagePool.create(PagePoolParams.builder().device(dev.dmaDevice()).queue(StubQueue.of(other))
                .maxLen(NetIov.PAGE_SIZE).flags(PagePoolParams.PP_FLAG_DMA_MAP | PagePoolParams.PP_FLAG_DMA_SYNC_DEV
                        | PagePoolParams.PP_FLAG_ALLOW_UNREADABLE_NETMEM).build());
        NetIov head = hostPool.alloc();
        head.segment().fill((byte) 5);
        Headers.write(head.segment(), 0, 1, 5201, 510);
        SkBuff skb = SkBuff.build(head, 0, Headers.HEADER_LEN + 10);
        skb.markForRecycle();
        skb.addRxFrag(devPool.alloc(), 0, 500);
        assertEquals(NetifRx.NET_RX_SUCCESS, NetStack.of(dev).receiveSkb(skb), "the stack queues it on the socket");
        List<DevmemRecord> recs = recvDevmem(510);
        assertEquals(2, recs.size());
        assertEquals(new DevmemRecord.Linear(10), recs.get(0));
        DevmemRecord.Dmabuf d = assertInstanceOf(DevmemRecord.Dmabuf.class, recs.get(1));
        assertEquals(500, d.fragSize());
        assertEquals(other.fill(null).id(), d.dmabufId());
        assertEquals(5, iov.get(ValueLayout.JAVA_BYTE, 9), "linear bytes were copied");
        assertEquals(1, devPool.inflight());
        sock.close();
        hostPool.destroy();
        devPool.destroy();
        assertEquals(0, devPool.inflight(), "closing the socket returned the token");
        assertEquals(0, other.inUse());
    }

    @Test
    void shouldLimitDontneedTo128RunsAnd1024InspectedFrags() {
        for (int i = 0; i < 3; i++) {
            send(dev, 1, 5201, payload(P, 0, 1000));
        }
        await("queued", () -> sock.queuedBytes() == 3000);
        assertEquals(3, recvDevmem(3000).size());
        ErrnoException e = assertThrows(ErrnoException.class,
                () -> sock.dontneed(new DmabufToken[DevmemSocket.MAX_DONTNEED_TOKENS + 1]));
        assertEquals(Errno.EINVAL, e.errno());
        assertEquals("too many dmabuf tokens: 129 > 128", e.getMessage());
        assertEquals(0, sock.dontneed(new DmabufToken(1000, 1024), DmabufToken.of(1)),
                "1024 unknown tokens exhaust the inspection budget");
        assertEquals(1, sock.dontneed(new DmabufToken(1000, 1023), DmabufToken.of(1)), "1023 + 1 fit");
        assertEquals(2, sock.outstandingTokens());
    }

    @Test
    void shouldReturnEveryOutstandingTokenOnClose() {
        for (int i = 0; i < 5; i++) {
            send(dev, 1, 5201, payload(P, 0, 1000));
        }
        await("queued", () -> sock.queuedBytes() == 5000);
        recvDevmem(5000);
        send(dev, 1, 5201, payload(P, 0, 1000));
        await("queued", () -> sock.queuedBytes() == 1000);
        PagePool pool = dev.rxQueue(1).pagePool();
        long ring = pool.stats().ring();
        sock.close();
        assertEquals(0, sock.outstandingTokens());
        assertEquals(0, sock.queuedBytes());
        assertEquals(ring + 6, pool.stats().ring(), "5 tokens and 1 queued skb went back through the pool");
        ErrnoException e = assertThrows(ErrnoException.class, () -> sock.recvmsg(iov, new ArrayList<>(), 0, T));
        assertEquals(Errno.ENOTCONN, e.errno());
        assertEquals("socket is closed", e.getMessage());
    }
}
