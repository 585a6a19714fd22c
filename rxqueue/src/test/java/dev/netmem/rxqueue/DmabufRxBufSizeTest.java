package dev.netmem.rxqueue;

import static dev.netmem.rxqueue.TestSupport.payload;
import static dev.netmem.testsupport.base.Await.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.netmem.api.Errno;
import dev.netmem.api.ErrnoException;
import dev.netmem.api.NetIov;
import dev.netmem.api.PagePool;
import dev.netmem.providers.dmabuf.Dmabuf;
import dev.netmem.providers.dmabuf.DmabufBinding;
import dev.netmem.providers.zcrx.ZcrxArea;
import dev.netmem.providers.zcrx.ZcrxIfqReg;
import dev.netmem.rxqueue.netdev.DmabufAttrs;
import dev.netmem.rxqueue.netdev.Netdev;
import dev.netmem.rxqueue.netdev.NetdevNlSock;
import dev.netmem.rxqueue.netdev.RxBinding;
import dev.netmem.rxqueue.nic.ForwardingQueueOps;
import dev.netmem.rxqueue.nic.NetDevice;
import dev.netmem.rxqueue.stack.DevmemRecord;
import dev.netmem.rxqueue.stack.DevmemSocket;
import dev.netmem.rxqueue.stack.DmabufToken;
import dev.netmem.rxqueue.stack.NetStack;
import dev.netmem.rxqueue.wire.PayloadPattern;
import dev.netmem.rxqueue.zcrx.IoUringZcrx;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * bind-rx's {@code rx-buf-size} ({@code NETDEV_A_DMABUF_RX_BUF_SIZE}, the net-next series "net:
 * devmem: allow rx-buf-size &gt; PAGE_SIZE per dmabuf binding", not in 6.18): checked before the
 * import, a binding of net_iovs that size, the queue bound with that {@code rx_page_size} through the
 * same queue-config path as zcrx's {@code rx_buf_len}, and a devmem stream received into it. On both
 * NIC drivers. The binding itself: providers' {@code DmabufLargeNiovTest}.
 */
@Timeout(60)
@ParameterizedClass(name = "{0}")
@EnumSource(TestDriver.class)
class DmabufRxBufSizeTest extends DeviceTestBase {
    private static final PayloadPattern P = PayloadPattern.repeating(251);
    private static final int SIZE_64K = 64 << 10;

    @TempDir
    Path dir;

    @Parameter
    TestDriver driver;

    @Override
    TestDriver driver() {
        return driver;
    }

    private static void assertErrno(Errno errno, String message, Executable call) {
        ErrnoException e = assertThrows(ErrnoException.class, call);
        assertEquals(errno, e.errno(), e.getMessage());
        assertEquals(message, e.getMessage());
    }

    /** Queue {@code q} of {@code dev} is on its own memory again and {@code nl} owns nothing. */
    private static void assertNothingBound(NetDevice dev, int q, NetdevNlSock nl, Dmabuf dmabuf) {
        assertNull(dev.rxQueue(q).memoryProvider());
        assertEquals(0, dev.rxQueue(q).mpRxPageSize());
        assertEquals(List.of(), nl.bindings());
        assertEquals(1, dmabuf.refCount(), "no binding holds the dma-buf");
        assertEquals(0, dev.warnings());
    }

    @Test
    void shouldRefuseAnRxBufSizeThatIsNotAPowerOfTwoOfAtLeastAPageBeforeTheImport() {
        NetDevice dev = device(NetDevice.builder("rxbuf-inval").rxQueues(2).ringSize(16));
        dev.open();
        PagePool before = dev.rxQueue(1).pagePool();
        try (Dmabuf dmabuf = Dmabuf.create(dir, 1 << 20); NetdevNlSock nl = Netdev.open()) {
            for (int size : new int[] {0, 3000, 6000, 2048, 0x8000_0001}) {
                String u32 = Integer.toUnsignedString(size);
                assertErrno(Errno.EINVAL, "rx_buf_size " + u32 + " must be a power of 2 >= page size (4096)",
                        () -> nl.bindRx(dev, DmabufAttrs.of(dmabuf).withRxBufSize(size), 1));
                assertNothingBound(dev, 1, nl, dmabuf);
                assertSame(before, dev.rxQueue(1).pagePool(), "rx_buf_size " + u32 + ": the queue was not restarted");
            }
        }
    }

    @Test
    void shouldReceiveAStreamIntoSixtyFourKibNetIovsAndTakeThemBackWithDontneed() {
        int port = port(5401);
        int pkt = 48_000; // a packet larger than a page: the emulated NIC takes it only into a larger buffer
        int packets = 24;
        long total = (long) pkt * packets;
        NetDevice dev = device(NetDevice.builder("rxbuf-64k").rxQueues(2).ringSize(16).rcvbuf(8 << 20));
        dev.addFlowRule(port, 1);
        dev.open();
        try (Dmabuf dmabuf = Dmabuf.create(dir, 64L * SIZE_64K); NetdevNlSock nl = Netdev.open()) {
            RxBinding b = nl.bindRx(dev, DmabufAttrs.of(dmabuf).withRxBufSize(SIZE_64K), 1);
            DmabufBinding db = assertInstanceOf(DmabufBinding.class, b.provider());
            assertEquals(16, db.niovShift());
            assertEquals(64, db.area().numNiovs());
            PagePool pool = dev.rxQueue(1).pagePool();
            assertSame(db, pool.provider());
            assertEquals(4, pool.params().order(), "the queue's pool has the binding's net_iov order");
            assertEquals(SIZE_64K, dev.rxQueue(1).mpRxPageSize(), "mp_params.rx_page_size = 1 << niov_shift");
            assertEquals(SIZE_64K, dev.queueConfig(1).rxPageSize());

            DevmemSocket sock = NetStack.of(dev).openSocket(port);
            for (int i = 0; i < packets; i++) {
                transmit(dev, 40000, port, payload(P, (long) i * pkt, pkt));
            }
            MemorySegment linear = Arena.ofAuto().allocate(256 << 10);
            List<DevmemRecord> records = new ArrayList<>();
            long got = 0;
            int largest = 0;
            int overAPage = 0;
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (got < total) {
                assertTrue(System.nanoTime() < deadline, "timed out after " + got + " of " + total + " bytes");
                records.clear();
                int n = sock.recvmsg(linear, records, DevmemSocket.MSG_SOCK_DEVMEM, Duration.ofMillis(50));
                assertTrue(n >= 0, "the stream ended early at " + got);
                long copied = 0;
                List<DmabufToken> tokens = new ArrayList<>();
                for (DevmemRecord r : records) {
                    switch (r) {
                        case DevmemRecord.Linear l -> {
                            verify(linear, copied, got, l.fragSize());
                            copied += l.fragSize();
                            got += l.fragSize();
                        }
                        case DevmemRecord.Dmabuf d -> {
                            // offset = the net_iov's virtual address + the frag's offset: inside one 64 KiB net_iov
                            assertEquals(d.fragOffset() >> 16, (d.fragOffset() + d.fragSize() - 1) >> 16,
                                    "a frag within one net_iov: " + d);
                            assertEquals(b.id(), d.dmabufId());
                            verify(dmabuf.segment(), d.fragOffset(), got, d.fragSize());
                            got += d.fragSize();
                            largest = Math.max(largest, d.fragSize());
                            overAPage += d.fragSize() > NetIov.PAGE_SIZE ? 1 : 0;
                            tokens.add(DmabufToken.of(d.fragToken()));
                        }
                    }
                }
                if (records.isEmpty()) {
                    verify(linear, 0, got, n);
                    got += n;
                }
                if (!tokens.isEmpty()) {
                    assertEquals(tokens.size(), sock.dontneed(tokens.toArray(DmabufToken[]::new)));
                }
            }
            System.out.println(driver + ": rx-buf-size 64 KiB, largest DMABUF record " + largest + " B, " + overAPage
                    + " over 4 KiB");
            assertEquals(total, got);
            assertTrue(largest > NetIov.PAGE_SIZE && largest <= SIZE_64K, "DMABUF records up to 64 KiB: " + largest);
            assertEquals(0, sock.outstandingTokens(), "dontneed returned every token");
            await("every chunk out is the pool's", () -> db.chunksOut() == pool.inflight());
            assertEquals(0, db.releaseErrors());

            sock.close();
            b.close(); // the queue restarts without the binding; the old pool is destroyed
            await("the binding's pool is released", () -> pool.state() == PagePool.State.RELEASED);
            assertEquals(0, pool.inflight());
            await("the binding is freed", db::isFreed);
            assertEquals(0, db.chunksOut());
            assertEquals(0, dev.rxQueue(1).mpRxPageSize());
            assertEquals(NetIov.PAGE_SIZE, dev.rxQueue(1).pagePool().params().bufferSize(),
                    "back on the driver's own buffers");
        }
        assertEquals(0, dev.warnings());
    }

    private static void verify(MemorySegment seg, long at, long streamOff, int len) {
        for (int i = 0; i < len; i++) {
            byte want = P.at(streamOff + i);
            byte was = seg.get(ValueLayout.JAVA_BYTE, at + i);
            if (want != was) {
                throw new AssertionError("stream byte " + (streamOff + i) + ": expected " + want + " but was " + was);
            }
        }
    }

    @Test
    void shouldRefuseALargeRxBufSizeOnADriverWithoutQueueConfigAsZcrxRxBufLenIs() {
        // the driver's four core ops only: no supported_params (QCFG_RX_PAGE_SIZE)
        NetDevice dev = device(NetDevice.builder("rxbuf-legacy").rxQueues(2).ringSize(16)
                .queueOps(ForwardingQueueOps::new));
        dev.open();
        try (Dmabuf dmabuf = Dmabuf.create(dir, 1 << 20); Dmabuf area = Dmabuf.create(dir, 1 << 20);
             NetdevNlSock nl = Netdev.open()) {
            ErrnoException zcrx = assertThrows(ErrnoException.class, () -> IoUringZcrx.bindRxUserRing(nl, dev,
                    ZcrxArea.ofDmabuf(area), 1, ZcrxIfqReg.of(16, 16).withRxBufLen(16 << 10), dir));
            ErrnoException devmem = assertThrows(ErrnoException.class,
                    () -> nl.bindRx(dev, DmabufAttrs.of(dmabuf).withRxBufSize(16 << 10), 1));
            assertEquals(Errno.EOPNOTSUPP, devmem.errno());
            assertEquals("device does not support: rx_page_size", devmem.getMessage());
            assertEquals(zcrx.errno(), devmem.errno(), "the same error as zcrx's rx_buf_len");
            assertEquals(zcrx.getMessage(), devmem.getMessage());
            assertNothingBound(dev, 1, nl, dmabuf);

            // a page-sized rx-buf-size asks no rx_page_size of the driver (niov_shift == PAGE_SHIFT): it binds
            RxBinding b = nl.bindRx(dev, DmabufAttrs.of(dmabuf).withRxBufSize(NetIov.PAGE_SIZE), 1);
            assertEquals(NetIov.PAGE_SHIFT, ((DmabufBinding) b.provider()).niovShift());
            assertEquals(0, dev.rxQueue(1).mpRxPageSize());
            assertEquals(0, dev.rxQueue(1).pagePool().params().order());
            b.close();
            await("the page-sized binding is freed", ((DmabufBinding) b.provider())::isFreed);
        }
    }

    @Test
    void shouldRefuseAnRxBufSizeTheDriverRejectsOrTheDmabufIsNotAlignedToAndUnbind() {
        NetDevice dev = device(NetDevice.builder("rxbuf-bad").rxQueues(2).ringSize(16));
        dev.open();
        PagePool before = dev.rxQueue(1).pagePool();
        try (Dmabuf dmabuf = Dmabuf.create(dir, 1 << 20); Dmabuf area = Dmabuf.create(dir, 1 << 20);
             Dmabuf odd = Dmabuf.create(dir, 48 << 10); NetdevNlSock nl = Netdev.open()) {
            // 128 KiB: bind-rx and the binding accept it, the driver's ndo_validate_qcfg does not (as for zcrx)
            String refused = "rxbuf-bad: rx_page_size 131072 is not a power of two in [4096, 65536]";
            assertErrno(Errno.ERANGE, refused,
                    () -> nl.bindRx(dev, DmabufAttrs.of(dmabuf).withRxBufSize(128 << 10), 1));
            assertErrno(Errno.ERANGE, refused, () -> IoUringZcrx.bindRxUserRing(nl, dev, ZcrxArea.ofDmabuf(area), 1,
                    ZcrxIfqReg.of(16, 16).withRxBufLen(128 << 10), dir));
            assertNothingBound(dev, 1, nl, dmabuf);
            assertSame(before, dev.rxQueue(1).pagePool(), "the queue was not restarted");

            // a 48 KiB dma-buf is not a whole number of 64 KiB net_iovs: refused after the import, undone
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> nl.bindRx(dev, DmabufAttrs.of(odd).withRxBufSize(SIZE_64K), 1));
            assertTrue(e.getMessage().matches(
                    "EINVAL: dmabuf sg entry \\(addr=0x[0-9a-f]{16}, len=49152\\) not aligned to niov size 65536"),
                    e.getMessage());
            assertNothingBound(dev, 1, nl, odd);
            assertSame(before, dev.rxQueue(1).pagePool());
        }
    }
}
