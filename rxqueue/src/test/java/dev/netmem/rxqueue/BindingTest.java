package dev.netmem.rxqueue;

import static dev.netmem.rxqueue.TestSupport.payload;
import static dev.netmem.rxqueue.TestSupport.send;
import static dev.netmem.testsupport.base.Await.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.netmem.api.Errno;
import dev.netmem.api.ErrnoException;
import dev.netmem.api.PagePool;
import dev.netmem.providers.dmabuf.Dmabuf;
import dev.netmem.rxqueue.net.SkBuff;
import dev.netmem.rxqueue.netdev.Netdev;
import dev.netmem.rxqueue.netdev.NetdevListener;
import dev.netmem.rxqueue.netdev.NetdevNlSock;
import dev.netmem.rxqueue.netdev.PagePoolInfo;
import dev.netmem.rxqueue.netdev.PagePoolStatsInfo;
import dev.netmem.rxqueue.netdev.QueueInfo;
import dev.netmem.rxqueue.netdev.RxBinding;
import dev.netmem.rxqueue.nic.NetDevice;
import dev.netmem.rxqueue.nic.RxQueue;
import dev.netmem.rxqueue.stack.DevmemSocket;
import dev.netmem.rxqueue.stack.NetStack;
import dev.netmem.rxqueue.wire.PayloadPattern;
import dev.netmem.testsupport.TestProvider;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.CopyOnWriteArrayList;
import javax.management.MBeanServer;
import javax.management.ObjectName;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** bind-rx checks and lifecycle, introspection records, notifications and MXBeans. */
@Timeout(30)
class BindingTest extends DeviceTestBase {

    private static ErrnoException bindFails(NetDevice dev, int... queues) {
        try (NetdevNlSock nl = Netdev.open()) {
            return assertThrows(ErrnoException.class, () -> nl.bindRx(dev, TestProvider.dmabuf(16), queues));
        }
    }

    @Test
    void shouldCheckBindRequestsInTheKernelsOrder() {
        NetDevice dev = device(NetDevice.builder("chk").rxQueues(2).ringSize(8).headerSplit(false, 0));
        ErrnoException e = bindFails(dev, 0, 2);
        assertEquals(Errno.ERANGE, e.errno());
        assertEquals("rx queue index out of range", e.getMessage(), "range before header split");

        e = bindFails(dev, 1);
        assertEquals(Errno.EINVAL, e.errno());
        assertEquals("tcp-data-split is disabled", e.getMessage());

        dev.setHeaderSplit(true, 0);
        e = bindFails(dev);
        assertEquals(Errno.EINVAL, e.errno());
        assertEquals("no rx queues to bind", e.getMessage());

        try (NetdevNlSock nl = Netdev.open()) {
            nl.bindRx(dev, TestProvider.dmabuf(16), 1);
            e = bindFails(dev, 0, 1);
            assertEquals(Errno.EEXIST, e.errno());
            assertEquals("designated queue already memory provider bound", e.getMessage());
            assertNull(dev.rxQueue(0).memoryProvider(), "a failed check binds nothing");
        }
    }

    @Test
    void shouldReleaseTheDmabufBindingWhenADmabufBindFails() {
        NetDevice dev = device(NetDevice.builder("dmafail").ringSize(8).headerSplit(false, 0));
        try (Dmabuf dmabuf = Dmabuf.create(64 * 4096L); NetdevNlSock nl = Netdev.open()) {
            int refs = dmabuf.refCount();
            ErrnoException e = assertThrows(ErrnoException.class, () -> nl.bindRx(dev, dmabuf, 0));
            assertEquals("tcp-data-split is disabled", e.getMessage());
            dev.setHeaderSplit(true, 0);
            e = assertThrows(ErrnoException.class, () -> nl.bindRx(dev, dmabuf));
            assertEquals("no rx queues to bind", e.getMessage());
            assertEquals(refs, dmabuf.refCount(), "the failed bindings dropped their dma-buf references");
            assertEquals(List.of(), nl.bindings());
        }
    }

    /** ndo_queue_get_dma_dev / netdev_nl_get_dma_dev: a multi-PF device binds only queues of one PF. */
    @Test
    void shouldImportForTheQueuesDmaDeviceAndRefuseQueuesBehindDifferentOnes() {
        dev.netmem.api.DmaDevice pf1 = new dev.netmem.api.DmaDevice("pf1", true);
        NetDevice dev = device(NetDevice.builder("multipf").rxQueues(3).ringSize(8).queueOps(ops ->
                new dev.netmem.rxqueue.nic.QueueMgmtOps() {
                    @Override
                    public dev.netmem.rxqueue.nic.QueueMem memAlloc(RxQueue queue) {
                        return ops.memAlloc(queue);
                    }

                    @Override
                    public void memFree(dev.netmem.rxqueue.nic.QueueMem mem) {
                        ops.memFree(mem);
                    }

                    @Override
                    public void start(dev.netmem.rxqueue.nic.QueueMem mem) {
                        ops.start(mem);
                    }

                    @Override
                    public void stop(dev.netmem.rxqueue.nic.QueueMem mem) {
                        ops.stop(mem);
                    }

                    @Override
                    public dev.netmem.api.DmaDevice getDmaDev(RxQueue queue) {
                        return queue.queueIndex() == 0 ? null : pf1; // queue 0 on the parent, 1 and 2 on pf1
                    }
                }));
        dev.open();
        assertSame(dev.dmaDevice(), dev.queueDmaDevice(0), "no answer from the driver: the parent");
        assertSame(pf1, dev.queueDmaDevice(2));
        assertSame(pf1, dev.rxQueue(1).pagePool().params().device(), "queue pools map through their queue's device");
        try (Dmabuf dmabuf = Dmabuf.create(64 * 4096L); NetdevNlSock nl = Netdev.open()) {
            int refs = dmabuf.refCount();
            ErrnoException e = assertThrows(ErrnoException.class, () -> nl.bindRx(dev, dmabuf, 2, 0));
            assertEquals(Errno.EOPNOTSUPP, e.errno());
            assertEquals("DMA device mismatch between queue 2 and 0 (multi-PF device?)", e.getMessage());
            assertEquals(refs, dmabuf.refCount(), "nothing imported");
            assertNull(dev.rxQueue(0).memoryProvider());
            e = assertThrows(ErrnoException.class, () -> nl.bindRx(dev, dmabuf, 1, 3));
            assertEquals(Errno.ERANGE, e.errno(), "every index is range-checked before the DMA devices");

            RxBinding b = nl.bindRx(dev, dmabuf, 2, 1);
            assertSame(pf1, ((dev.netmem.providers.dmabuf.DmabufBinding) b.provider()).device(),
                    "imported for the queues' PF, not the parent");
        }
    }

    @Test
    void shouldOrphanDetachedPoolsWhenTheirDeviceUnregisters() {
        NetDevice dev = NetDevice.builder("orphan").ringSize(8).build();
        dev.open();
        DevmemSocket s = NetStack.of(dev).openSocket(80);
        send(dev, 1, 80, payload(PayloadPattern.repeating(7), 0, 1000));
        await("queued", () -> s.queuedBytes() == 1000);
        int id = dev.rxQueue(0).pagePool().id();
        SkBuff held = s.skbDequeue();
        dev.unregister(); // closes the socket too; the skb we took keeps the buffers out
        PagePoolInfo info = Netdev.pagePoolGet(id);
        assertTrue(info.ifindex().isEmpty(), "an orphan has no ifindex");
        assertTrue(info.detachTime().isPresent());
        assertEquals(1, info.inflight());
        held.free();
        await("released", () -> PagePool.byId(id).isEmpty());
    }

    @Test
    void shouldRestartBoundQueuesOntoTheProviderAndBackWhenTheOwnerCloses() {
        NetDevice dev = device(NetDevice.builder("own").rxQueues(2).ringSize(16));
        dev.open();
        TestProvider mp = TestProvider.dmabuf(64);
        PagePool before = dev.rxQueue(1).pagePool();
        NetdevNlSock nl = Netdev.open();
        RxBinding b = nl.bindRx(dev, mp, 1);
        assertEquals(List.of(1), b.queues());
        assertSame(mp, dev.rxQueue(1).pagePool().provider(), "the restarted queue's pool uses the provider");
        assertEquals(PagePool.State.RELEASED, before.state());
        assertEquals(OptionalLong.of(b.id()), Netdev.queueGet(dev.ifindex(), 1).dmabuf());
        assertEquals(OptionalLong.empty(), Netdev.queueGet(dev.ifindex(), 0).dmabuf());
        assertEquals(OptionalLong.of(b.id()), Netdev.pagePoolGet(dev.rxQueue(1).pagePool().id()).dmabuf());

        nl.close(); // the owner goes away
        assertTrue(b.isClosed());
        assertNull(dev.rxQueue(1).memoryProvider());
        assertEquals(OptionalLong.empty(), Netdev.queueGet(dev.ifindex(), 1).dmabuf());
        assertFalse(dev.rxQueue(1).pagePool().isUnreadable(), "back on host pages");
        assertEquals(0, mp.inUse(), "every chunk came home");
        assertEquals(0, mp.pools(), "the provider's pools were destroyed");
    }

    @Test
    void shouldUnbindWhenTheOwnerGoesAwayWithoutClosing() {
        NetDevice dev = device(NetDevice.builder("gc").ringSize(8));
        dev.open();
        TestProvider mp = TestProvider.dmabuf(64);
        bindAndForget(dev, mp);
        assertSame(mp, dev.rxQueue(0).memoryProvider());
        await("the unreachable owner's binding is closed", () -> {
            System.gc();
            return dev.rxQueue(0).memoryProvider() == null;
        });
        assertFalse(dev.rxQueue(0).pagePool().isUnreadable(), "restarted on host pages");
    }

    private static void bindAndForget(NetDevice dev, TestProvider mp) {
        Netdev.open().bindRx(dev, mp, 0); // neither the socket nor the binding is kept
    }

    @Test
    void shouldFailWithEnodataWhenTheDriverIgnoresTheProvider() {
        NetDevice dev = device(NetDevice.builder("nodata").ringSize(8).allowUnreadable(false));
        dev.open();
        ErrnoException e = bindFails(dev, 0);
        assertEquals(Errno.ENODATA, e.errno());
        assertEquals("rx queue 0: no page pool uses the bound memory provider", e.getMessage());
        assertNull(dev.rxQueue(0).memoryProvider(), "the binding was rolled back");
        assertEquals(2, Netdev.pagePoolDump(dev.ifindex()).size(), "the queue still runs its old pools");
    }

    @Test
    void shouldUninstallProvidersWhenTheDeviceUnregisters() {
        NetDevice dev = NetDevice.builder("gone").ringSize(8).build();
        TestProvider mp = TestProvider.dmabuf(16);
        NetdevNlSock nl = Netdev.open();
        RxBinding b = nl.bindRx(dev, mp, 0);
        dev.unregister();
        assertEquals(1, mp.uninstalls());
        b.close(); // a no-op on the queue now
        ErrnoException e = assertThrows(ErrnoException.class, () -> Netdev.queueGet(dev.ifindex(), 0));
        assertEquals(Errno.ENODEV, e.errno());
        assertEquals("no device with ifindex " + dev.ifindex(), e.getMessage());
    }

    @Test
    void shouldDescribePoolsAndQueuesAndRejectUnknownOnes() {
        NetDevice dev = device(NetDevice.builder("intro").ringSize(16).poolStats(false));
        dev.open();
        RxQueue q = dev.rxQueue(0);
        PagePool pool = q.pagePool();
        PagePoolInfo info = Netdev.pagePoolGet(pool.id());
        assertEquals(dev.ifindex(), info.ifindex().getAsInt());
        assertEquals(q.napi().id(), info.napiId().getAsInt());
        assertEquals(pool.inflight(), info.inflight());
        assertEquals(pool.inflight() * 4096L, info.inflightMem());
        assertTrue(info.detachTime().isEmpty());
        assertFalse(info.ioUring());
        QueueInfo qi = Netdev.queueGet(dev.ifindex(), 0);
        assertEquals(new QueueInfo(dev.ifindex(), 0, "rx", java.util.OptionalInt.of(q.napi().id()),
                OptionalLong.empty(), false), qi);

        ErrnoException e = assertThrows(ErrnoException.class, () -> Netdev.pagePoolStats(pool.id()));
        assertEquals(Errno.EOPNOTSUPP, e.errno());
        assertEquals("page pool " + pool.id() + " keeps no statistics", e.getMessage());
        e = assertThrows(ErrnoException.class, () -> Netdev.pagePoolGet(Integer.MAX_VALUE));
        assertEquals(Errno.ENOENT, e.errno());
        assertEquals("page pool " + Integer.MAX_VALUE + " not found", e.getMessage());
        e = assertThrows(ErrnoException.class, () -> Netdev.queueGet(dev.ifindex(), 1));
        assertEquals(Errno.EINVAL, e.errno());
        assertEquals("rx queue index out of range", e.getMessage());
    }

    @Test
    void shouldNotifyAddChangeAndDelAndPublishTheSameFiguresAsMxBeans() throws Exception {
        List<String> events = new CopyOnWriteArrayList<>();
        NetDevice dev = device(NetDevice.builder("ntf").ringSize(16));
        NetdevListener l = new NetdevListener() {
            @Override
            public void pagePoolAdded(PagePoolInfo p) {
                if (p.ifindex().orElse(-1) == dev.ifindex()) {
                    events.add("ADD " + p.id());
                }
            }

            @Override
            public void pagePoolChanged(PagePoolInfo p) {
                if (p.ifindex().orElse(-1) == dev.ifindex()) {
                    events.add("CHANGE " + p.id());
                }
            }

            @Override
            public void pagePoolDeleted(PagePoolInfo p) {
                if (p.ifindex().orElse(-1) == dev.ifindex()) {
                    events.add("DEL " + p.id());
                }
            }
        };
        Netdev.addListener(l);
        try {
            dev.open();
            int main = dev.rxQueue(0).pagePool().id();
            int hdr = dev.rxQueue(0).headerPool().id();
            assertEquals(List.of("ADD " + main, "ADD " + hdr), events);
            assertTrue(main < hdr, "ids are allocated in creation order");

            MBeanServer mbs = ManagementFactory.getPlatformMBeanServer();
            ObjectName pn = new ObjectName(Netdev.poolMBeanName(main));
            PagePoolStatsInfo st = Netdev.pagePoolStats(main);
            assertEquals(Netdev.pagePoolGet(main).inflight(), (long) mbs.getAttribute(pn, "Inflight"));
            assertEquals(dev.ifindex(), (int) mbs.getAttribute(pn, "Ifindex"));
            assertEquals(dev.rxQueue(0).napi().id(), (int) mbs.getAttribute(pn, "NapiId"));
            assertEquals(-1L, (long) mbs.getAttribute(pn, "DetachTime"));
            assertEquals(st.stats().fast(), (long) mbs.getAttribute(pn, "Fast"));

            DevmemSocket s = NetStack.of(dev).openSocket(80);
            send(dev, 1, 80, payload(PayloadPattern.repeating(7), 0, 3000));
            await("queued", () -> s.queuedBytes() == 3000);
            ObjectName qn = new ObjectName(Netdev.queueMBeanName(dev.ifindex(), 0));
            assertEquals(1L, (long) mbs.getAttribute(qn, "RxPackets"));
            assertEquals(3000L, (long) mbs.getAttribute(qn, "RxBytes"));

            dev.close(); // frees the queue memory: destroys the payload pool, then the header pool
            assertEquals(List.of("ADD " + main, "ADD " + hdr, "CHANGE " + main, "CHANGE " + hdr), events,
                    "both detached, in destroy order: the queued skb holds a buffer of each");
            assertTrue((long) mbs.getAttribute(pn, "DetachTime") > 0);
            s.close(); // frees the skb: its head (header pool) first, then its frag (payload pool)
            assertEquals(List.of("ADD " + main, "ADD " + hdr, "CHANGE " + main, "CHANGE " + hdr, "DEL " + hdr,
                    "DEL " + main), events, "the put of each pool's last buffer releases it, in the order of the puts");
            assertFalse(mbs.isRegistered(pn), "the MXBean goes with the pool");
        } finally {
            Netdev.removeListener(l);
        }
    }
}
