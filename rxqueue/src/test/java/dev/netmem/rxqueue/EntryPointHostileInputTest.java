package dev.netmem.rxqueue;

import static dev.netmem.rxqueue.TestSupport.payload;
import static dev.netmem.testsupport.base.Await.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.netmem.api.Errno;
import dev.netmem.api.ErrnoException;
import dev.netmem.api.spi.MemoryProvider;
import dev.netmem.providers.dmabuf.Dmabuf;
import dev.netmem.providers.host.HostPageProvider;
import dev.netmem.providers.zcrx.ZcrxArea;
import dev.netmem.rxqueue.netdev.Netdev;
import dev.netmem.rxqueue.netdev.NetdevNlSock;
import dev.netmem.rxqueue.netdev.RxBinding;
import dev.netmem.rxqueue.nic.NetDevice;
import dev.netmem.rxqueue.stack.DevmemRecord;
import dev.netmem.rxqueue.stack.DevmemControl;
import dev.netmem.rxqueue.stack.DevmemSocket;
import dev.netmem.rxqueue.stack.NetStack;
import dev.netmem.rxqueue.wire.PayloadPattern;
import dev.netmem.rxqueue.zcrx.IoUringZcrx;
import dev.netmem.testsupport.TestProvider;
import dev.netmem.testsupport.base.HostileTally;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Random bad arguments to the public entry points of the RX-queue layer, seeded: {@code bind-rx} with
 * every kind of provider (bad, repeated and empty queue lists, header split off, a non-zero
 * hds-thresh, XDP attached, AF_XDP pools, a caller without CAP_NET_ADMIN, queues already
 * bound, bad ring sizes, an unregistered device, a closed socket), {@link Dmabuf#create},
 * {@link NetDevice.Builder} values and {@link DevmemSocket#recvmsg} arguments. Each is rejected with
 * the precise exception and errno, and nothing is half-bound: every queue keeps the provider it had,
 * the socket owns the same bindings, the dma-buf has the same references and no file is left in the
 * directory. Each case prints a summary line with its seed; rerun one with {@code -Dnetmem.seed=N}.
 * The device-level cases run on both NIC drivers (on the io_uring driver the received data comes
 * from a real loopback connection); the builder and {@code Dmabuf.create} cases involve no driver
 * and run once.
 */
@Timeout(120)
@ParameterizedClass(name = "{0}")
@EnumSource(TestDriver.class)
class EntryPointHostileInputTest extends DeviceTestBase {
    private static final int BIND_CASES = 250;
    private static final int BUILDER_CASES = 300;
    private static final int QUEUES = 4;

    @TempDir
    Path dir;

    @Parameter
    TestDriver driver;

    @Override
    TestDriver driver() {
        return driver;
    }

    /** For the cases that build no device or check only the builder's rules: once, not per driver. */
    private void onceNotPerDriver(String why) {
        assumeTrue(driver == TestDriver.EMULATED, why);
    }

    static List<Long> seeds() {
        return HostileTally.seeds();
    }

    private List<Path> files() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.sorted().toList();
        }
    }

    /**
     * The oracle of {@code bind-rx}'s checks, in the kernel's order ({@code GENL_ADMIN_PERM}, then
     * {@code netdev_nl_bind_rx_doit}, then {@code __net_mp_open_rxq} per queue in index order):
     * {@code null} if the bind succeeds. {@code xsk}: the queues the test gave an AF_XDP pool.
     */
    private static ErrnoException expectedBindError(NetdevNlSock sock, NetDevice dev, int[] qs, boolean[] xsk) {
        if (!sock.netAdmin()) {
            return Errno.EPERM.exception("operation needs CAP_NET_ADMIN");
        }
        if (!dev.isRegistered()) {
            return Errno.ENODEV.exception(dev.name() + " is unregistered");
        }
        for (int q : qs) {
            if (q < 0 || q >= dev.numRxQueues()) {
                return Errno.ERANGE.exception("rx queue index out of range");
            }
        }
        int[] ascending = qs.clone();
        Arrays.sort(ascending);
        for (int i = 0; i < ascending.length; i++) {
            if (!dev.headerSplit()) {
                return Errno.EINVAL.exception("tcp-data-split is disabled");
            }
            if (dev.hdsThresh() != 0) {
                return Errno.EINVAL.exception("hds-thresh is not zero");
            }
            if (dev.xdpAttached()) {
                return Errno.EEXIST.exception("unable to custom memory provider to device with XDP program attached");
            }
            boolean repeated = i > 0 && ascending[i - 1] == ascending[i];
            if (repeated || dev.rxQueue(ascending[i]).memoryProvider() != null) {
                return Errno.EEXIST.exception("designated queue already memory provider bound");
            }
            if (xsk[ascending[i]]) {
                return Errno.EBUSY.exception("designated queue already in use by AF_XDP");
            }
        }
        if (qs.length == 0) {
            return Errno.EINVAL.exception("no rx queues to bind");
        }
        return null;
    }

    private static int[] queueList(Random r) {
        int n = r.nextInt(8) == 0 ? 0 : 1 + r.nextInt(3);
        int[] qs = new int[n];
        for (int i = 0; i < n; i++) {
            qs[i] = switch (r.nextInt(12)) {
                case 0 -> -1 - r.nextInt(5);
                case 1 -> QUEUES + r.nextInt(5);
                case 2 -> r.nextBoolean() ? Integer.MIN_VALUE : Integer.MAX_VALUE;
                case 3 -> i > 0 ? qs[i - 1] : 0; // repeated
                default -> r.nextInt(QUEUES);
            };
        }
        return qs;
    }

    private static int ringEntries(Random r, int max) {
        return switch (r.nextInt(10)) {
            case 0 -> 0;
            case 1 -> -1 - r.nextInt(100);
            case 2 -> max + 1 + r.nextInt(1000);
            case 3 -> r.nextBoolean() ? Integer.MIN_VALUE : Integer.MAX_VALUE;
            default -> 1 + r.nextInt(64);
        };
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void shouldRejectBadBindRequestsPreciselyAndBindNothing(long seed) throws IOException {
        System.out.println("EntryPointHostileInputTest bind seed=" + seed);
        HostileTally tally = new HostileTally("bind-rx", seed);
        Random r = new Random(seed);
        HostPageProvider host = HostPageProvider.create(8L << 20);
        NetDevice dev = device(NetDevice.builder("hb" + (seed & 0xffff)).rxQueues(QUEUES).ringSize(8).skbPrealloc(8)
                .hostPages(host));
        NetDevice gone = device(NetDevice.builder("hg" + (seed & 0xffff)).ringSize(8).hostPages(host));
        gone.unregister();
        Dmabuf dmabuf = Dmabuf.create(dir, 32L * 4096);
        NetdevNlSock nl = Netdev.open();
        NetdevNlSock closedNl = Netdev.open();
        closedNl.close();
        NetdevNlSock holder = Netdev.open(); // keeps a random queue bound, as another process would
        NetdevNlSock user = Netdev.open(false); // without CAP_NET_ADMIN
        boolean[] xsk = new boolean[QUEUES];
        List<RxBinding> held = new ArrayList<>();
        List<Path> baseline = files();
        try (Arena arena = Arena.ofShared()) {
            for (int c = 0; c < BIND_CASES; c++) {
                String what = "seed " + seed + " case " + c;
                if (r.nextInt(6) == 0) { // change the background: header split, queues bound by someone else
                    if (!held.isEmpty() && r.nextBoolean()) {
                        held.remove(r.nextInt(held.size())).close();
                    } else {
                        int q = r.nextInt(QUEUES);
                        if (expectedBindError(holder, dev, new int[] {q}, xsk) == null) {
                            held.add(holder.bindRx(dev, TestProvider.dmabuf(8), q));
                        }
                    }
                    boolean anyBound = false;
                    for (int q = 0; q < QUEUES; q++) {
                        anyBound |= dev.rxQueue(q).memoryProvider() != null;
                    }
                    if (!anyBound) { // what is refused while a provider is bound
                        dev.setHeaderSplit(r.nextInt(3) != 0, r.nextInt(4) == 0 ? 1 + r.nextInt(64) : 0);
                        if (r.nextInt(4) == 0) {
                            dev.xdpAttach();
                        } else {
                            dev.xdpDetach();
                        }
                        int q = r.nextInt(QUEUES);
                        xsk[q] = r.nextInt(3) == 0;
                        dev.setXskPool(q, xsk[q]);
                    }
                }
                NetDevice target = r.nextInt(15) == 0 ? gone : dev;
                NetdevNlSock sock = switch (r.nextInt(15)) {
                    case 0 -> closedNl;
                    case 1 -> user;
                    default -> nl;
                };
                int kind = r.nextInt(3);
                int[] qs = kind == 2 ? new int[] {r.nextInt(4) == 0 ? (r.nextBoolean() ? -1 : QUEUES)
                        : r.nextInt(QUEUES)} : queueList(r);
                int rq = ringEntries(r, 32768);
                int cq = ringEntries(r, 65536);
                RuntimeException expected;
                if (sock == user) { // the capability is checked first (genetlink; io_register_zcrx_ifq)
                    expected = expectedBindError(user, target, qs, xsk);
                } else if (kind == 2 && (rq < 1 || rq > 32768)) {
                    expected = new IllegalArgumentException("EINVAL: rq_entries must be in [1, 32768]: " + rq);
                } else if (kind == 2 && (cq < 1 || cq > 65536)) {
                    expected = new IllegalArgumentException("EINVAL: cq_entries must be in [1, 65536]: " + cq);
                } else if (sock == closedNl) {
                    expected = new IllegalStateException("netdev netlink socket is closed");
                } else {
                    expected = expectedBindError(sock, target, qs, xsk);
                }
                MemoryProvider[] before = new MemoryProvider[QUEUES];
                for (int q = 0; q < QUEUES; q++) {
                    before[q] = dev.rxQueue(q).memoryProvider();
                }
                List<RxBinding> owned = nl.bindings();
                int refs = dmabuf.refCount();
                int[] list = qs;
                RxBinding b = null;
                try {
                    b = switch (kind) {
                        case 0 -> sock.bindRx(target, TestProvider.dmabuf(8), list);
                        case 1 -> sock.bindRx(target, dmabuf, list);
                        default -> IoUringZcrx.bindRxUserRing(sock, target,
                                ZcrxArea.ofUserMemory(arena.allocate(4L * 4096, 4096)), list[0], rq, cq, dir);
                    };
                } catch (RuntimeException e) {
                    if (expected == null) {
                        throw new AssertionError(what + ": unexpected " + e, e);
                    }
                    assertSame(expected.getClass(), e.getClass(), what + ": " + e);
                    assertEquals(expected.getMessage(), e.getMessage(), what);
                    if (expected instanceof ErrnoException ne) {
                        assertEquals(ne.errno(), ((ErrnoException) e).errno(), what);
                    }
                    tally.rejected();
                }
                if (expected != null) {
                    assertEquals(null, b, what);
                } else {
                    assertTrue(b != null, what + ": expected a binding for " + Arrays.toString(qs));
                    for (int q : qs) {
                        assertSame(b.provider(), dev.rxQueue(q).memoryProvider(), what);
                    }
                    b.close();
                    tally.accepted();
                }
                for (int q = 0; q < QUEUES; q++) {
                    assertSame(before[q], dev.rxQueue(q).memoryProvider(), what + ": queue " + q + " changed");
                }
                assertEquals(owned, nl.bindings(), what);
                assertEquals(refs, dmabuf.refCount(), what + ": dma-buf references");
                assertEquals(baseline, files(), what + ": files left in " + dir);
            }
        } finally {
            for (RxBinding b : held) {
                b.close();
            }
            holder.close();
            user.close();
            nl.close();
        }
        dmabuf.close();
        assertEquals(List.of(), files(), "every shared file is removed");
        tally.print();
    }

    @Test
    void shouldRejectBadDmabufSizesAndDirectoriesAndLeaveNoFile() throws IOException {
        onceNotPerDriver("Dmabuf.create involves no device");
        HostileTally tally = new HostileTally("dmabuf-create", 0);
        for (long size : new long[] {0, -1, -4096, Long.MIN_VALUE}) {
            assertEquals("dmabuf size must be > 0: " + size,
                    assertThrows(IllegalArgumentException.class, () -> Dmabuf.create(dir, size)).getMessage());
            tally.rejected();
        }
        for (long size : new long[] {Long.MAX_VALUE, Long.MAX_VALUE - 1, Dmabuf.MAX_SIZE + 1}) {
            assertEquals("dmabuf size must be <= " + Dmabuf.MAX_SIZE + ": " + size,
                    assertThrows(IllegalArgumentException.class, () -> Dmabuf.create(dir, size)).getMessage());
            tally.rejected();
        }
        Path missing = dir.resolve("no-such-dir");
        assertThrows(UncheckedIOException.class, () -> Dmabuf.create(missing, 4096));
        Path file = Files.writeString(dir.resolve("a-file"), "x");
        assertThrows(UncheckedIOException.class, () -> Dmabuf.create(file, 4096));
        assertEquals("dir", assertThrows(NullPointerException.class, () -> Dmabuf.create(null, 4096)).getMessage());
        tally.rejected();
        tally.rejected();
        tally.rejected();
        assertEquals(List.of(file), files(), "no dma-buf file was left behind");
        tally.print();
    }

    // =====================================================================================
    // NetDevice.builder: random values against the rules in build()'s order
    // =====================================================================================

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void shouldBuildOrRejectRandomDevicesExactlyAsTheOracleSays(long seed) {
        // The builder's rules are checked before the driver is asked for anything; on the io_uring
        // driver each accepted case would also set up and tear down a ring per queue, for no new check.
        onceNotPerDriver("NetDevice.Builder's checks do not depend on the driver");
        System.out.println("EntryPointHostileInputTest builder seed=" + seed);
        HostileTally tally = new HostileTally("netdevice-builder", seed);
        Random r = new Random(seed);
        HostPageProvider host = HostPageProvider.create(1L << 20);
        MemoryProvider unreadable = TestProvider.dmabuf(1);
        for (int c = 0; c < BUILDER_CASES; c++) {
            String what = "seed " + seed + " case " + c;
            int rxQueues = pick(r, new int[] {1, 1, 2, 4, 3, 1024}, new int[] {0, -1, 1025, Integer.MIN_VALUE,
                Integer.MAX_VALUE});
            int ring = pick(r, new int[] {8, 16, 256, 4096}, new int[] {0, 7, 9, 100, 4097, 8192, -8,
                Integer.MIN_VALUE});
            int thresh = pick(r, new int[] {0, 100, NetDevice.HDS_THRESH_MAX}, new int[] {-1,
                NetDevice.HDS_THRESH_MAX + 1, Integer.MIN_VALUE, Integer.MAX_VALUE});
            int skb = pick(r, new int[] {0, 8, 256}, new int[] {-1, Integer.MIN_VALUE});
            long rcvbuf = r.nextInt(10) == 0 ? (r.nextBoolean() ? 0 : -1 - r.nextInt(100))
                    : r.nextInt(5) == 0 ? Long.MAX_VALUE - r.nextInt(1000) : 1 + r.nextInt(1 << 22);
            long hostBytes = r.nextInt(10) == 0 ? (r.nextBoolean() ? 4095 : -1 - r.nextInt(100)) : 4096L << r.nextInt(8);
            MemoryProvider hostPages = switch (r.nextInt(6)) {
                case 0 -> null;
                case 1 -> unreadable;
                default -> host;
            };
            Duration retry = switch (r.nextInt(12)) {
                case 0 -> null;
                case 1 -> Duration.ZERO;
                case 2 -> Duration.ofMillis(-1 - r.nextInt(1000));
                default -> Duration.ofMillis(1 + r.nextInt(1000));
            };
            String expected = null;
            Class<? extends RuntimeException> type = IllegalArgumentException.class;
            if (rxQueues < 1 || rxQueues > NetDevice.MAX_RX_QUEUES) {
                expected = "rxQueues must be in [1, 1024]: " + rxQueues;
            } else if (ring < 8 || ring > 4096 || Integer.bitCount(ring) != 1) {
                expected = "ringSize must be a power of two in [8, 4096]: " + ring;
            } else if (thresh < 0 || thresh > NetDevice.HDS_THRESH_MAX) {
                expected = "hdsThresh must be in [0, " + NetDevice.HDS_THRESH_MAX + "]: " + thresh;
            } else if (skb < 0 || rcvbuf < 1) {
                expected = "skbPrealloc must be >= 0 and rcvbuf >= 1: skbPrealloc=" + skb + ", rcvbuf=" + rcvbuf;
            } else if (hostPages == unreadable) {
                expected = "hostPages must be a readable (host page) provider: " + unreadable;
            } else if (retry == null) {
                type = NullPointerException.class;
                expected = "releaseRetry";
            } else if (retry.isNegative() || retry.isZero()) {
                expected = "releaseRetry must be > 0: " + retry;
            } else if (hostPages == null && hostBytes < 4096) {
                expected = "maxBytes must be >= 4096: " + hostBytes;
            }
            NetDevice.Builder b = NetDevice.builder("hd" + c).rxQueues(rxQueues).ringSize(ring)
                    .headerSplit(r.nextBoolean(), thresh).skbPrealloc(skb).rcvbuf(rcvbuf).hostBytes(hostBytes)
                    .hostPages(hostPages).releaseRetry(retry);
            if (expected != null) {
                RuntimeException e = assertThrows(type, () -> device(b), what);
                assertEquals(expected, e.getMessage(), what);
                tally.rejected();
                continue;
            }
            NetDevice d = device(b);
            assertSame(d, Netdev.device(d.ifindex()), what);
            assertTrue(d.rmemHardLimit() >= d.rcvbuf(), what + ": the receive limit wrapped");
            d.unregister();
            tally.accepted();
        }
        tally.print();
    }

    private static int pick(Random r, int[] good, int[] bad) {
        int k = r.nextInt(12);
        return k == 0 ? r.nextInt() : k == 1 ? bad[r.nextInt(bad.length)] : good[r.nextInt(good.length)];
    }

    @Test
    void shouldReceiveOnADeviceWithTheLargestReceiveBuffer() {
        NetDevice dev = device(NetDevice.builder("bigrcv").ringSize(8).rcvbuf(Long.MAX_VALUE));
        dev.open();
        int port = port(7001);
        DevmemSocket s = NetStack.of(dev).openSocket(port);
        transmit(dev, 1, port, payload(PayloadPattern.repeating(3), 0, 1000));
        await("queued (a wrapped limit dropped everything)", () -> s.queuedBytes() == 1000);
        s.close();
    }

    // =====================================================================================
    // DevmemSocket and device control calls
    // =====================================================================================

    @Test
    void shouldRejectBadReceiveArgumentsBeforeTakingATokenOrAByte() {
        HostileTally tally = new HostileTally("recvmsg", 0);
        NetDevice dev = device(NetDevice.builder("hrecv").rxQueues(2).ringSize(16).unsplitPayloads(100));
        int port = port(7002);
        dev.addFlowRule(port, 1);
        dev.open();
        NetdevNlSock nl = Netdev.open();
        TestProvider mp = TestProvider.dmabuf(32);
        nl.bindRx(dev, mp, 1);
        DevmemSocket s = NetStack.of(dev).openSocket(port);
        MemorySegment iov = Arena.ofAuto().allocate(1 << 16);
        transmit(dev, 1, port, payload(PayloadPattern.repeating(3), 0, 2000));
        await("queued", () -> s.queuedBytes() == 2000);
        Duration t = Duration.ofSeconds(1);

        assertEquals("records", assertThrows(NullPointerException.class,
                () -> s.recvmsg(iov, (List<DevmemRecord>) null, DevmemSocket.MSG_SOCK_DEVMEM, t)).getMessage());
        assertEquals("control", assertThrows(NullPointerException.class,
                () -> s.recvmsg(iov, (DevmemControl) null, DevmemSocket.MSG_SOCK_DEVMEM, t)).getMessage());
        assertEquals("iov", assertThrows(NullPointerException.class,
                () -> s.recvmsg(null, new ArrayList<>(), DevmemSocket.MSG_SOCK_DEVMEM, t)).getMessage());
        assertEquals("timeout", assertThrows(NullPointerException.class,
                () -> s.recvmsg(iov, new ArrayList<>(), DevmemSocket.MSG_SOCK_DEVMEM, null)).getMessage());
        Random r = new Random(7);
        for (int i = 0; i < 50; i++) { // any flags without MSG_SOCK_DEVMEM: EFAULT on devmem data
            int flags = r.nextInt() & ~DevmemSocket.MSG_SOCK_DEVMEM;
            ErrnoException e = assertThrows(ErrnoException.class,
                    () -> s.recvmsg(iov, new ArrayList<>(), flags, Duration.ZERO));
            assertEquals(Errno.EFAULT, e.errno());
            tally.rejected();
        }
        assertEquals(0, s.outstandingTokens(), "no token was taken by a refused call");
        assertEquals(2000, s.queuedBytes(), "no byte was consumed by a refused call");
        List<DevmemRecord> recs = new ArrayList<>();
        assertEquals(2000, s.recvmsg(iov, recs, DevmemSocket.MSG_SOCK_DEVMEM | 0x7000_0000, t));
        assertEquals(1, assertInstanceOf(DevmemRecord.Dmabuf.class, recs.getFirst()).fragToken(), "tokens start at 1");
        assertEquals(0, s.recvmsg(iov, recs, DevmemSocket.MSG_SOCK_DEVMEM | DevmemSocket.MSG_DONTWAIT, null));
        assertEquals(0, s.recvmsg(iov, recs, DevmemSocket.MSG_SOCK_DEVMEM, Duration.ofSeconds(-5)));

        assertEquals("port must be in [0, 65535]: 65536",
                assertThrows(ErrnoException.class, () -> NetStack.of(dev).openSocket(65536)).getMessage());
        assertEquals("port must be in [0, 65535]: -1",
                assertThrows(ErrnoException.class, () -> NetStack.of(dev).openSocket(-1)).getMessage());
        assertEquals("port " + port + " is in use on hrecv",
                assertThrows(IllegalStateException.class, () -> NetStack.of(dev).openSocket(port)).getMessage());
        assertEquals(Errno.ERANGE, assertThrows(ErrnoException.class, () -> dev.addFlowRule(80, 2)).errno());
        assertEquals(Errno.ERANGE, assertThrows(ErrnoException.class, () -> dev.restartQueue(-1)).errno());
        assertEquals("can't disable tcp-data-split while device has memory provider enabled",
                assertThrows(ErrnoException.class, () -> dev.setHeaderSplit(false, 0)).getMessage());
        assertEquals("hds-thresh must be in [0, " + NetDevice.HDS_THRESH_MAX + "]: -1",
                assertThrows(ErrnoException.class, () -> dev.setHeaderSplit(true, -1)).getMessage());
        assertEquals("can't set non-zero hds_thresh while device is memory provider enabled",
                assertThrows(ErrnoException.class, () -> dev.setHeaderSplit(true, 100)).getMessage());
        for (int i = 0; i < 10; i++) {
            tally.rejected();
        }
        assertTrue(dev.headerSplit());
        assertEquals(0, dev.hdsThresh());

        s.close();
        ErrnoException e = assertThrows(ErrnoException.class,
                () -> s.recvmsg(iov, new ArrayList<>(), DevmemSocket.MSG_SOCK_DEVMEM, t));
        assertEquals(Errno.ENOTCONN, e.errno());
        tally.rejected();
        nl.close();
        await("every chunk home", () -> mp.inUse() == 0);
        tally.print();
    }
}
