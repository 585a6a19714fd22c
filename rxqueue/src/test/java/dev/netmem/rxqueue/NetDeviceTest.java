package dev.netmem.rxqueue;

import static dev.netmem.rxqueue.TestSupport.payload;
import static dev.netmem.rxqueue.TestSupport.send;
import static dev.netmem.testsupport.base.Await.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.netmem.api.DmaDevice;
import dev.netmem.api.Errno;
import dev.netmem.api.ErrnoException;
import dev.netmem.api.PagePool;
import dev.netmem.api.PagePoolStats;
import dev.netmem.rxqueue.netdev.Netdev;
import dev.netmem.rxqueue.netdev.NetdevNlSock;
import dev.netmem.rxqueue.netdev.PagePoolInfo;
import dev.netmem.rxqueue.nic.AllocFailPolicy;
import dev.netmem.rxqueue.nic.ForwardingQueueOps;
import dev.netmem.rxqueue.nic.NetDevice;
import dev.netmem.rxqueue.nic.QueueMem;
import dev.netmem.rxqueue.nic.RxQueue;
import dev.netmem.rxqueue.stack.DevmemSocket;
import dev.netmem.rxqueue.stack.NetStack;
import dev.netmem.rxqueue.wire.PayloadPattern;
import dev.netmem.rxqueue.wire.SyntheticWire;
import dev.netmem.testsupport.TestProvider;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The device, its queues and the kernel's nl_netdev / pp_alloc_fail selftest behaviours. */
@Timeout(30)
class NetDeviceTest extends DeviceTestBase {

    @Test
    void shouldListPoolsOnlyWhileTheDeviceIsUp() {
        NetDevice dev = device(NetDevice.builder("pp0").rxQueues(2).ringSize(16));
        assertEquals(List.of(), Netdev.pagePoolDump(dev.ifindex()), "down: no pools");
        dev.open();
        List<PagePoolInfo> up = Netdev.pagePoolDump(dev.ifindex());
        assertEquals(4, up.size(), "a payload pool and a header pool per queue");
        // Unlike netdevsim, the emulated driver posts its ring at start, so buffers are out at once.
        assertTrue(up.stream().allMatch(p -> p.inflight() >= 4 && p.detachTime().isEmpty()),
                "attached, with the posted ring's buffers out: " + up);
        dev.close();
        assertEquals(List.of(), Netdev.pagePoolDump(dev.ifindex()), "down again: no pools left");
    }

    /**
     * The driver syncs what the NIC wrote for the CPU ({@code page_pool_dma_sync_netmem_for_cpu})
     * before the stack reads it: the header frag and the payload with header split, the one buffer
     * without. A coherent device would count none, so the device here is not coherent.
     */
    @Test
    void shouldSyncEveryReceivedBufferForTheCpuBeforeTheStackReadsIt() {
        for (boolean split : new boolean[] {true, false}) {
            DmaDevice dma = new DmaDevice("cpusync-" + split, false);
            NetDevice dev = device(NetDevice.builder("cpusync").ringSize(16).dmaDevice(dma).headerSplit(split, 0));
            dev.open();
            DevmemSocket sock = NetStack.of(dev).openSocket(80);
            long before = dma.cpuSyncs();
            for (int i = 0; i < 5; i++) {
                send(dev, 1000, 80, payload(PayloadPattern.repeating(7), 0, 1000));
            }
            await("the skbs reach the socket", () -> sock.queuedBytes() == 5000);
            assertEquals(split ? 10 : 5, dma.cpuSyncs() - before,
                    (split ? "a header and a payload" : "one buffer") + " synced per packet");
            sock.close();
            dev.close();
        }
    }

    @Test
    void shouldKeepADetachedPoolAliveWithItsDetachTimeWhileABufferIsHeld() {
        NetDevice dev = device(NetDevice.builder("pp1").rxQueues(1).ringSize(16));
        dev.open();
        DevmemSocket sock = NetStack.of(dev).openSocket(80);
        send(dev, 1000, 80, payload(PayloadPattern.repeating(7), 0, 1500));
        await("the skb reaches the socket", () -> sock.queuedBytes() == 1500);
        dev.close();
        List<PagePoolInfo> held = Netdev.pagePoolDump(dev.ifindex());
        assertEquals(2, held.size(), "the header pool and the payload pool hold the queued skb's buffers");
        for (PagePoolInfo p : held) {
            assertEquals(1, p.inflight(), "one buffer each");
            assertTrue(p.detachTime().isPresent(), "every remaining pool is detached");
            assertTrue(p.napiId().isEmpty(), "a destroyed pool has no NAPI");
        }
        dev.open();
        List<PagePoolInfo> both = Netdev.pagePoolDump(dev.ifindex());
        assertEquals(4, both.size());
        assertEquals(2, both.stream().filter(p -> p.detachTime().isEmpty()).count(), "two attached");
        sock.close();
        await("detached pools go once the buffers are released", Duration.ofMillis(2500),
                () -> Netdev.pagePoolDump(dev.ifindex()).size() == 2);
        assertTrue(Netdev.pagePoolDump(dev.ifindex()).stream().allMatch(p -> p.detachTime().isEmpty()));
        dev.close();
        assertEquals(List.of(), Netdev.pagePoolDump(dev.ifindex()));
    }

    @Test
    void shouldRecycleIntoTheCacheWhenFreedOnTheNapiThreadAndIntoTheRingFromElsewhere() {
        NetDevice dev = device(NetDevice.builder("napi0").ringSize(16));
        dev.open();
        PagePool pool = dev.rxQueue(0).pagePool();
        for (int i = 0; i < 10; i++) {
            send(dev, 1000, 9, payload(PayloadPattern.repeating(7), 0, 2000)); // no socket: freed in NAPI
        }
        await("10 packets received", () -> dev.rxQueue(0).rxPackets() == 10);
        await("10 frees recycled", () -> pool.stats().cached() == 10);
        assertEquals(0, pool.stats().ring(), "nothing went through the ring");
        assertEquals(0, dev.rxQueue(0).memory().skbsGrown(), "the poll path used preallocated skbs only");

        DevmemSocket sock = NetStack.of(dev).openSocket(80);
        for (int i = 0; i < 5; i++) {
            send(dev, 1000, 80, payload(PayloadPattern.repeating(7), 0, 2000));
        }
        await("5 skbs queued", () -> sock.queuedBytes() == 5 * 2000);
        var buf = java.lang.foreign.Arena.ofAuto().allocate(5 * 2000);
        assertEquals(5 * 2000, sock.recvmsg(buf, new ArrayList<>(), 0, Duration.ofSeconds(1)));
        PagePoolStats s = pool.stats();
        assertEquals(5, s.ring(), "frees on the application thread go to the ring");
        assertEquals(10, s.cached());
        sock.close();
    }

    @Test
    void shouldKeepTrafficFlowingWhileAllocationsFail() throws InterruptedException {
        NetDevice dev = device(NetDevice.builder("ppfail").ringSize(64));
        dev.open();
        dev.setAllocFailPolicy(AllocFailPolicy.everyNth(7));
        RxQueue q = dev.rxQueue(0);
        try (SyntheticWire w = SyntheticWire.builder(dev, 1, 9).sizes(64, 1500).reliable(false).start()) {
            await("rx-alloc-fail rises by 100", Duration.ofSeconds(3), () -> q.rxAllocFail() >= 100);
            long before = q.rxPackets();
            await("traffic keeps flowing", Duration.ofSeconds(3), () -> q.rxPackets() > before + 100);
            dev.setAllocFailPolicy(AllocFailPolicy.none());
            long fails = q.rxAllocFail();
            long after = q.rxPackets();
            await("and flows without failures", Duration.ofSeconds(3), () -> q.rxPackets() > after + 100);
            assertTrue(q.rxAllocFail() - fails <= 1, "no new failures once the policy is off");
            assertTrue(w.packetsSent() > 0);
        }
        dev.close();
        assertEquals(List.of(), Netdev.pagePoolDump(dev.ifindex()), "nothing leaked by the dropped packets");
    }

    @Test
    void shouldSteerRuledPortsToTheirQueueAndSpreadOtherFlowsOverTheRest() {
        NetDevice dev = device(NetDevice.builder("steer").rxQueues(4));
        dev.addFlowRule(5201, 3);
        assertEquals(3, dev.steer(1, 5201));
        for (int src = 0; src < 200; src++) {
            assertNotEquals(3, dev.steer(src, 80), "other flows avoid the ruled queue");
            assertEquals(dev.steer(src, 80), dev.steer(src, 80), "a flow always lands on one queue");
        }
        ErrnoException e = assertThrows(ErrnoException.class, () -> dev.addFlowRule(80, 4));
        assertEquals(Errno.ERANGE, e.errno());
        assertEquals("rx queue index out of range", e.getMessage());
        dev.removeFlowRule(5201);
        assertTrue(java.util.stream.IntStream.range(0, 200).anyMatch(src -> dev.steer(src, 80) == 3));
    }

    @Test
    void shouldRestartAQueueWithNewPoolsAndFreeTheOldOnes() {
        NetDevice dev = device(NetDevice.builder("rst").rxQueues(2).ringSize(16));
        dev.open();
        PagePool old = dev.rxQueue(1).pagePool();
        dev.restartQueue(1);
        PagePool fresh = dev.rxQueue(1).pagePool();
        assertNotEquals(old.id(), fresh.id());
        assertEquals(PagePool.State.RELEASED, old.state(), "nothing was in flight: released at once");
        send(dev, 1, 7, payload(PayloadPattern.repeating(7), 0, 100));
        ErrnoException e = assertThrows(ErrnoException.class, () -> dev.restartQueue(2));
        assertEquals(Errno.ERANGE, e.errno());
        assertEquals("rx queue index out of range", e.getMessage());
    }

    @Test
    void shouldRestartAQueueWhileDownWithoutLeavingPools() {
        NetDevice dev = device(NetDevice.builder("rstdown").ringSize(16));
        dev.restartQueue(0);
        assertEquals(List.of(), Netdev.pagePoolDump(dev.ifindex()));
        assertNull(dev.rxQueue(0).pagePool());
    }

    @Test
    void shouldRollBackToTheOldMemoryWhenTheNewQueueFailsToStart() {
        AtomicBoolean failStart = new AtomicBoolean();
        NetDevice dev = device(NetDevice.builder("rollback").ringSize(16).queueOps(ops -> new ForwardingQueueOps(ops) {
            @Override
            public void start(QueueMem mem) {
                if (failStart.getAndSet(false)) {
                    throw Errno.ENOMEM.exception("injected start failure");
                }
                driver.start(mem);
            }
        }));
        dev.open();
        QueueMem before = dev.rxQueue(0).memory();
        failStart.set(true);
        ErrnoException e = assertThrows(ErrnoException.class, () -> dev.restartQueue(0));
        assertEquals("injected start failure", e.getMessage());
        assertSame(before, dev.rxQueue(0).memory(), "the old memory runs again");
        assertTrue(before.isRunning());
        assertEquals(2, Netdev.pagePoolDump(dev.ifindex()).size(), "the new pools were freed");
        DevmemSocket s = NetStack.of(dev).openSocket(7);
        send(dev, 1, 7, payload(PayloadPattern.repeating(7), 0, 100));
        await("traffic flows on the old memory", () -> s.queuedBytes() == 100);
        s.close();
    }

    /** __net_mp_close_rxq with params that no longer match: WARN_ON_ONCE and leave the queue alone. */
    @Test
    void shouldLeaveAQueueBoundToAnotherProviderAloneWhenClosedWithStaleParams() {
        NetDevice dev = device(NetDevice.builder("stale").rxQueues(2).ringSize(8));
        dev.open();
        TestProvider bound = TestProvider.dmabuf(16);
        TestProvider stale = TestProvider.dmabuf(16);
        dev.openRxQueues(bound, new int[] {0});
        QueueMem before = dev.rxQueue(0).memory();

        dev.closeRxQueue(0, stale);
        assertSame(bound, dev.rxQueue(0).memoryProvider(), "a mismatched close unbinds nothing");
        assertSame(before, dev.rxQueue(0).memory(), "and restarts nothing");
        assertEquals(1, dev.warnings());
        dev.closeRxQueue(1, bound);
        assertEquals(2, dev.warnings(), "queue 1 has no provider: params do not match either");
        dev.closeRxQueue(2, bound);
        assertEquals(3, dev.warnings(), "out of range");

        dev.closeRxQueue(0, bound);
        assertNull(dev.rxQueue(0).memoryProvider());
        assertEquals(3, dev.warnings(), "the matching close is clean");

        dev.openRxQueues(bound, new int[] {1});
        dev.unregister(); // dev_memory_provider_uninstall clears queue 1
        dev.closeRxQueue(1, bound);
        assertEquals(3, dev.warnings(), "a close after the uninstall on unregister is silent");
    }

    /** __net_mp_close_rxq: WARN_ON(err && err != -ENETDOWN) on the restart without the provider. */
    @Test
    void shouldWarnOnAFailedRestartWhenClosingExceptForEnetdown() {
        java.util.concurrent.atomic.AtomicReference<Errno> failAlloc = new java.util.concurrent.atomic.AtomicReference<>();
        NetDevice dev = device(NetDevice.builder("closefail").ringSize(8).queueOps(ops -> new ForwardingQueueOps(ops) {
            @Override
            public QueueMem memAlloc(RxQueue queue) {
                Errno e = failAlloc.getAndSet(null);
                if (e != null) {
                    throw e.exception("injected mem_alloc failure");
                }
                return driver.memAlloc(queue);
            }
        }));
        dev.open();
        TestProvider mp = TestProvider.dmabuf(16);
        dev.openRxQueues(mp, new int[] {0});
        failAlloc.set(Errno.ENETDOWN);
        dev.closeRxQueue(0, mp);
        assertNull(dev.rxQueue(0).memoryProvider(), "the binding is cleared even though the restart failed");
        assertEquals(0, dev.warnings(), "ENETDOWN is expected: no warning");

        dev.restartQueue(0); // back onto host memory
        dev.openRxQueues(mp, new int[] {0});
        failAlloc.set(Errno.ENOMEM);
        dev.closeRxQueue(0, mp);
        assertNull(dev.rxQueue(0).memoryProvider());
        assertEquals(1, dev.warnings(), "any other error warns");
    }

    @Test
    void shouldValidateTheBuilder() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> NetDevice.builder("x").ringSize(100).build());
        assertEquals("ringSize must be a power of two in [8, 4096]: 100", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> NetDevice.builder("x").rxQueues(0).build());
        assertEquals("rxQueues must be in [1, 1024]: 0", e.getMessage());
    }

    @Test
    void shouldRefuseToDisableHeaderSplitWhileAProviderIsBound() {
        NetDevice dev = device(NetDevice.builder("hds").ringSize(16));
        TestProvider mp = TestProvider.dmabuf(64);
        try (NetdevNlSock nl = Netdev.open()) {
            nl.bindRx(dev, mp, 0);
            ErrnoException e = assertThrows(ErrnoException.class, () -> dev.setHeaderSplit(false, 0));
            assertEquals(Errno.EINVAL, e.errno());
            assertEquals("can't disable tcp-data-split while device has memory provider enabled", e.getMessage());
        }
        dev.setHeaderSplit(false, 0);
        assertNotNull(dev);
    }

    @Test
    void shouldRefuseToBindWhileHdsThreshIsNotZero() {
        NetDevice dev = device(NetDevice.builder("hdsbind").ringSize(16).headerSplit(true, 64));
        try (NetdevNlSock nl = Netdev.open()) {
            ErrnoException e = assertThrows(ErrnoException.class, () -> nl.bindRx(dev, TestProvider.dmabuf(64), 0));
            assertEquals(Errno.EINVAL, e.errno());
            assertEquals("hds-thresh is not zero", e.getMessage());
            assertNull(dev.rxQueue(0).memoryProvider(), "nothing bound");
            assertEquals(List.of(), nl.bindings());
            dev.setHeaderSplit(true, 0);
            nl.bindRx(dev, TestProvider.dmabuf(64), 0);
            assertNotNull(dev.rxQueue(0).memoryProvider(), "bound once hds-thresh is 0");
        }
    }

    @Test
    void shouldRefuseToRaiseHdsThreshWhileAProviderIsBound() {
        NetDevice dev = device(NetDevice.builder("hdsraise").rxQueues(2).ringSize(16));
        try (NetdevNlSock nl = Netdev.open()) {
            nl.bindRx(dev, TestProvider.dmabuf(64), 1);
            ErrnoException e = assertThrows(ErrnoException.class, () -> dev.setHeaderSplit(true, 64));
            assertEquals(Errno.EINVAL, e.errno());
            assertEquals("can't set non-zero hds_thresh while device is memory provider enabled", e.getMessage());
            assertEquals(0, dev.hdsThresh(), "unchanged");
            e = assertThrows(ErrnoException.class, () -> dev.setHeaderSplit(false, 64));
            assertEquals("can't disable tcp-data-split while device has memory provider enabled", e.getMessage(),
                    "turning header split off is reported first, as ethnl_set_rings does");
        }
        dev.setHeaderSplit(true, 64);
        assertEquals(64, dev.hdsThresh(), "allowed once nothing is bound");
    }
}
