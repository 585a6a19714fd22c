package dev.netmem.rxqueue;

import static dev.netmem.rxqueue.TestSupport.payload;
import static dev.netmem.rxqueue.TestSupport.send;
import static dev.netmem.testsupport.base.Await.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.netmem.api.Errno;
import dev.netmem.api.ErrnoException;
import dev.netmem.api.NetIov;
import dev.netmem.api.PagePool;
import dev.netmem.api.spi.MemoryProviderParams;
import dev.netmem.providers.zcrx.ZcrxArea;
import dev.netmem.providers.zcrx.ZcrxIfq;
import dev.netmem.providers.zcrx.ZcrxIfqReg;
import dev.netmem.providers.zcrx.ZcrxUserRing;
import dev.netmem.rxqueue.netdev.Netdev;
import dev.netmem.rxqueue.netdev.NetdevNlSock;
import dev.netmem.rxqueue.netdev.RxBinding;
import dev.netmem.rxqueue.nic.ForwardingQueueOps;
import dev.netmem.rxqueue.nic.NetDevice;
import dev.netmem.rxqueue.nic.NetdevQueueConfig;
import dev.netmem.rxqueue.nic.QueueMgmtOps;
import dev.netmem.rxqueue.nic.RxQueue;
import dev.netmem.rxqueue.stack.DevmemSocket;
import dev.netmem.rxqueue.stack.NetStack;
import dev.netmem.rxqueue.wire.PayloadPattern;
import dev.netmem.rxqueue.zcrx.IoUringZcrx;
import dev.netmem.testsupport.TestProvider;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

/**
 * The queue config surface of {@code netdev_queue_mgmt_ops} ("Add support for providers with large
 * rx buffer"): {@code ndo_default_qcfg}, {@code ndo_validate_qcfg}, {@code supported_params}
 * ({@code QCFG_RX_PAGE_SIZE}), {@code pp_memory_provider_params.rx_page_size} reaching the driver's
 * page pool, kept across restarts and cleared on close; and zcrx's {@code rx_buf_len} binding a queue
 * with it. On the emulated NIC ({@link UringDriverTest} covers the io_uring driver on real TCP).
 */
@Timeout(30)
class LargeRxBufferTest extends DeviceTestBase {
    private static final PayloadPattern P = PayloadPattern.repeating(13);

    @TempDir
    Path dir;

    private static void assertErrno(Errno errno, String message, Executable call) {
        ErrnoException e = assertThrows(ErrnoException.class, call);
        assertEquals(errno, e.errno(), e.getMessage());
        assertEquals(message, e.getMessage());
    }

    /** The driver's four core ops only: a driver that predates the queue config (no supported_params). */
    private static UnaryOperator<QueueMgmtOps> coreOpsOnly() {
        return ForwardingQueueOps::new;
    }

    private static ZcrxArea area(Arena arena, long bytes) {
        return ZcrxArea.ofUserMemory(arena.allocate(bytes, NetIov.PAGE_SIZE));
    }

    @Test
    void shouldReportTheDriversDefaultQueueConfigAndSupportedParams() {
        NetDevice dev = device(NetDevice.builder("qcfg").rxQueues(2).ringSize(16));
        assertEquals(QueueMgmtOps.QCFG_RX_PAGE_SIZE, dev.queueOps().supportedParams());
        assertEquals(new NetdevQueueConfig(NetIov.PAGE_SIZE), dev.queueOps().defaultQcfg());
        assertEquals(new NetdevQueueConfig(NetIov.PAGE_SIZE), dev.queueConfig(1), "no provider: the default");
        NetDevice legacy = device(NetDevice.builder("qcfg-legacy").ringSize(16).queueOps(coreOpsOnly()));
        assertEquals(0, legacy.queueOps().supportedParams());
        assertEquals(NetdevQueueConfig.ZERO, legacy.queueConfig(0), "no ndo_default_qcfg: the zeroed config");
        legacy.open();
        assertEquals(NetIov.PAGE_SIZE, legacy.rxQueue(0).pagePool().params().bufferSize(),
                "a zeroed rx_page_size leaves the driver on its own size");
    }

    @Test
    void shouldRefuseANonDefaultRxPageSizeOnADriverWithoutSupportedParams() {
        NetDevice dev = device(NetDevice.builder("legacy").rxQueues(2).ringSize(16).queueOps(coreOpsOnly()));
        dev.open();
        try (NetdevNlSock nl = Netdev.open(); Arena arena = Arena.ofShared()) {
            assertErrno(Errno.EOPNOTSUPP, "device does not support: rx_page_size",
                    () -> dev.openRxQueues(new MemoryProviderParams(TestProvider.dmabuf(8), 16 << 10), new int[] {1}));
            // an explicit page-sized rx_buf_len is a non-zero rx_page_size too
            for (int len : new int[] {16 << 10, NetIov.PAGE_SIZE}) {
                ZcrxArea a = area(arena, 64 << 10);
                assertErrno(Errno.EOPNOTSUPP, "device does not support: rx_page_size",
                        () -> IoUringZcrx.bindRxUserRing(nl, dev, a, 1, ZcrxIfqReg.of(16, 16).withRxBufLen(len), dir));
            }
            assertNull(dev.rxQueue(1).memoryProvider(), "nothing bound");
            assertEquals(0, dev.rxQueue(1).mpRxPageSize());
            assertEquals(List.of(), nl.bindings());
            // rx_buf_len 0 asks nothing of the driver: it binds (io_uring/zcrx "don't set rx_page_size when
            // not requested")
            RxBinding b = IoUringZcrx.bindRxUserRing(nl, dev, area(arena, 64 << 10), 1, 16, 16, dir);
            assertEquals(0, dev.rxQueue(1).mpRxPageSize());
            assertEquals(NetIov.PAGE_SIZE, dev.rxQueue(1).pagePool().params().bufferSize());
            b.close();
        }
        assertEquals(0, dev.warnings());
    }

    @Test
    void shouldCheckRxPageSizeSupportAfterXdpAndBeforeAnAlreadyBoundQueue() {
        NetDevice dev = device(NetDevice.builder("order").rxQueues(2).ringSize(16).queueOps(coreOpsOnly()));
        MemoryProviderParams large = new MemoryProviderParams(TestProvider.dmabuf(8), 16 << 10);
        dev.xdpAttach();
        assertErrno(Errno.EEXIST, "unable to custom memory provider to device with XDP program attached",
                () -> dev.openRxQueues(large, new int[] {0}));
        dev.xdpDetach();
        dev.openRxQueues(TestProvider.dmabuf(8), new int[] {0}); // queue 0 now bound, default size
        assertErrno(Errno.EOPNOTSUPP, "device does not support: rx_page_size",
                () -> dev.openRxQueues(large, new int[] {0}));
        assertErrno(Errno.EEXIST, "designated queue already memory provider bound",
                () -> dev.openRxQueues(TestProvider.dmabuf(8), new int[] {0}));
    }

    @Test
    void shouldLetTheDriverRefuseAnRxPageSizeItDoesNotSupportAndClearTheParams() {
        NetDevice dev = device(NetDevice.builder("validate").rxQueues(2).ringSize(16));
        dev.open();
        PagePool before = dev.rxQueue(1).pagePool();
        for (int size : new int[] {2048, 12288, 128 << 10}) {
            assertErrno(Errno.ERANGE, "validate: rx_page_size " + size + " is not a power of two in [4096, 65536]",
                    () -> dev.openRxQueues(new MemoryProviderParams(TestProvider.dmabuf(8), size), new int[] {1}));
            assertNull(dev.rxQueue(1).memoryProvider(), "the params are cleared: " + size);
            assertEquals(0, dev.rxQueue(1).mpRxPageSize());
            assertSame(before, dev.rxQueue(1).pagePool(), "the queue was not restarted");
        }
        try (NetdevNlSock nl = Netdev.open(); Arena arena = Arena.ofShared()) {
            // zcrx accepts 128 KiB (a power of two dividing the area); the driver refuses it as rx_page_size
            assertErrno(Errno.ERANGE, "validate: rx_page_size 131072 is not a power of two in [4096, 65536]",
                    () -> IoUringZcrx.bindRxUserRing(nl, dev, area(arena, 256 << 10), 1,
                            ZcrxIfqReg.of(16, 16).withRxBufLen(128 << 10), dir));
            assertEquals(List.of(), nl.bindings());
        }
        assertEquals(0, dev.warnings());
    }

    @Test
    void shouldValidateTheDefaultsThenTheProvidersOverride() {
        List<NetdevQueueConfig> seen = new ArrayList<>();
        NetDevice dev = device(NetDevice.builder("twice").rxQueues(2).ringSize(16).queueOps(ops -> new ForwardingQueueOps(ops) {
            @Override
            public NetdevQueueConfig defaultQcfg() {
                return driver.defaultQcfg();
            }

            @Override
            public void validateQcfg(NetdevQueueConfig qcfg) {
                seen.add(qcfg);
                if (qcfg.rxPageSize() == 32 << 10) {
                    throw Errno.EINVAL.exception("no 32 KiB buffers on this NIC");
                }
            }

            @Override
            public int supportedParams() {
                return driver.supportedParams();
            }
        }));
        dev.open();
        assertErrno(Errno.EINVAL, "no 32 KiB buffers on this NIC",
                () -> dev.openRxQueues(new MemoryProviderParams(TestProvider.dmabuf(8), 32 << 10), new int[] {0}));
        assertEquals(List.of(new NetdevQueueConfig(4096), new NetdevQueueConfig(32 << 10)), seen,
                "netdev_queue_config_validate: the driver's defaults, then with the provider's override");
        seen.clear();
        dev.openRxQueues(new MemoryProviderParams(TestProvider.dmabuf(64), 16 << 10), new int[] {0});
        assertEquals(List.of(new NetdevQueueConfig(4096), new NetdevQueueConfig(16 << 10)), seen);
        assertEquals(16 << 10, dev.rxQueue(0).pagePool().params().bufferSize());
    }

    @Test
    void shouldGiveAQueueBoundWithRxBufLenPoolsOfThatBufferSize() {
        NetDevice dev = device(NetDevice.builder("bufs").rxQueues(3).ringSize(16));
        dev.open();
        try (NetdevNlSock nl = Netdev.open(); Arena arena = Arena.ofShared()) {
            RxBinding b16 = IoUringZcrx.bindRxUserRing(nl, dev, area(arena, 1 << 20), 1,
                    ZcrxIfqReg.of(64, 64).withRxBufLen(16 << 10), dir);
            RxBinding b64 = IoUringZcrx.bindRxUserRing(nl, dev, area(arena, 2 << 20), 2,
                    ZcrxIfqReg.of(64, 64).withRxBufLen(64 << 10), dir);
            int[][] expect = {{0, NetIov.PAGE_SIZE, 0}, {1, 16 << 10, 2}, {2, 64 << 10, 4}};
            for (int[] x : expect) {
                RxQueue q = dev.rxQueue(x[0]);
                assertEquals(x[1], q.pagePool().params().bufferSize(), "queue " + x[0]);
                assertEquals(x[2], q.pagePool().params().order(), "queue " + x[0] + ": order log2(size / 4096)");
                assertEquals(x[1], dev.queueConfig(x[0]).rxPageSize());
                assertEquals(NetIov.PAGE_SIZE, q.headerPool().params().bufferSize(), "headers stay in pages");
            }
            assertEquals(16 << 10, dev.rxQueue(1).mpRxPageSize());
            assertEquals(64 << 10, ((ZcrxIfq) b64.provider()).rxBufLen());
            assertSame(b16.provider(), dev.rxQueue(1).pagePool().provider());
            b16.close();
            b64.close();
            for (int q = 1; q < 3; q++) {
                assertEquals(NetIov.PAGE_SIZE, dev.rxQueue(q).pagePool().params().bufferSize(),
                        "closed: the whole params are cleared, the queue is back on the default");
                assertEquals(0, dev.rxQueue(q).mpRxPageSize());
            }
        }
        assertEquals(0, dev.warnings());
    }

    @Test
    void shouldKeepTheRxPageSizeAcrossAQueueRestartAndADownUpCycle() {
        NetDevice dev = device(NetDevice.builder("restart").rxQueues(2).ringSize(16));
        dev.open();
        try (NetdevNlSock nl = Netdev.open(); Arena arena = Arena.ofShared()) {
            RxBinding b = IoUringZcrx.bindRxUserRing(nl, dev, area(arena, 4 << 20), 1,
                    ZcrxIfqReg.of(64, 64).withRxBufLen(32 << 10), dir);
            PagePool first = dev.rxQueue(1).pagePool();
            dev.restartQueue(1);
            PagePool second = dev.rxQueue(1).pagePool();
            assertTrue(first != second, "restart made a new pool");
            assertEquals(32 << 10, second.params().bufferSize(), "mp_params.rx_page_size survives the restart");
            dev.close();
            dev.open();
            assertEquals(32 << 10, dev.rxQueue(1).pagePool().params().bufferSize(), "and a down/up cycle");
            assertSame(b.provider(), dev.rxQueue(1).pagePool().provider());
            b.close();
        }
        assertEquals(0, dev.warnings());
    }

    @Test
    void shouldDeliverPacketsLargerThanAPageIntoSixtyFourKibBuffers() {
        int port = 5301;
        int pkt = 40_000;
        NetDevice dev = device(NetDevice.builder("big").rxQueues(2).ringSize(16).rcvbuf(8 << 20));
        dev.addFlowRule(port, 1);
        dev.open();
        MemorySegment mem = Arena.ofShared().allocate(2 << 20, NetIov.PAGE_SIZE);
        try (NetdevNlSock nl = Netdev.open()) {
            RxBinding b = IoUringZcrx.bindRxUserRing(nl, dev, ZcrxArea.ofUserMemory(mem), 1,
                    ZcrxIfqReg.of(64, 64).withRxBufLen(64 << 10), dir);
            ZcrxIfq ifq = (ZcrxIfq) b.provider();
            DevmemSocket sock = NetStack.of(dev).openSocket(port);
            List<Integer> lens = new ArrayList<>();
            long got = 0;
            try (ZcrxUserRing ring = ZcrxUserRing.open(ifq.regionPath(), mem)) {
                for (int i = 0; i < 8; i++) {
                    send(dev, 40000, port, payload(P, (long) i * pkt, pkt));
                }
                await("queued", () -> sock.queuedBytes() == 8L * pkt);
                long total = 8L * pkt;
                long[] off = {0};
                while (off[0] < total) {
                    IoUringZcrx.recvZc(sock, ifq, Duration.ofMillis(100));
                    ring.poll((o, len, flags) -> {
                        byte[] want = payload(P, off[0], len).toArray(ValueLayout.JAVA_BYTE);
                        assertArrayEquals(want, ring.data(o, len).toArray(ValueLayout.JAVA_BYTE), "at " + off[0]);
                        off[0] += len;
                        lens.add(len);
                        assertTrue(ring.refill(o, len));
                    });
                }
                got = off[0];
            }
            assertEquals(8L * pkt, got);
            assertTrue(lens.stream().allMatch(l -> l == pkt), "one 40000-byte completion per packet: " + lens);
            sock.close();
            b.close();
        }
        assertEquals(0, dev.warnings());
    }
}
