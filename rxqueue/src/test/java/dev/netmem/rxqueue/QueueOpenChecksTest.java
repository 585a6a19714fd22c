package dev.netmem.rxqueue;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.netmem.api.Errno;
import dev.netmem.api.ErrnoException;
import dev.netmem.providers.zcrx.ZcrxArea;
import dev.netmem.providers.zcrx.ZcrxIfq;
import dev.netmem.providers.zcrx.ZcrxIfqReg;
import dev.netmem.rxqueue.netdev.Netdev;
import dev.netmem.rxqueue.netdev.NetdevNlSock;
import dev.netmem.rxqueue.netdev.RxBinding;
import dev.netmem.rxqueue.nic.NetDevice;
import dev.netmem.rxqueue.zcrx.IoUringZcrx;
import dev.netmem.testsupport.TestProvider;
import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bind-rx}'s queue-open checks in the kernel's order ({@code netdev_nl_bind_rx_doit},
 * {@code __net_mp_open_rxq}): a request failing several checks gets the error of the first, and
 * removing that cause reveals the next. Also the reverse checks: XDP and AF_XDP refused while a
 * provider is bound.
 */
@Timeout(30)
class QueueOpenChecksTest extends DeviceTestBase {
    @TempDir
    Path dir;

    private static void assertErrno(Errno errno, String message, Executable call) {
        ErrnoException e = assertThrows(ErrnoException.class, call);
        assertEquals(errno, e.errno(), e.getMessage());
        assertEquals(message, e.getMessage());
    }

    @Test
    void shouldRefuseBindRxAndZcrxRegistrationWithoutNetAdminBeforeAnyOtherCheck() {
        NetDevice dev = device(NetDevice.builder("perm").ringSize(16).headerSplit(false, 0));
        try (NetdevNlSock user = Netdev.open(false); Arena arena = Arena.ofConfined()) {
            assertFalse(user.netAdmin());
            // the queue index is out of range and header split is off: EPERM is still reported first
            assertErrno(Errno.EPERM, "operation needs CAP_NET_ADMIN", () -> user.bindRx(dev, TestProvider.dmabuf(8), 5));
            assertErrno(Errno.EPERM, "operation needs CAP_NET_ADMIN",
                    () -> IoUringZcrx.bindRxUserRing(user, dev, ZcrxArea.ofUserMemory(arena.allocate(4L * 4096, 4096)),
                            0, 0, 64, dir)); // rq_entries 0 would be EINVAL: the capability is checked first
            assertEquals(List.of(), user.bindings());
        }
        try (NetdevNlSock root = Netdev.open()) {
            assertTrue(root.netAdmin());
            assertErrno(Errno.ERANGE, "rx queue index out of range", () -> root.bindRx(dev, TestProvider.dmabuf(8), 5));
        }
    }

    @Test
    void shouldCheckTheRingsSetupFlagsAfterNetAdminAndBeforeTheQueue() {
        NetDevice dev = device(NetDevice.builder("flags").ringSize(16).headerSplit(false, 0));
        ZcrxIfqReg noDefer = ZcrxIfqReg.of(8, 64).withSetupFlags(ZcrxIfq.IORING_SETUP_CQE32);
        try (NetdevNlSock user = Netdev.open(false); Arena arena = Arena.ofConfined()) {
            assertErrno(Errno.EPERM, "operation needs CAP_NET_ADMIN", () -> IoUringZcrx.bindRxUserRing(user, dev,
                    ZcrxArea.ofUserMemory(arena.allocate(4L * 4096, 4096)), 5, noDefer, dir));
        }
        try (NetdevNlSock root = Netdev.open(); Arena arena = Arena.ofConfined()) {
            ZcrxArea area = ZcrxArea.ofUserMemory(arena.allocate(4L * 4096, 4096));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> IoUringZcrx.bindRxUserRing(root, dev, area, 5, noDefer, dir));
            assertEquals("EINVAL: zcrx needs a ring set up with IORING_SETUP_DEFER_TASKRUN: setup flags=0x800",
                    e.getMessage(), "the ring is checked before the queue index (5 is out of range)");
            assertEquals(List.of(), root.bindings());
        }
    }

    @Test
    void shouldRefuseADriverWithoutTheQueueApiBeforeCheckingTheQueues() {
        NetDevice dev = device(NetDevice.builder("noops").ringSize(16).queueApi(false));
        dev.open();
        try (NetdevNlSock nl = Netdev.open()) {
            assertErrno(Errno.EOPNOTSUPP, "noops does not support the queue management API",
                    () -> nl.bindRx(dev, TestProvider.dmabuf(8), 7));
            assertErrno(Errno.EOPNOTSUPP, "noops does not support the queue management API", () -> dev.restartQueue(0));
        }
        assertTrue(dev.rxQueue(0).memory().isRunning(), "the device itself still works");
    }

    @Test
    void shouldRefuseAVirtualDeviceAfterTheRangeCheck() {
        NetDevice dev = device(NetDevice.builder("veth0").ringSize(16).virtual(true).headerSplit(false, 0));
        try (NetdevNlSock nl = Netdev.open()) {
            assertErrno(Errno.ERANGE, "rx queue index out of range", () -> nl.bindRx(dev, TestProvider.dmabuf(8), 0, 1));
            assertErrno(Errno.EBUSY, "rx queue is mapped to a virtual netdev",
                    () -> nl.bindRx(dev, TestProvider.dmabuf(8), 0));
        }
    }

    @Test
    void shouldReportEachFailedCheckInTheKernelsOrderUntilTheBindSucceeds() {
        NetDevice dev = device(NetDevice.builder("order").rxQueues(2).ringSize(16));
        try (NetdevNlSock nl = Netdev.open(); NetdevNlSock other = Netdev.open()) {
            RxBinding zero = other.bindRx(dev, TestProvider.dmabuf(8), 0); // queue 0 bound by someone else
            zero.close(); // (bound first: XDP and AF_XDP are refused while a provider is bound)
            dev.setHeaderSplit(false, 64);
            dev.xdpAttach();
            dev.setXskPool(1, true);
            int[] queues = {1, 0};
            assertErrno(Errno.EINVAL, "tcp-data-split is disabled", () -> nl.bindRx(dev, TestProvider.dmabuf(8), queues));
            dev.setHeaderSplit(true, 64);
            assertErrno(Errno.EINVAL, "hds-thresh is not zero", () -> nl.bindRx(dev, TestProvider.dmabuf(8), queues));
            dev.setHeaderSplit(true, 0);
            assertErrno(Errno.EEXIST, "unable to custom memory provider to device with XDP program attached",
                    () -> nl.bindRx(dev, TestProvider.dmabuf(8), queues));
            dev.xdpDetach();
            zero = other.bindRx(dev, TestProvider.dmabuf(8), 0); // queue 1 keeps its AF_XDP pool
            // queue 1 (AF_XDP) is listed first, queue 0 (bound) is checked first: the kernel opens in index order
            assertErrno(Errno.EEXIST, "designated queue already memory provider bound",
                    () -> nl.bindRx(dev, TestProvider.dmabuf(8), queues));
            zero.close();
            assertErrno(Errno.EBUSY, "designated queue already in use by AF_XDP",
                    () -> nl.bindRx(dev, TestProvider.dmabuf(8), queues));
            assertNull(dev.rxQueue(0).memoryProvider(), "a failed check binds nothing");
            assertEquals(List.of(), nl.bindings());
            dev.setXskPool(1, false);
            RxBinding b = nl.bindRx(dev, TestProvider.dmabuf(8), queues);
            assertSame(b.provider(), dev.rxQueue(0).memoryProvider());
            assertSame(b.provider(), dev.rxQueue(1).memoryProvider());
        }
    }

    @Test
    void shouldRefuseXdpAndAfXdpWhileAProviderIsBound() {
        NetDevice dev = device(NetDevice.builder("xdp").rxQueues(2).ringSize(16));
        try (NetdevNlSock nl = Netdev.open()) {
            RxBinding b = nl.bindRx(dev, TestProvider.dmabuf(8), 0);
            assertErrno(Errno.EBUSY, "unable to install XDP to device using memory provider", dev::xdpAttach);
            assertFalse(dev.xdpAttached());
            assertErrno(Errno.EBUSY, "AF_XDP pool on a device using memory provider", () -> dev.setXskPool(1, true));
            assertErrno(Errno.ERANGE, "rx queue index out of range", () -> dev.setXskPool(2, true));
            b.close();
            dev.xdpAttach();
            assertTrue(dev.xdpAttached());
            dev.setXskPool(1, true);
        }
    }
}
