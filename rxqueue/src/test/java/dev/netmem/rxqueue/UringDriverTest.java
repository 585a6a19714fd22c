package dev.netmem.rxqueue;

import static dev.netmem.testsupport.base.Await.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.netmem.api.Errno;
import dev.netmem.api.ErrnoException;
import dev.netmem.api.NetIov;
import dev.netmem.api.PagePool;
import dev.netmem.api.PagePoolListener;
import dev.netmem.providers.dmabuf.Dmabuf;
import dev.netmem.providers.dmabuf.DmabufBinding;
import dev.netmem.providers.zcrx.ZcrxArea;
import dev.netmem.providers.zcrx.ZcrxIfq;
import dev.netmem.providers.zcrx.ZcrxIfqReg;
import dev.netmem.providers.zcrx.ZcrxUserRing;
import dev.netmem.rxqueue.netdev.Netdev;
import dev.netmem.rxqueue.netdev.NetdevNlSock;
import dev.netmem.rxqueue.netdev.RxBinding;
import dev.netmem.rxqueue.nic.IoUringNic;
import dev.netmem.rxqueue.nic.NetDevice;
import dev.netmem.rxqueue.nic.RxQueue;
import dev.netmem.rxqueue.stack.DevmemRecord;
import dev.netmem.rxqueue.stack.DevmemSocket;
import dev.netmem.rxqueue.stack.DmabufToken;
import dev.netmem.rxqueue.stack.NetStack;
import dev.netmem.rxqueue.zcrx.IoUringZcrx;
import dev.netmem.uring.IoUringAvailability;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The io_uring NIC driver on real loopback TCP: the kernel receives straight into page-pool
 * buffers posted on each queue's provided-buffer ring, for host pages, a dma-buf binding and a zcrx
 * user ring; every byte verified in place (and its SHA-256 compared with the sender's); every pool
 * at inflight 0 after teardown. Skips, saying why, only where io_uring is unavailable.
 */
@Timeout(60)
@SuppressWarnings("try") // listeners opened for the try block's lifetime
class UringDriverTest {
    private static final Duration T = Duration.ofSeconds(20);

    private final List<PagePool> pools = new CopyOnWriteArrayList<>();
    private final List<NetDevice> devices = new ArrayList<>();
    private final PagePoolListener recorder = new PagePoolListener() {
        @Override
        public void added(PagePool pool) {
            RxQueue q = Netdev.rxQueueOf(pool);
            if (q != null && devices.contains(q.device())) {
                pools.add(pool);
            }
        }
    };
    private final MemorySegment iov = Arena.ofAuto().allocate(1 << 20);

    @BeforeAll
    static void requireIoUring() {
        IoUringAvailability a = IoUringAvailability.check();
        if (!a.available()) {
            System.out.println("UringDriverTest skipped: " + a.message());
        }
        assumeTrue(a.available(), a.message());
    }

    @AfterEach
    void tearDown() {
        for (NetDevice d : devices) {
            d.unregister();
        }
        PagePool.removeListener(recorder);
    }

    private NetDevice device(NetDevice.Builder b, IoUringNic nic) {
        PagePool.addListener(recorder);
        NetDevice d = b.driver(nic).build();
        devices.add(d);
        return d;
    }

    /** The byte at stream offset {@code off} of stream {@code seed}: not periodic, so a shift or a hole shows. */
    static byte patternAt(long seed, long off) {
        long x = (off + seed * 0x632BE59BD9B4E019L) * 0x9E3779B97F4A7C15L;
        return (byte) (x >>> 56);
    }

    /** A client that writes {@code total} pattern bytes of stream {@code seed}, then closes; returns its SHA-256. */
    private static Thread sender(int port, long seed, long total, AtomicReference<String> sha, boolean reset) {
        return Thread.ofPlatform().daemon().name("sender-" + port).start(() -> {
            try (SocketChannel ch = SocketChannel.open(new InetSocketAddress(InetAddress.getLoopbackAddress(), port))) {
                send(ch, seed, total, sha);
                if (reset) {
                    ch.setOption(StandardSocketOptions.SO_LINGER, 0); // close sends RST
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }

    private static void send(SocketChannel ch, long seed, long total, AtomicReference<String> sha) throws IOException {
        MessageDigest md = sha256();
        ByteBuffer buf = ByteBuffer.allocateDirect(64 << 10);
        byte[] tmp = new byte[64 << 10];
        for (long off = 0; off < total; ) {
            int n = (int) Math.min(tmp.length, total - off);
            for (int i = 0; i < n; i++) {
                tmp[i] = patternAt(seed, off + i);
            }
            md.update(tmp, 0, n);
            buf.clear();
            buf.put(tmp, 0, n).flip();
            while (buf.hasRemaining()) {
                ch.write(buf);
            }
            off += n;
        }
        if (sha != null) {
            sha.set(HexFormat.of().formatHex(md.digest()));
        }
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Receives {@code sock}'s stream through zcrx until its end: {@code recvZc} (a full completion ring
     * is drained, not an error), then each user-ring completion verified against pattern {@code seed},
     * shown to {@code onLen} and refilled. Returns the bytes received.
     */
    private static long drainUserRing(NetDevice dev, DevmemSocket sock, ZcrxIfq ifq, ZcrxUserRing ring, long seed,
                                      long total, MessageDigest md, java.util.function.IntConsumer onLen) {
        long[] got = {0};
        long deadline = System.nanoTime() + T.toNanos();
        while (!sock.isEndOfStream() || got[0] < total) {
            assertTrue(System.nanoTime() < deadline, "timed out after " + got[0] + "; " + stats(dev));
            try {
                IoUringZcrx.recvZc(sock, ifq, Duration.ofMillis(20));
            } catch (ErrnoException e) {
                assertEquals(Errno.ENOSPC, e.errno(), e.getMessage()); // the CQ is full: drain it
            }
            ring.poll((off, len, flags) -> {
                verify(ring.data(off, len), 0, seed, got[0], len, md);
                got[0] += len;
                onLen.accept(len);
                assertTrue(ring.refill(off, len), "refill ring has room");
            });
        }
        return got[0];
    }

    /** Verifies {@code len} bytes at {@code segOff} of {@code seg} as stream bytes from {@code streamOff}. */
    private static void verify(MemorySegment seg, long segOff, long seed, long streamOff, int len, MessageDigest md) {
        for (int i = 0; i < len; i++) {
            byte b = seg.get(ValueLayout.JAVA_BYTE, segOff + i);
            if (b != patternAt(seed, streamOff + i)) {
                throw new AssertionError("stream " + seed + " byte " + (streamOff + i) + ": expected "
                        + patternAt(seed, streamOff + i) + " but was " + b);
            }
        }
        if (md != null) {
            md.update(seg.asSlice(segOff, len).asByteBuffer());
        }
    }

    /** Receives one stream (readable or devmem) until EOF; returns the bytes; tokens go back at once. */
    private long receiveAll(DevmemSocket sock, Dmabuf dmabuf, long seed, MessageDigest md, String diag) {
        return receiveAll(sock, dmabuf, seed, md, diag, 0, List.of());
    }

    /**
     * {@link #receiveAll(DevmemSocket, Dmabuf, long, MessageDigest, String)} by a slow application: after
     * each recvmsg it pauses {@code lagNanos} before reading what it got (its tokens held meanwhile). A
     * byte wrong in dma-buf memory fails naming its chunk and which of {@code bindings} have that chunk out.
     */
    private long receiveAll(DevmemSocket sock, Dmabuf dmabuf, long seed, MessageDigest md, String diag, long lagNanos,
                            List<DmabufBinding> bindings) {
        long got = 0;
        List<DevmemRecord> recs = new ArrayList<>();
        long deadline = System.nanoTime() + T.toNanos();
        while (true) {
            assertTrue(System.nanoTime() < deadline, "timed out after " + got + " bytes; " + diag);
            recs.clear();
            int n = sock.recvmsg(iov, recs, DevmemSocket.MSG_SOCK_DEVMEM, Duration.ofMillis(50));
            if (n < 0) {
                return got;
            }
            if (n > 0 && lagNanos > 0) {
                LockSupport.parkNanos(lagNanos);
            }
            if (recs.isEmpty()) {
                verify(iov, 0, seed, got, n, md);
                got += n;
                continue;
            }
            List<DmabufToken> tokens = new ArrayList<>();
            long linear = 0;
            for (DevmemRecord r : recs) {
                if (r instanceof DevmemRecord.Dmabuf d) {
                    try {
                        verify(dmabuf.segment(), d.fragOffset(), seed, got, d.fragSize(), md);
                    } catch (AssertionError e) {
                        throw new AssertionError(e.getMessage() + " in " + chunkOwners(d, bindings), e);
                    }
                    got += d.fragSize();
                    tokens.add(DmabufToken.of(d.fragToken()));
                } else {
                    int len = ((DevmemRecord.Linear) r).fragSize();
                    verify(iov, linear, seed, got, len, md);
                    linear += len;
                    got += len;
                }
            }
            for (int i = 0; i < tokens.size(); i += DevmemSocket.MAX_DONTNEED_TOKENS) {
                List<DmabufToken> chunk = tokens.subList(i, Math.min(tokens.size(), i + DevmemSocket.MAX_DONTNEED_TOKENS));
                assertEquals(chunk.size(), sock.dontneed(chunk.toArray(DmabufToken[]::new)));
            }
        }
    }

    /** Where a devmem frag lies in the dma-buf, and which bindings of it have that chunk out of their genpool now. */
    private static String chunkOwners(DevmemRecord.Dmabuf d, List<DmabufBinding> bindings) {
        int chunk = (int) (d.fragOffset() / NetIov.PAGE_SIZE);
        StringBuilder s = new StringBuilder("the frag at dma-buf offset " + d.fragOffset() + " (+" + d.fragSize()
                + ", chunk " + chunk + ") of binding " + d.dmabufId() + "; chunk " + chunk + " is out in:");
        for (DmabufBinding b : bindings) {
            if (b.area().niov(chunk).pool() != null) {
                s.append(' ').append(b);
            }
        }
        return s.toString();
    }

    /**
     * Sends {@code total} bytes of stream {@code seed} to {@code port} and receives them on {@code sock}
     * until the FIN (verified in {@code dmabuf} when devmem records come), then checks the SHA-256 of
     * what was read equals the sender's.
     */
    private void streamAndVerify(NetDevice dev, DevmemSocket sock, Dmabuf dmabuf, int port, long seed, long total)
            throws InterruptedException {
        AtomicReference<String> sent = new AtomicReference<>();
        Thread s = sender(port, seed, total, sent, false);
        MessageDigest md = sha256();
        assertEquals(total, receiveAll(sock, dmabuf, seed, md, stats(dev)));
        s.join(T);
        assertEquals(sent.get(), HexFormat.of().formatHex(md.digest()), "sha256 of what was sent = what was read");
    }

    private static String stats(NetDevice dev) {
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < dev.numRxQueues(); i++) {
            RxQueue q = dev.rxQueue(i);
            s.append("q").append(i).append("[packets=").append(q.rxPackets()).append(" bytes=").append(q.rxBytes())
                    .append(" allocFail=").append(q.rxAllocFail()).append(" dropped=").append(q.rxDropped())
                    .append(" nobufs=").append(q.rxNoBufs()).append(" rearms=").append(q.rxRearms())
                    .append(" ends=").append(q.rxConnEnds()).append("] ");
        }
        return s.toString();
    }

    /** Unregisters the device and checks every pool it had is released with nothing in flight. */
    private void assertAllPoolsReleased(NetDevice dev) {
        dev.unregister();
        await("every pool of the device is released", Duration.ofSeconds(10), () -> pools.stream()
                .allMatch(p -> p.state() == PagePool.State.RELEASED));
        for (PagePool p : pools) {
            assertEquals(0, p.inflight(), p.toString());
        }
        assertTrue(pools.size() >= 2, "a payload and a header pool at least: " + pools);
    }

    private static int freePort() {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    // =====================================================================================

    @Test
    void shouldReceiveARealStreamIntoHostPagesPostedOnTheBufferRing() throws Exception {
        NetDevice dev = device(NetDevice.builder("ur-host").rxQueues(2).ringSize(64), IoUringNic.builder().build());
        int port = freePort();
        dev.addFlowRule(port, 1);
        dev.open();
        DevmemSocket sock = NetStack.of(dev).openSocket(port);
        IoUringNic nic = (IoUringNic) dev.driver();
        try (IoUringNic.Listener l = nic.listen(port)) {
            streamAndVerify(dev, sock, null, port, 1, 32L << 20);
            assertEquals(1, l.accepted());
        }
        RxQueue q = dev.rxQueue(1);
        assertEquals(total(dev), q.rxBytes(), "every byte came through queue 1 (flow rule)");
        assertEquals(0, q.rxDropped(), stats(dev));
        assertEquals(1, q.rxConnEnds(), "EOF handed to the socket");
        sock.close();
        assertAllPoolsReleased(dev);
    }

    @Test
    void shouldHoldAConnectionsBytesInTheKernelUntilTheStackHasASocketForIt() throws Exception {
        // listen mode of the demo: a client connects (and sends everything) before the application
        // opens its socket; the kernel's accepted socket holds the bytes meanwhile, so none is lost
        NetDevice dev = device(NetDevice.builder("ur-early").rxQueues(1).ringSize(64), IoUringNic.builder().build());
        int port = freePort();
        dev.open();
        IoUringNic nic = (IoUringNic) dev.driver();
        long total = 3_000_001;
        try (IoUringNic.Listener l = nic.listen(port)) {
            AtomicReference<String> sent = new AtomicReference<>();
            Thread s = sender(port, 7, total, sent, false);
            assertTrue(l.nextAccepted(T) != null, "the client was accepted");
            // polls with no stack at all, then with a stack without a socket on the port: the first
            // bytes wait in the kernel (the rest waits in the client, behind the closed window)
            Thread.sleep(50);
            NetStack stack = NetStack.of(dev);
            Thread.sleep(50);
            assertEquals(0, dev.rxQueue(0).rxPackets(), "nothing received before a socket exists: " + stats(dev));
            DevmemSocket sock = stack.openSocket(port);
            MessageDigest md = sha256();
            assertEquals(total, receiveAll(sock, null, 7, md, stats(dev)), "every byte, from the first");
            s.join(T);
            assertEquals(sent.get(), HexFormat.of().formatHex(md.digest()));
            sock.close();
        }
        assertAllPoolsReleased(dev);
    }

    private static long total(NetDevice dev) {
        long t = 0;
        for (int i = 0; i < dev.numRxQueues(); i++) {
            t += dev.rxQueue(i).rxBytes();
        }
        return t;
    }

    @org.junit.jupiter.params.ParameterizedTest(name = "{0}")
    @org.junit.jupiter.params.provider.ValueSource(strings = {"bundles", "incremental", "order2", "order4",
            "bundles+incremental"})
    void shouldReceiveWithEachBufferRingOption(String option) throws Exception {
        IoUringNic.Builder nb = IoUringNic.builder().bundles(option.contains("bundles"))
                .incremental(option.contains("incremental"));
        if (option.startsWith("order")) {
            nb.bufferOrder(Integer.parseInt(option.substring(5)));
        }
        IoUringNic nic = nb.build();
        NetDevice dev = device(NetDevice.builder("ur-" + option.replace('+', '-')).rxQueues(1).ringSize(64)
                .hostBytes(128L << 20), nic);
        int port = freePort();
        dev.open();
        DevmemSocket sock = NetStack.of(dev).openSocket(port);
        long total = 16L << 20;
        try (IoUringNic.Listener l = nic.listen(port)) {
            assertEquals(port, l.port());
            streamAndVerify(dev, sock, null, port, 8, total);
        }
        RxQueue q = dev.rxQueue(0);
        System.out.println(option + ": " + stats(dev));
        if (option.startsWith("order")) {
            assertEquals(4096 << nic.bufferOrder(), q.pagePool().params().bufferSize(), "pool buffers of the order");
        }
        assertEquals(0, q.rxDropped(), stats(dev));
        sock.close();
        assertAllPoolsReleased(dev);
    }

    @Test
    void shouldReceiveIntoADmabufReadInPlace() throws Exception {
        NetDevice dev = device(NetDevice.builder("ur-dmabuf").rxQueues(1).ringSize(256), IoUringNic.builder().build());
        int port = freePort();
        dev.open();
        Dmabuf dmabuf = Dmabuf.create(8L << 20);
        NetdevNlSock nl = Netdev.open();
        RxBinding b = nl.bindRx(dev, dmabuf, 0);
        DevmemSocket sock = NetStack.of(dev).openSocket(port);
        IoUringNic nic = (IoUringNic) dev.driver();
        try (IoUringNic.Listener l = nic.listen(port)) {
            assertEquals(port, l.port());
            streamAndVerify(dev, sock, dmabuf, port, 2, 32L << 20);
        }
        assertEquals(0, sock.outstandingTokens());
        assertEquals(b.id(), Netdev.queueGet(dev.ifindex(), 0).dmabuf().orElseThrow());
        sock.close();
        nl.close();
        assertAllPoolsReleased(dev);
        dmabuf.close();
        assertTrue(Files.notExists(dmabuf.path()), "no file left in /dev/shm");
    }

    @Test
    void shouldReceiveIntoAUserRingArea(@TempDir Path dir) throws Exception {
        NetDevice dev = device(NetDevice.builder("ur-zcrx").rxQueues(1).ringSize(128), IoUringNic.builder().build());
        int port = freePort();
        dev.open();
        MemorySegment mem = Arena.ofShared().allocate(4L << 20, 4096);
        NetdevNlSock nl = Netdev.open();
        RxBinding b = IoUringZcrx.bindRxUserRing(nl, dev, ZcrxArea.ofUserMemory(mem), 0, 1024, 2048, dir);
        ZcrxIfq ifq = assertInstanceOf(ZcrxIfq.class, b.provider());
        DevmemSocket sock = NetStack.of(dev).openSocket(port);
        IoUringNic nic = (IoUringNic) dev.driver();
        long total = 16L << 20;
        long got;
        MessageDigest md = sha256();
        AtomicReference<String> sent = new AtomicReference<>();
        try (IoUringNic.Listener l = nic.listen(port);
             ZcrxUserRing ring = ZcrxUserRing.open(ifq.regionPath(), mem)) {
            Thread s = sender(port, 3, total, sent, false);
            got = drainUserRing(dev, sock, ifq, ring, 3, total, md, len -> { });
            s.join(T);
        }
        assertEquals(total, got);
        assertEquals(sent.get(), HexFormat.of().formatHex(md.digest()));
        sock.close();
        b.close();
        assertAllPoolsReleased(dev);
        await("the ifq is freed", ifq::isFreed);
    }

    @Test
    void shouldReceiveIntoSixtyFourKibUserRingBuffersWithCompletionsLargerThanAPage(@TempDir Path dir)
            throws Exception {
        // rx_buf_len 64 KiB: the queue's pool has 64 KiB buffers (rx_page_size through the queue config),
        // the driver posts them whole on its buffer ring, and the kernel fills them past 4 KiB
        NetDevice dev = device(NetDevice.builder("ur-zcrx-64k").rxQueues(1).ringSize(64), IoUringNic.builder().build());
        int port = freePort();
        dev.open();
        MemorySegment mem = Arena.ofShared().allocate(16L << 20, 4096);
        NetdevNlSock nl = Netdev.open();
        RxBinding b = IoUringZcrx.bindRxUserRing(nl, dev, ZcrxArea.ofUserMemory(mem), 0,
                ZcrxIfqReg.of(1024, 2048).withRxBufLen(64 << 10), dir);
        ZcrxIfq ifq = assertInstanceOf(ZcrxIfq.class, b.provider());
        assertEquals(64 << 10, ifq.rxBufLen());
        assertEquals(64 << 10, dev.rxQueue(0).pagePool().params().bufferSize(), "the queue's pool has 64 KiB buffers");
        DevmemSocket sock = NetStack.of(dev).openSocket(port);
        IoUringNic nic = (IoUringNic) dev.driver();
        long total = 16L << 20;
        long got;
        int[] maxLen = {0};
        long[] large = {0};
        MessageDigest md = sha256();
        AtomicReference<String> sent = new AtomicReference<>();
        try (IoUringNic.Listener l = nic.listen(port);
             ZcrxUserRing ring = ZcrxUserRing.open(ifq.regionPath(), mem)) {
            Thread s = sender(port, 7, total, sent, false);
            got = drainUserRing(dev, sock, ifq, ring, 7, total, md, len -> {
                maxLen[0] = Math.max(maxLen[0], len);
                if (len > NetIov.PAGE_SIZE) {
                    large[0]++;
                }
            });
            s.join(T);
        }
        assertEquals(total, got);
        assertEquals(sent.get(), HexFormat.of().formatHex(md.digest()));
        System.out.println("64 KiB zcrx buffers: largest completion " + maxLen[0] + " B, " + large[0]
                + " completions over 4 KiB; " + stats(dev));
        assertTrue(maxLen[0] > NetIov.PAGE_SIZE, "a completion longer than a page: " + maxLen[0]);
        assertEquals(0, dev.rxQueue(0).rxDropped(), stats(dev));
        sock.close();
        b.close();
        assertAllPoolsReleased(dev);
        await("the ifq is freed", ifq::isFreed);
    }

    @Test
    void shouldRecoverFromAnEmptyRingWithoutLosingAByte() throws Exception {
        // 8 posted buffers, a 64 KiB window and a slow reader: the ring runs dry (ENOBUFS) and the
        // window closes (receive cancelled) again and again; the kernel holds the rest in its socket.
        NetDevice dev = device(NetDevice.builder("ur-tiny").rxQueues(1).ringSize(8).rcvbuf(64 << 10)
                .hostBytes(2L << 20), IoUringNic.builder().build());
        int port = freePort();
        dev.open();
        DevmemSocket sock = NetStack.of(dev).openSocket(port);
        IoUringNic nic = (IoUringNic) dev.driver();
        long total = 4L << 20;
        try (IoUringNic.Listener l = nic.listen(port)) {
            AtomicReference<String> sent = new AtomicReference<>();
            Thread s = sender(port, 4, total, sent, false);
            MessageDigest md = sha256();
            long got = 0;
            long deadline = System.nanoTime() + T.toNanos();
            MemorySegment small = iov.asSlice(0, 16 << 10);
            while (true) {
                assertTrue(System.nanoTime() < deadline, "timed out after " + got + "; " + stats(dev));
                int n = sock.recvmsg(small, new ArrayList<>(), 0, Duration.ofMillis(50));
                if (n < 0) {
                    break;
                }
                verify(small, 0, 4, got, n, md);
                got += n;
                if ((got & 0x3ffff) < n) {
                    Thread.sleep(2); // a slow reader now and then
                }
            }
            s.join(T);
            assertEquals(total, got, stats(dev));
            assertEquals(sent.get(), HexFormat.of().formatHex(md.digest()));
        }
        RxQueue q = dev.rxQueue(0);
        System.out.println("tiny ring: " + stats(dev));
        assertTrue(q.rxRearms() > 0, "receives were re-armed: " + stats(dev));
        assertEquals(0, q.rxDropped(), stats(dev));
        sock.close();
        assertAllPoolsReleased(dev);
    }

    @Test
    void shouldDeliverTheBytesBeforeAPeerResetThenReportTheReset() throws Exception {
        NetDevice dev = device(NetDevice.builder("ur-rst").rxQueues(1).ringSize(64), IoUringNic.builder().build());
        int port = freePort();
        dev.open();
        DevmemSocket sock = NetStack.of(dev).openSocket(port);
        IoUringNic nic = (IoUringNic) dev.driver();
        long total = 1L << 20;
        try (IoUringNic.Listener l = nic.listen(port)) {
            Thread s = sender(port, 5, total, null, true);
            s.join(T);
            long got = 0;
            long deadline = System.nanoTime() + T.toNanos();
            ErrnoException reset = null;
            while (reset == null) {
                assertTrue(System.nanoTime() < deadline, "timed out after " + got + "; " + stats(dev));
                try {
                    int n = sock.recvmsg(iov, new ArrayList<>(), 0, Duration.ofMillis(50));
                    assertTrue(n >= 0, "a reset is not an orderly EOF");
                    verify(iov, 0, 5, got, n, null);
                    got += n;
                } catch (ErrnoException e) {
                    reset = e;
                }
            }
            assertEquals(Errno.ECONNRESET, reset.errno());
            assertTrue(got <= total, "a prefix of the stream: " + got);
            System.out.println("peer reset after " + got + " of " + total + " bytes");
        }
        assertEquals(1, dev.rxQueue(0).rxConnEnds());
        sock.close();
        assertAllPoolsReleased(dev);
    }

    @Test
    void shouldReceive64ConnectionsOnOneQueue() throws Exception {
        NetDevice dev = device(NetDevice.builder("ur-64").rxQueues(1).ringSize(256), IoUringNic.builder().build());
        dev.open();
        IoUringNic nic = (IoUringNic) dev.driver();
        NetStack stack = NetStack.of(dev);
        int conns = 64;
        long each = 256 << 10;
        try (ServerSocketChannel peer = ServerSocketChannel.open()) {
            peer.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            int peerPort = ((InetSocketAddress) peer.getLocalAddress()).getPort();
            AtomicLong written = new AtomicLong();
            Thread writers = Thread.ofPlatform().daemon().start(() -> {
                try {
                    for (int i = 0; i < conns; i++) {
                        SocketChannel ch = peer.accept();
                        int seed = ((InetSocketAddress) ch.getRemoteAddress()).getPort(); // our local port
                        Thread.ofPlatform().daemon().start(() -> {
                            try (ch) {
                                send(ch, seed, each, null);
                                written.addAndGet(each);
                            } catch (IOException e) {
                                throw new UncheckedIOException(e);
                            }
                        });
                    }
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
            List<DevmemSocket> socks = new ArrayList<>();
            List<IoUringNic.Connection> cs = new ArrayList<>();
            java.util.Set<Integer> taken = new java.util.HashSet<>();
            for (int i = 0; i < conns; i++) {
                int lp = freePort();
                while (!taken.add(lp)) { // the kernel may offer a port again once its probe socket closed
                    lp = freePort();
                }
                socks.add(stack.openSocket(lp));
                cs.add(nic.connect(lp, peerPort));
            }
            long[] got = new long[conns];
            boolean[] done = new boolean[conns];
            int finished = 0;
            long deadline = System.nanoTime() + T.toNanos();
            while (finished < conns) {
                assertTrue(System.nanoTime() < deadline, finished + " of " + conns + " done; " + stats(dev));
                for (int i = 0; i < conns; i++) {
                    if (done[i]) {
                        continue;
                    }
                    int n = socks.get(i).recvmsg(iov, new ArrayList<>(), DevmemSocket.MSG_DONTWAIT, null);
                    if (n < 0) {
                        done[i] = true;
                        finished++;
                    } else {
                        verify(iov, 0, cs.get(i).localPort(), got[i], n, null);
                        got[i] += n;
                    }
                }
            }
            for (int i = 0; i < conns; i++) {
                assertEquals(each, got[i], "connection " + i);
                assertEquals(0, cs.get(i).queueIndex());
                assertTrue(cs.get(i).isEnded());
            }
            writers.join(T);
            for (DevmemSocket s : socks) {
                s.close();
            }
        }
        assertEquals(conns, dev.rxQueue(0).rxConnEnds());
        assertAllPoolsReleased(dev);
    }

    @Test
    void shouldLoseNoByteAcrossRestartsBindsAndUnbindsWhileTrafficRuns() throws Exception {
        NetDevice dev = device(NetDevice.builder("ur-chaos").rxQueues(2).ringSize(64), IoUringNic.builder().build());
        int port = freePort();
        dev.addFlowRule(port, 0);
        dev.open();
        Dmabuf dmabuf = Dmabuf.create(4L << 20);
        DevmemSocket sock = NetStack.of(dev).openSocket(port);
        IoUringNic nic = (IoUringNic) dev.driver();
        long total = 48L << 20;
        AtomicReference<String> sent = new AtomicReference<>();
        AtomicReference<Throwable> chaosFailure = new AtomicReference<>();
        List<DmabufBinding> bindings = new CopyOnWriteArrayList<>();
        int[] rounds = {0};
        try (IoUringNic.Listener l = nic.listen(port); NetdevNlSock nl = Netdev.open()) {
            Thread s = sender(port, 6, total, sent, false);
            Thread chaos = Thread.ofPlatform().daemon().start(() -> {
                try {
                    while (s.isAlive() && rounds[0] < 30) {
                        dev.restartQueue(0);
                        // Each binding carves the whole dma-buf into chunks of its own (the kernel's
                        // per-binding genpool), so binding it again while the socket or the reader still
                        // holds chunks of the last binding hands the same memory out twice: bind again
                        // only once the last binding is freed (every chunk came home).
                        if (!bindings.isEmpty()) {
                            DmabufBinding last = bindings.getLast();
                            await("the last binding is freed before its dma-buf is bound again: " + last, T,
                                    last::isFreed);
                        }
                        RxBinding b = nl.bindRx(dev, dmabuf, 0);
                        bindings.add((DmabufBinding) b.provider());
                        Thread.sleep(5);
                        dev.restartQueue(0);
                        b.close();
                        rounds[0]++;
                        Thread.sleep(5);
                    }
                } catch (Throwable t) {
                    chaosFailure.set(t);
                }
            });
            MessageDigest md = sha256();
            // a slow reader: the socket and the reader still hold chunks of a binding when it is unbound
            assertEquals(total, receiveAll(sock, dmabuf, 6, md, stats(dev), 10_000_000L, bindings));
            s.join(T);
            chaos.join(T);
            assertEquals(null, chaosFailure.get());
            assertEquals(sent.get(), HexFormat.of().formatHex(md.digest()));
        }
        System.out.println("chaos: " + rounds[0] + " rounds of restart/bind/restart/unbind; " + stats(dev));
        assertTrue(rounds[0] > 0);
        assertEquals(0, dev.rxQueue(0).rxDropped(), stats(dev));
        sock.close();
        assertAllPoolsReleased(dev);
        dmabuf.close();
    }

    @Test
    void shouldReleaseDetachedPoolsWhenBuffersHeldAtTeardownComeHome() throws Exception {
        NetDevice dev = device(NetDevice.builder("ur-held").rxQueues(1).ringSize(64), IoUringNic.builder().build());
        int port = freePort();
        dev.open();
        Dmabuf dmabuf = Dmabuf.create(4L << 20);
        NetdevNlSock nl = Netdev.open();
        nl.bindRx(dev, dmabuf, 0);
        DevmemSocket sock = NetStack.of(dev).openSocket(port);
        IoUringNic nic = (IoUringNic) dev.driver();
        List<DmabufToken> held = new ArrayList<>();
        try (IoUringNic.Listener l = nic.listen(port)) {
            Thread s = sender(port, 7, 256 << 10, null, false);
            long got = 0;
            long deadline = System.nanoTime() + T.toNanos();
            List<DevmemRecord> recs = new ArrayList<>();
            while (got < 256 << 10) {
                assertTrue(System.nanoTime() < deadline, "timed out after " + got + "; " + stats(dev));
                recs.clear();
                int n = sock.recvmsg(iov, recs, DevmemSocket.MSG_SOCK_DEVMEM, Duration.ofMillis(50));
                for (DevmemRecord r : recs) {
                    DevmemRecord.Dmabuf d = (DevmemRecord.Dmabuf) r;
                    verify(dmabuf.segment(), d.fragOffset(), 7, got, d.fragSize(), null);
                    got += d.fragSize();
                    held.add(DmabufToken.of(d.fragToken()));
                }
                assertTrue(n >= 0);
            }
            s.join(T);
        }
        nl.close(); // unbind: the queue restarts on host pages; the dma-buf pool detaches with buffers held
        PagePool detached = pools.stream().filter(p -> p.state() == PagePool.State.DESTROYING).findFirst()
                .orElseThrow(() -> new AssertionError("a detached pool while tokens are held: " + pools));
        assertTrue(detached.inflight() >= held.size(), detached.toString());
        for (int i = 0; i < held.size(); i += DevmemSocket.MAX_DONTNEED_TOKENS) {
            sock.dontneed(held.subList(i, Math.min(held.size(), i + DevmemSocket.MAX_DONTNEED_TOKENS))
                    .toArray(DmabufToken[]::new));
        }
        await("the detached pool is released once the held buffers came home",
                () -> detached.state() == PagePool.State.RELEASED);
        sock.close();
        assertAllPoolsReleased(dev);
        dmabuf.close();
    }

    @Test
    void shouldRefuseToBuildWhereIoUringIsUnavailableAndNameTheEmulatedDriver() {
        IoUringNic nic = IoUringNic.builder().availability(() -> new IoUringAvailability(
                IoUringAvailability.Cause.DISABLED_BY_SYSCTL, "io_uring is disabled on this machine: "
                + "/proc/sys/kernel/io_uring_disabled is 2", 0, 0)).build();
        ErrnoException e = assertThrows(ErrnoException.class, () -> NetDevice.builder("ur-none").driver(nic).build());
        assertEquals(Errno.EOPNOTSUPP, e.errno());
        assertEquals("the io_uring NIC driver cannot run here: io_uring is disabled on this machine: "
                + "/proc/sys/kernel/io_uring_disabled is 2; use the emulated driver instead "
                + "(NicDriver.emulated(); demo: --nic emulated)", e.getMessage());
        assertEquals(null, nic.device(), "nothing was registered");
    }

    @Test
    void shouldRefuseWirePacketsOnAnIoUringDevice() {
        NetDevice dev = device(NetDevice.builder("ur-wire").ringSize(8), IoUringNic.builder().build());
        dev.open();
        UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class,
                () -> dev.receive(1, 2, MemorySegment.ofArray(new byte[10])));
        assertEquals("ur-wire is driven by io_uring: the kernel receives its packets; only the emulated NIC takes "
                + "packets from a wire", e.getMessage());
        assertTrue(dev.rxQueue(0).pagePool().inflight() >= 8, "the ring holds its 8 posted buffers");
        assertAllPoolsReleased(dev);
    }
}
