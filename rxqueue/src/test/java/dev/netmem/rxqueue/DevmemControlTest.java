package dev.netmem.rxqueue;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.netmem.api.Errno;
import dev.netmem.api.ErrnoException;
import dev.netmem.api.NetIov;
import dev.netmem.api.PagePool;
import dev.netmem.api.PagePoolParams;
import dev.netmem.rxqueue.net.Headers;
import dev.netmem.rxqueue.net.NetifRx;
import dev.netmem.rxqueue.net.SkBuff;
import dev.netmem.rxqueue.nic.NetDevice;
import dev.netmem.rxqueue.stack.DevmemControl;
import dev.netmem.rxqueue.stack.DevmemRecord;
import dev.netmem.rxqueue.stack.DevmemSocket;
import dev.netmem.rxqueue.stack.DmabufToken;
import dev.netmem.rxqueue.stack.NetStack;
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
 * devmem {@code recvmsg} into a bounded control buffer ({@code tcp_recvmsg_dmabuf}): a record is
 * never truncated, the bytes whose record did not fit stay for the next call, and the tokens
 * reserved for them are rolled back.
 */
@Timeout(30)
class DevmemControlTest {
    private static final int PORT = 5201;
    private static final int FLAGS = DevmemSocket.MSG_SOCK_DEVMEM | DevmemSocket.MSG_DONTWAIT;

    private final MemorySegment iov = Arena.ofAuto().allocate(1 << 16);
    private final TestProvider dmabuf = TestProvider.dmabuf(16);
    private NetDevice dev;
    private PagePool heads;
    private PagePool payload;
    private DevmemSocket sock;

    @BeforeEach
    void setUp() {
        dev = NetDevice.builder("cmsg").build();
        heads = PagePool.create(PagePoolParams.builder().hostPages(dev.hostPages()).build());
        payload = PagePool.create(StubQueue.poolParams(dmabuf, dev.dmaDevice()).build());
        sock = NetStack.of(dev).openSocket(PORT);
    }

    @AfterEach
    void tearDown() {
        sock.close();
        heads.destroy();
        payload.destroy();
        dev.unregister();
        assertEquals(0, payload.inflight(), "every token and frag came home");
        assertEquals(0, dmabuf.inUse());
    }

    /** Queues one skb: {@code linear} payload bytes in the head, then one dma-buf frag per size. */
    private List<NetIov> queueSkb(int linear, int... frags) {
        NetIov head = heads.alloc();
        int total = linear;
        for (int f : frags) {
            total += f;
        }
        Headers.write(head.segment(), 0, 40000, PORT, total);
        SkBuff skb = SkBuff.build(head, 0, Headers.HEADER_LEN + linear);
        skb.markForRecycle();
        List<NetIov> out = new ArrayList<>();
        for (int f : frags) {
            NetIov n = payload.alloc();
            skb.addRxFrag(n, 0, f);
            out.add(n);
        }
        assertEquals(NetifRx.NET_RX_SUCCESS, NetStack.of(dev).receiveSkb(skb));
        return out;
    }

    private static List<Integer> tokens(DevmemControl c) {
        return c.records().stream().map(r -> ((DevmemRecord.Dmabuf) r).fragToken()).toList();
    }

    @Test
    void shouldStopAtTheFirstRecordThatDoesNotFitAndLeaveItsFragForTheNextCall() {
        List<NetIov> frags = queueSkb(0, 100, 200, 300);
        DevmemControl two = DevmemControl.ofRecords(2);
        assertEquals(300, sock.recvmsg(iov, two, FLAGS, Duration.ZERO), "two frags' bytes");
        assertEquals(List.of(1, 2), tokens(two));
        assertEquals(0, two.remaining());
        assertEquals(2, sock.outstandingTokens(), "the token reserved for the third frag was rolled back");
        assertEquals(1, frags.get(2).ppRefCount(), "no reference taken for the frag left behind");
        assertEquals(600, sock.queuedBytes(), "the skb stays queued with its last frag unread");

        DevmemControl next = DevmemControl.ofRecords(8);
        assertEquals(300, sock.recvmsg(iov, next, FLAGS, Duration.ZERO));
        DevmemRecord.Dmabuf d = assertInstanceOf(DevmemRecord.Dmabuf.class, next.records().get(0));
        assertEquals(300, d.fragSize());
        assertEquals(3, d.fragToken(), "the rolled-back token is the lowest free one again");
        assertEquals(8 * DevmemControl.CMSG_SPACE_DEVMEM - DevmemControl.CMSG_SPACE_DEVMEM, next.remaining());
        assertEquals(0, sock.queuedBytes());
        assertEquals(3, sock.dontneed(new DmabufToken(1, 3)));
    }

    /**
     * The records are cmsgs in the caller's memory, in the 64-bit kernel layout (cmsghdr, then struct
     * dmabuf_cmsg), and the indexed accessors and the list view read them back.
     */
    @Test
    void shouldWriteKernelLayoutCmsgsIntoTheCallersControlMemory() {
        List<NetIov> frags = queueSkb(50, 100, 200);
        MemorySegment mem = Arena.ofAuto().allocate(4 * DevmemControl.CMSG_SPACE_DEVMEM + 8);
        DevmemControl c = new DevmemControl(mem);
        assertEquals(4 * DevmemControl.CMSG_SPACE_DEVMEM + 8, c.controllen());
        assertEquals(350, sock.recvmsg(iov, c, FLAGS, Duration.ZERO));
        assertEquals(3, c.count());
        assertEquals(3 * DevmemControl.CMSG_SPACE_DEVMEM, c.used());
        long id = payload.provider().bindingId();
        for (int i = 0; i < 3; i++) {
            long at = (long) i * DevmemControl.CMSG_SPACE_DEVMEM;
            assertEquals(40L, mem.get(ValueLayout.JAVA_LONG_UNALIGNED, at), "cmsg_len of record " + i);
            assertEquals(1, mem.get(ValueLayout.JAVA_INT_UNALIGNED, at + 8), "cmsg_level SOL_SOCKET");
            assertEquals(i == 0 ? 78 : 79, mem.get(ValueLayout.JAVA_INT_UNALIGNED, at + 12), "cmsg_type");
            assertEquals(i == 0 ? 50 : i * 100, mem.get(ValueLayout.JAVA_INT_UNALIGNED, at + 24), "frag_size");
            assertEquals(i, mem.get(ValueLayout.JAVA_INT_UNALIGNED, at + 28), "frag_token");
            assertEquals(i == 0 ? 0 : (int) id, mem.get(ValueLayout.JAVA_INT_UNALIGNED, at + 32), "dmabuf_id");
            assertEquals(0, mem.get(ValueLayout.JAVA_INT_UNALIGNED, at + 36), "flags");
        }
        assertEquals(frags.get(1).virtualAddress(), mem.get(ValueLayout.JAVA_LONG_UNALIGNED, 40L + 40 + 16));
        assertEquals(DevmemControl.SCM_DEVMEM_LINEAR, c.type(0));
        assertEquals(new DevmemRecord.Linear(50), c.record(0));
        assertEquals(List.of(new DevmemRecord.Linear(50),
                new DevmemRecord.Dmabuf(frags.get(0).virtualAddress(), 100, 1, id),
                new DevmemRecord.Dmabuf(frags.get(1).virtualAddress(), 200, 2, id)), c.records());
        assertEquals(true, c.isDmabuf(2));
        assertEquals(frags.get(1).virtualAddress(), c.fragOffset(2));
        assertEquals(id, c.dmabufId(2));
        assertThrows(IndexOutOfBoundsException.class, () -> c.fragToken(3));
        assertThrows(IndexOutOfBoundsException.class, () -> c.records().get(3));
        assertEquals(2, sock.dontneed(new DmabufToken(c.fragToken(1), 2)));
        c.clear();
        assertEquals(0, c.count());
        assertThrows(IndexOutOfBoundsException.class, () -> c.type(0), "a cleared buffer has no records");
        assertThrows(IllegalArgumentException.class, () -> new DevmemControl(mem.asReadOnly()));
    }

    @Test
    void shouldFailWithEtoosmallWhenNotEvenTheFirstRecordFits() {
        queueSkb(0, 100);
        for (int len : new int[] {0, DevmemControl.CMSG_SPACE_DEVMEM - 1}) {
            DevmemControl c = new DevmemControl(len);
            ErrnoException e = assertThrows(ErrnoException.class, () -> sock.recvmsg(iov, c, FLAGS, Duration.ZERO));
            assertEquals(Errno.ETOOSMALL, e.errno());
            assertEquals("no room for a devmem record: msg_controllen " + len + ", " + len
                    + " left, a record needs 40", e.getMessage());
            assertEquals(List.of(), c.records());
        }
        assertEquals(0, sock.outstandingTokens(), "the reservation was rolled back");
        assertEquals(100, sock.queuedBytes(), "nothing was consumed");
        DevmemControl one = new DevmemControl(DevmemControl.CMSG_SPACE_DEVMEM);
        assertEquals(100, sock.recvmsg(iov, one, FLAGS, Duration.ZERO), "exactly one record's room is enough");
        assertEquals(List.of(1), tokens(one));
        assertEquals(1, sock.dontneed(DmabufToken.of(1)));
    }

    @Test
    void shouldKeepTheLinearBytesUnreadWhenTheirRecordDoesNotFit() {
        queueSkb(0, 100);
        queueSkb(50, 100); // the NIC did not split 50 bytes: a LINEAR record first
        DevmemControl one = DevmemControl.ofRecords(1);
        assertEquals(100, sock.recvmsg(iov, one, FLAGS, Duration.ZERO), "the first skb only");
        assertEquals(150, sock.queuedBytes());
        DevmemControl two = DevmemControl.ofRecords(2);
        assertEquals(150, sock.recvmsg(iov, two, FLAGS, Duration.ZERO));
        assertEquals(new DevmemRecord.Linear(50), two.records().get(0));
        assertEquals(2, ((DevmemRecord.Dmabuf) two.records().get(1)).fragToken());
        assertEquals(2, sock.dontneed(new DmabufToken(1, 2)));
    }

    @Test
    void shouldReportTheLinearRecordAndLeaveTheFragWhenOnlyOneFits() {
        queueSkb(50, 100, 100);
        DevmemControl one = DevmemControl.ofRecords(1);
        assertEquals(50, sock.recvmsg(iov, one, FLAGS, Duration.ZERO));
        assertEquals(List.of(new DevmemRecord.Linear(50)), one.records());
        assertEquals(0, sock.outstandingTokens());
        one.clear();
        assertEquals(DevmemControl.CMSG_SPACE_DEVMEM, one.remaining());
        assertEquals(100, sock.recvmsg(iov, one, FLAGS, Duration.ZERO));
        assertEquals(List.of(1), tokens(one));
        one.clear();
        assertEquals(100, sock.recvmsg(iov, one, FLAGS, Duration.ZERO));
        assertEquals(List.of(2), tokens(one));
        assertEquals(2, sock.dontneed(new DmabufToken(1, 2)));
    }
}
