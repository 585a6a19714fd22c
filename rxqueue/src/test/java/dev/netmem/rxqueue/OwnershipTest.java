package dev.netmem.rxqueue;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.netmem.providers.dmabuf.Dmabuf;
import dev.netmem.providers.dmabuf.DmabufBinding;
import dev.netmem.providers.zcrx.ZcrxArea;
import dev.netmem.providers.zcrx.ZcrxIfq;
import dev.netmem.rxqueue.netdev.Netdev;
import dev.netmem.rxqueue.netdev.NetdevNlSock;
import dev.netmem.rxqueue.netdev.RxBinding;
import dev.netmem.rxqueue.nic.NetDevice;
import dev.netmem.rxqueue.zcrx.IoUringZcrx;
import dev.netmem.testsupport.base.Await;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Who may do what: shared files are created 0600, and only the netdev netlink socket that made a
 * binding can unbind it (the kernel keeps a binding on its socket's list; nothing else reaches it).
 * A socket can return only the buffers it holds: see {@link DontneedHostileTest} (another socket's
 * tokens free nothing) and the providers' {@code ZcrxRefillHostileTest} (a refill entry for a buffer
 * the user holds no reference on is counted as {@code noUserRef} and changes nothing). Runs on both
 * NIC drivers: ownership belongs to the netdev family and the providers, whichever driver fills the
 * queues.
 */
@Timeout(30)
@ParameterizedClass(name = "{0}")
@EnumSource(TestDriver.class)
class OwnershipTest extends DeviceTestBase {
    @TempDir
    Path dir;

    @Parameter
    TestDriver driver;

    @Override
    TestDriver driver() {
        return driver;
    }

    @Test
    void shouldCreateDmabufAndZcrxRegionFilesMode0600() throws Exception {
        NetDevice dev = device(NetDevice.builder("perm").rxQueues(2).ringSize(8));
        try (Dmabuf dmabuf = Dmabuf.create(dir, 64 * 4096L); Dmabuf area = Dmabuf.create(dir, 16 * 4096L);
             NetdevNlSock nl = Netdev.open()) {
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dmabuf.path())));
            RxBinding ring = IoUringZcrx.bindRxUserRing(nl, dev, ZcrxArea.ofDmabuf(area), 1, 16, 16, dir);
            Path region = assertInstanceOf(ZcrxIfq.class, ring.provider()).regionPath();
            assertEquals(dir, region.getParent());
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(region)));
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(area.path())));
        }
        try (var files = Files.list(dir)) {
            assertEquals(List.of(), files.toList(), "every shared file is removed");
        }
    }

    @Test
    void shouldLetOnlyTheOwningSocketUnbind() {
        NetDevice dev = device(NetDevice.builder("owner").rxQueues(3).ringSize(8));
        dev.open();
        NetdevNlSock a = Netdev.open();
        NetdevNlSock b = Netdev.open();
        try (Dmabuf dmabuf = Dmabuf.create(dir, 64 * 4096L); Dmabuf area = Dmabuf.create(dir, 16 * 4096L)) {
            RxBinding devmem = a.bindRx(dev, dmabuf, 1);
            RxBinding ring = IoUringZcrx.bindRxUserRing(a, dev, ZcrxArea.ofDmabuf(area), 2, 16, 16, dir);
            DmabufBinding db = assertInstanceOf(DmabufBinding.class, devmem.provider());
            ZcrxIfq ifq = assertInstanceOf(ZcrxIfq.class, ring.provider());

            // Everything another party can reach: the binding by its public id, the queues' providers.
            assertSame(db, DmabufBinding.byId(db.id()).orElseThrow());
            IllegalCallerException e = assertThrows(IllegalCallerException.class, () -> DmabufBinding.byId(db.id())
                    .orElseThrow().unbind());
            assertEquals("EPERM: devmem binding " + db.id()
                    + " belongs to another netdev netlink socket; only its owner can unbind it", e.getMessage());
            assertThrows(IllegalCallerException.class, () -> db.unbind(b));
            assertThrows(IllegalCallerException.class, () -> db.unbind(new Object()));
            e = assertThrows(IllegalCallerException.class,
                    () -> ((ZcrxIfq) dev.rxQueue(2).memoryProvider()).close());
            assertEquals("EPERM: zcrx ifq " + ifq.id()
                    + " belongs to another netdev netlink socket; only its owner can close it", e.getMessage());
            assertThrows(IllegalCallerException.class, () -> ifq.close(b));

            // Another socket owns none of them, and closing it leaves them bound.
            assertEquals(List.of(), b.bindings());
            b.close();
            assertEquals(DmabufBinding.State.BOUND, db.state());
            assertEquals(ZcrxIfq.State.ACTIVE, ifq.state());
            assertSame(db, dev.rxQueue(1).memoryProvider());
            assertSame(ifq, dev.rxQueue(2).memoryProvider());
            assertEquals(OptionalLong.of(db.id()), Netdev.queueGet(dev.ifindex(), 1).dmabuf());
            assertEquals(List.of(devmem, ring), a.bindings());
            assertFalse(devmem.isClosed());

            // The owner unbinds.
            a.close();
            assertTrue(devmem.isClosed());
            assertTrue(ring.isClosed());
            Await.await("binding freed", db::isFreed);
            assertNull(dev.rxQueue(1).memoryProvider());
            assertNull(dev.rxQueue(2).memoryProvider());
            Await.await("ifq freed", ifq::isFreed);
        }
    }
}
