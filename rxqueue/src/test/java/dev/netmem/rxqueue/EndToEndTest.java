package dev.netmem.rxqueue;

import static dev.netmem.testsupport.base.Await.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.netmem.api.Errno;
import dev.netmem.api.ErrnoException;
import dev.netmem.api.PagePool;
import dev.netmem.api.PagePoolListener;
import dev.netmem.providers.dmabuf.Dmabuf;
import dev.netmem.providers.dmabuf.DmabufBinding;
import dev.netmem.providers.zcrx.ZcrxArea;
import dev.netmem.providers.zcrx.ZcrxIfq;
import dev.netmem.providers.zcrx.ZcrxUserRing;
import dev.netmem.rxqueue.netdev.Netdev;
import dev.netmem.rxqueue.netdev.NetdevNlSock;
import dev.netmem.rxqueue.netdev.RxBinding;
import dev.netmem.rxqueue.nic.NetDevice;
import dev.netmem.rxqueue.nic.RxQueue;
import dev.netmem.rxqueue.stack.DevmemRecord;
import dev.netmem.rxqueue.stack.DevmemSocket;
import dev.netmem.rxqueue.stack.DmabufToken;
import dev.netmem.rxqueue.stack.NetStack;
import dev.netmem.rxqueue.wire.PayloadPattern;
import dev.netmem.rxqueue.wire.StreamWire;
import dev.netmem.rxqueue.wire.SyntheticWire;
import dev.netmem.rxqueue.zcrx.IoUringZcrx;
import java.io.OutputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Synthetic (and real-socket) traffic through a queue bound to each provider, payload verified
 * against the pattern, and every pool of the device released with inflight 0 at teardown.
 */
@Timeout(30)
class EndToEndTest {
    private static final PayloadPattern P = PayloadPattern.repeating(7);
    private static final int PORT = 5201;
    private static final Duration T = Duration.ofSeconds(10);

    private final List<PagePool> pools = new CopyOnWriteArrayList<>();
    private final PagePoolListener recorder = new PagePoolListener() {
        @Override
        public void added(PagePool pool) {
            RxQueue q = Netdev.rxQueueOf(pool);
            if (q != null && q.device() == dev) {
                pools.add(pool);
            }
        }
    };
    private NetDevice dev;
    private final MemorySegment iov = Arena.ofAuto().allocate(1 << 20);
    private long seed;

    @BeforeEach
    void setUp() {
        seed = System.nanoTime();
        System.out.println("EndToEndTest seed=" + seed);
        dev = NetDevice.builder("e2e").rxQueues(2).ringSize(64).rcvbuf(256 << 10).build();
        PagePool.addListener(recorder);
        dev.addFlowRule(PORT, 1);
        dev.open();
    }

    @AfterEach
    void tearDown() {
        dev.unregister();
        PagePool.removeListener(recorder);
    }

    /** Closes the device and checks every pool it ever had came home. */
    private void assertAllPoolsReleased() {
        dev.close();
        await("every pool of the device is released", () -> pools.stream()
                .allMatch(p -> p.state() == PagePool.State.RELEASED));
        for (PagePool p : pools) {
            assertEquals(0, p.inflight(), p.toString());
        }
        assertEquals(List.of(), Netdev.pagePoolDump(dev.ifindex()));
        assertTrue(pools.size() >= 4, "two pools per queue at least: " + pools);
    }

    private String diagnostics() {
        RxQueue q = dev.rxQueue(1);
        return "rxPackets=" + q.rxPackets() + " rxAllocFail=" + q.rxAllocFail() + " rxDropped=" + q.rxDropped()
                + " rxMissed=" + q.rxMissed();
    }

    /** No packet was lost after the NIC took it (a loss would leave a hole in the stream). */
    private void assertNoLoss() {
        RxQueue q = dev.rxQueue(1);
        assertEquals(0, q.rxAllocFail() + q.rxDropped(), diagnostics());
    }

    private SyntheticWire wire(int count) {
        return SyntheticWire.builder(dev, 40000, PORT).count(count).sizes(1, 4096).seed(seed).pattern(P).start();
    }

    private void verify(MemorySegment seg, long segOff, long streamOff, int len) {
        for (int i = 0; i < len; i++) {
            byte b = seg.get(ValueLayout.JAVA_BYTE, segOff + i);
            if (b != P.at(streamOff + i)) {
                throw new AssertionError("stream byte " + (streamOff + i) + ": expected " + P.at(streamOff + i)
                        + " but was " + b + "; " + diagnostics());
            }
        }
    }

    @Test
    void shouldDeliverVerifiedPayloadThroughAHostPageQueue() throws InterruptedException {
        DevmemSocket sock = NetStack.of(dev).openSocket(PORT);
        long got = 0;
        try (SyntheticWire w = wire(400)) {
            long deadline = System.nanoTime() + T.toNanos();
            while (!(w.await(Duration.ZERO) && got == w.bytesSent())) {
                assertTrue(System.nanoTime() < deadline, "timed out: " + diagnostics());
                int n = sock.recvmsg(iov, new ArrayList<>(), 0, Duration.ofMillis(50));
                verify(iov, 0, got, n);
                got += n;
            }
            assertEquals(400, w.packetsSent());
        }
        assertEquals(400, dev.rxQueue(1).rxPackets());
        assertNoLoss();
        sock.close();
        assertAllPoolsReleased();
    }

    @Test
    void shouldDeliverDmabufRecordsVerifiedInPlaceThroughADevmemQueue() throws InterruptedException {
        Dmabuf dmabuf = Dmabuf.create(4L << 20);
        NetdevNlSock nl = Netdev.open();
        RxBinding b = nl.bindRx(dev, dmabuf, 1);
        DmabufBinding binding = assertInstanceOf(DmabufBinding.class, b.provider());
        assertEquals(binding.id(), b.id());
        DevmemSocket sock = NetStack.of(dev).openSocket(PORT);
        long got = 0;
        int records = 0;
        try (SyntheticWire w = wire(400)) {
            List<DevmemRecord> recs = new ArrayList<>();
            long deadline = System.nanoTime() + T.toNanos();
            while (!(w.await(Duration.ZERO) && got == w.bytesSent())) {
                assertTrue(System.nanoTime() < deadline, "timed out: " + diagnostics());
                recs.clear();
                sock.recvmsg(iov, recs, DevmemSocket.MSG_SOCK_DEVMEM, Duration.ofMillis(50));
                List<DmabufToken> tokens = new ArrayList<>();
                for (DevmemRecord r : recs) {
                    DevmemRecord.Dmabuf d = assertInstanceOf(DevmemRecord.Dmabuf.class, r, "no linear data");
                    assertEquals(b.id(), d.dmabufId());
                    verify(dmabuf.segment(), d.fragOffset(), got, d.fragSize());
                    got += d.fragSize();
                    tokens.add(DmabufToken.of(d.fragToken()));
                    records++;
                }
                for (int i = 0; i < tokens.size(); i += DevmemSocket.MAX_DONTNEED_TOKENS) {
                    List<DmabufToken> chunk = tokens.subList(i, Math.min(tokens.size(),
                            i + DevmemSocket.MAX_DONTNEED_TOKENS));
                    assertEquals(chunk.size(), sock.dontneed(chunk.toArray(DmabufToken[]::new)));
                }
            }
        }
        assertEquals(400, records, "one frag per packet");
        assertNoLoss();
        assertEquals(0, sock.outstandingTokens());
        sock.close();
        nl.close();
        assertNull(dev.rxQueue(1).memoryProvider());
        assertAllPoolsReleased();
        assertTrue(binding.isFreed(), "every chunk came home and the binding was freed");
        dmabuf.close();
    }

    @Test
    void shouldDeliverCompletionsToTheUserRingAndRecycleRefilledBuffers(@TempDir Path dir)
            throws InterruptedException {
        MemorySegment mem = Arena.ofShared().allocate(2L << 20, 4096);
        ZcrxArea area = ZcrxArea.ofUserMemory(mem);
        NetdevNlSock nl = Netdev.open();
        RxBinding b = IoUringZcrx.bindRxUserRing(nl, dev, area, 1, 256, 512, dir);
        ZcrxIfq ifq = assertInstanceOf(ZcrxIfq.class, b.provider());
        assertTrue(Netdev.queueGet(dev.ifindex(), 1).ioUring());
        assertTrue(Netdev.pagePoolGet(dev.rxQueue(1).pagePool().id()).ioUring());
        DevmemSocket sock = NetStack.of(dev).openSocket(PORT);
        long[] got = {0};
        int[] completions = {0};
        try (ZcrxUserRing ring = ZcrxUserRing.open(ifq.regionPath(), mem);
             SyntheticWire w = wire(600)) {
            long deadline = System.nanoTime() + T.toNanos();
            while (!(w.await(Duration.ZERO) && got[0] == w.bytesSent())) {
                assertTrue(System.nanoTime() < deadline, "timed out: " + diagnostics());
                IoUringZcrx.recvZc(sock, ifq, Duration.ofMillis(50));
                ring.poll((off, len, flags) -> {
                    verify(ring.data(off, len), 0, got[0], len);
                    got[0] += len;
                    completions[0]++;
                    assertTrue(ring.refill(off, len), "refill ring has room");
                });
            }
        }
        assertEquals(600, completions[0]);
        assertNoLoss();
        assertTrue(600 > 2L << 20 >> 12, "more packets than buffers: refilled buffers were reused");
        sock.close();
        b.close();
        assertNull(dev.rxQueue(1).memoryProvider());
        assertAllPoolsReleased();
        await("the ifq is freed", ifq::isFreed);
        assertTrue(Files.notExists(ifq.regionPath()), "region file removed");
    }

    @Test
    void shouldCopyLinearPayloadIntoFreeUserRingBuffers(@TempDir Path dir) {
        dev.setUnsplitPayloads(100); // payloads up to 100 bytes stay linear
        dev.restartQueue(1);
        MemorySegment mem = Arena.ofShared().allocate(1 << 20, 4096);
        NetdevNlSock nl = Netdev.open();
        RxBinding b = IoUringZcrx.bindRxUserRing(nl, dev, ZcrxArea.ofUserMemory(mem), 1, 64, 64, dir);
        ZcrxIfq ifq = (ZcrxIfq) b.provider();
        DevmemSocket sock = NetStack.of(dev).openSocket(PORT);
        TestSupport.send(dev, 40000, PORT, TestSupport.payload(P, 0, 60)); // linear: copy fallback
        TestSupport.send(dev, 40000, PORT, TestSupport.payload(P, 60, 3000)); // split: zero copy
        await("both queued", () -> sock.queuedBytes() == 3060);
        assertEquals(3060, IoUringZcrx.recvZc(sock, ifq, T));
        List<long[]> cqes = new ArrayList<>();
        try (ZcrxUserRing ring = ZcrxUserRing.open(ifq.regionPath(), mem)) {
            assertEquals(2, ring.poll((off, len, flags) -> cqes.add(new long[] {off, len})));
            assertEquals(60, cqes.get(0)[1]);
            assertEquals(3000, cqes.get(1)[1]);
            verify(ring.data(cqes.get(0)[0], 60), 0, 0, 60);
            verify(ring.data(cqes.get(1)[0], 3000), 0, 60, 3000);
            for (long[] c : cqes) {
                assertTrue(ring.refill(c[0], (int) c[1]));
            }
        }
        sock.close();
        b.close();
        assertAllPoolsReleased();
        await("the ifq is freed", ifq::isFreed);
    }

    @Test
    void shouldRefuseUserRingMemoryInADevmemReceive(@TempDir Path dir) {
        MemorySegment mem = Arena.ofShared().allocate(1 << 20, 4096);
        try (NetdevNlSock nl = Netdev.open(); DevmemSocket sock = NetStack.of(dev).openSocket(PORT)) {
            RxBinding b = IoUringZcrx.bindRxUserRing(nl, dev, ZcrxArea.ofUserMemory(mem), 1, 64, 64, dir);
            TestSupport.send(dev, 40000, PORT, TestSupport.payload(P, 0, 2000));
            await("queued", () -> sock.queuedBytes() == 2000);
            ErrnoException e = org.junit.jupiter.api.Assertions.assertThrows(ErrnoException.class,
                    () -> sock.recvmsg(iov, new ArrayList<>(), DevmemSocket.MSG_SOCK_DEVMEM, T));
            assertEquals(Errno.ENODEV, e.errno());
            assertEquals("frag 0 is IOURING memory, not a dma-buf", e.getMessage());
            assertEquals(2000, IoUringZcrx.recvZc(sock, (ZcrxIfq) b.provider(), T), "the right receive path takes it");
        }
        assertAllPoolsReleased();
    }

    @Test
    void shouldSegmentARealTcpStreamIntoPacketsAndDeliverItInOrder() throws Exception {
        int total = 512 * 1024;
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            DevmemSocket sock = NetStack.of(dev).openSocket(server.getLocalPort());
            Thread client = Thread.ofPlatform().daemon().start(() -> {
                try (Socket s = new Socket(InetAddress.getLoopbackAddress(), server.getLocalPort());
                     OutputStream out = s.getOutputStream()) {
                    byte[] buf = new byte[8192];
                    for (int off = 0; off < total; off += buf.length) {
                        for (int i = 0; i < buf.length; i++) {
                            buf[i] = P.at(off + i);
                        }
                        out.write(buf);
                    }
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            try (Socket accepted = server.accept(); StreamWire w = StreamWire.fromSocket(dev, accepted, 4000)) {
                long got = 0;
                long deadline = System.nanoTime() + T.toNanos();
                while (got < total) {
                    assertTrue(System.nanoTime() < deadline, "timed out: " + got + " of " + total);
                    int n = sock.recvmsg(iov, new ArrayList<>(), 0, Duration.ofMillis(50));
                    verify(iov, 0, got, n);
                    got += n;
                }
                assertEquals(total, got);
                assertTrue(w.await(T));
                assertNull(w.failure());
                assertEquals(total, w.bytesSent());
            }
            client.join(T);
            sock.close();
        }
        assertSame(null, dev.rxQueue(0).memoryProvider());
        assertAllPoolsReleased();
    }
}
