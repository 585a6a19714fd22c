package dev.netmem.rxqueue;

import static dev.netmem.rxqueue.TestSupport.payload;
import static dev.netmem.rxqueue.TestSupport.send;
import static dev.netmem.testsupport.base.Await.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.netmem.api.Errno;
import dev.netmem.api.ErrnoException;
import dev.netmem.api.Napi;
import dev.netmem.api.PagePool;
import dev.netmem.rxqueue.netdev.NapiInfo;
import dev.netmem.rxqueue.netdev.Netdev;
import dev.netmem.rxqueue.netdev.NetdevNlSock;
import dev.netmem.rxqueue.netdev.RxBinding;
import dev.netmem.rxqueue.netdev.PagePoolInfo;
import dev.netmem.rxqueue.nic.AllocFailPolicy;
import dev.netmem.rxqueue.nic.IoUringNic;
import dev.netmem.rxqueue.nic.NetDevice;
import dev.netmem.rxqueue.nic.RxQueue;
import dev.netmem.rxqueue.stack.DevmemSocket;
import dev.netmem.rxqueue.stack.NetStack;
import dev.netmem.rxqueue.wire.PayloadPattern;
import dev.netmem.rxqueue.wire.SyntheticWire;
import dev.netmem.testsupport.TestProvider;
import dev.netmem.uring.IoUringAvailability;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The kernel's netdevsim selftests ported one to one onto a device built like netdevsim (one queue,
 * no header split, nothing posted until traffic): {@code nl_netdev.py}'s {@code page_pool_check}
 * with the {@code pp_hold} knob, its {@code napi_list_check} and {@code nsim_rxq_reset_down} with the
 * {@code queue_reset} modes, {@code pp_alloc_fail.py}'s ring-size change while traffic runs, and
 * ncdevmem's channel-count check.
 */
@Timeout(60)
class NetdevsimScenariosTest extends DeviceTestBase {
    private static final PayloadPattern P = PayloadPattern.repeating(7);

    private NetDevice nsim(String name) {
        return nsim(name, 1);
    }

    private NetDevice nsim(String name, int queues) {
        return device(NetDevice.builder(name).rxQueues(queues).ringSize(16).headerSplit(false, 0).postOnDemand(true));
    }

    private static List<PagePoolInfo> pools(NetDevice dev) {
        return Netdev.pagePoolDump(dev.ifindex());
    }

    /** {@code nl_netdev.py page_pool_check}, step by step. */
    @Test
    void shouldPassNlNetdevPagePoolCheck() {
        NetDevice dev = nsim("nsimpp");
        // 1. down: no page pools for the ifindex
        assertEquals(List.of(), pools(dev));
        // 2. up: pools appear, total inflight 0
        dev.open();
        assertEquals(1, pools(dev).size());
        assertEquals(0, pools(dev).stream().mapToLong(PagePoolInfo::inflight).sum(), "nothing posted before traffic");
        // 3. down again: they disappear at once (nothing leaked)
        dev.close();
        assertEquals(List.of(), pools(dev));
        // 4. up and hold a page: inflight >= 1
        dev.open();
        dev.setPpHold(true);
        assertTrue(pools(dev).stream().mapToLong(PagePoolInfo::inflight).sum() >= 1);
        // 5. down while held: exactly one pool remains, inflight 1, and every remaining pool is detached
        dev.close();
        List<PagePoolInfo> held = pools(dev);
        assertEquals(1, held.size(), held.toString());
        assertEquals(1, held.getFirst().inflight());
        assertTrue(held.stream().allMatch(p -> p.detachTime().isPresent()), held.toString());
        // 6. up again: two pools, one attached and one detached
        dev.open();
        List<PagePoolInfo> both = pools(dev);
        assertEquals(2, both.size(), both.toString());
        assertEquals(1, both.stream().filter(p -> p.detachTime().isEmpty()).count(), both.toString());
        assertEquals(1, both.stream().filter(p -> p.detachTime().isPresent()).count(), both.toString());
        // 7. release the page: only one pool remains (the selftest allows 2.5 s)
        dev.setPpHold(false);
        await("the detached pool goes once the page is released", Duration.ofMillis(2500),
                () -> pools(dev).size() == 1);
        // 8. down: zero pools
        dev.close();
        assertEquals(List.of(), pools(dev));
        // 9. up, hold a page, delete the device: the orphaning path (the selftest asserts nothing)
        dev.open();
        dev.setPpHold(true);
        PagePool pool = dev.rxQueue(0).pagePool();
        dev.unregister();
        await("the orphaned pool is released with the held page", () -> pool.state() == PagePool.State.RELEASED);
    }

    @Test
    void shouldRefuseToHoldAPageWhileDownAndIgnoreARepeatedSetting() {
        NetDevice dev = nsim("nsimhold");
        ErrnoException e = assertThrows(ErrnoException.class, () -> dev.setPpHold(true));
        assertEquals(Errno.ENETDOWN, e.errno());
        assertEquals("nsimhold is down", e.getMessage());
        dev.setPpHold(false); // nothing held: nothing to do
        dev.open();
        dev.setPpHold(true);
        dev.setPpHold(true);
        assertTrue(dev.ppHeld());
        dev.close(); // the cache is drained at destroy: what stays out is what is held
        assertEquals(1, pools(dev).getFirst().inflight(), "one page held, not two");
        dev.setPpHold(false);
        assertFalse(dev.ppHeld());
        assertEquals(List.of(), pools(dev), "released with the page");
    }

    @Test
    void shouldPostTheRingOnlyWhenTheFirstPacketArrives() {
        NetDevice dev = nsim("nsimpost");
        dev.open();
        RxQueue q = dev.rxQueue(0);
        assertEquals(0, q.pagePool().inflight(), "up, nothing posted");
        DevmemSocket s = NetStack.of(dev).openSocket(80);
        send(dev, 1, 80, payload(P, 0, 1000)); // missed once (nothing posted), then taken
        await("delivered", () -> s.queuedBytes() == 1000);
        assertTrue(q.rxMissed() >= 1, "the first packet found nothing posted");
        await("the ring is posted", () -> q.pagePool().inflight() >= 16);
        s.close();
    }

    /**
     * {@code pp_alloc_fail.py}: allocation faults at interval 511 while traffic runs, {@code rx-alloc-fail}
     * rises, then {@code ethtool -G} changes the ring size and traffic keeps flowing; here the stream is
     * also verified byte by byte across the change (a reliable wire: nothing lost or doubled).
     */
    @Test
    void shouldKeepTrafficFlowingAndInOrderAcrossARingSizeChangeUnderAllocationFaults() {
        NetDevice dev = device(NetDevice.builder("ppfailg").ringSize(256).headerSplit(false, 0));
        dev.open();
        dev.setAllocFailPolicy(AllocFailPolicy.everyNth(511));
        RxQueue q = dev.rxQueue(0);
        MemorySegment iov = Arena.ofAuto().allocate(64 * 1024);
        long[] got = {0};
        try (DevmemSocket s = NetStack.of(dev).openSocket(80);
             SyntheticWire w = SyntheticWire.builder(dev, 2, 80).sizes(64, 1500).pattern(P).start()) {
            receiveUntil(s, iov, got, () -> q.rxAllocFail() >= 20);
            PagePool before = q.pagePool();
            dev.setRingSize(64);
            assertEquals(64, dev.ringSize());
            assertTrue(before != q.pagePool(), "the queue runs on new memory");
            long at = got[0];
            long fails = q.rxAllocFail();
            receiveUntil(s, iov, got, () -> got[0] > at + (4 << 20) && q.rxAllocFail() > fails);
            assertTrue(w.packetsSent() > 0);
            assertEquals(0, q.rxDropped());
        }
        IllegalArgumentException bad = assertThrows(IllegalArgumentException.class, () -> dev.setRingSize(100));
        assertEquals("ringSize must be a power of two in [8, 4096]: 100", bad.getMessage());
    }

    /**
     * ncdevmem's control-path check 4: changing the channel count so that a bound queue would be
     * deactivated fails; the other {@code ethnl_set_channels} checks in their order; what is allowed
     * stops or starts queues (their pools go or come) and steering follows.
     */
    @Test
    void shouldRefuseAChannelCountThatDeactivatesABoundQueue() {
        NetDevice dev = device(NetDevice.builder("chan").rxQueues(4).ringSize(16));
        dev.open();
        try (NetdevNlSock nl = Netdev.open()) {
            RxBinding b = nl.bindRx(dev, TestProvider.dmabuf(32), 2);
            dev.addFlowRule(9000, 1);
            assertChannelsRefused(dev, 0, "requested channel count exceeds maximum");
            assertChannelsRefused(dev, 5, "requested channel count exceeds maximum");
            assertChannelsRefused(dev, 1, "requested channel counts are too low for existing ntuple filter settings");
            assertChannelsRefused(dev, 2, "requested channel counts are too low for existing memory provider setting (3)");
            assertEquals(4, dev.numRxQueues(), "unchanged");
            assertEquals(8, pools(dev).size(), "two pools per queue");
            dev.setChannels(3); // queue 3 goes: nothing bound there
            assertEquals(3, dev.numRxQueues());
            assertEquals(6, pools(dev).size(), "queue 3's pools are gone");
            ErrnoException e = assertThrows(ErrnoException.class, () -> dev.restartQueue(3));
            assertEquals(Errno.ERANGE, e.errno());
            for (int src = 0; src < 200; src++) {
                assertTrue(dev.steer(src, 80) < 3, "flows hash over the active queues only");
            }
            b.close();
            dev.removeFlowRule(9000);
            dev.setXskPool(2, true);
            assertChannelsRefused(dev, 2, "requested channel counts are too low due to busy queues (AF_XDP or queue leasing)");
            dev.setXskPool(2, false);
            dev.setChannels(1);
            assertEquals(2, pools(dev).size());
            dev.setChannels(4);
            assertEquals(8, pools(dev).size(), "the queues come back");
            DevmemSocket s = NetStack.of(dev).openSocket(80);
            int src = java.util.stream.IntStream.range(0, 1000).filter(p -> dev.steer(p, 80) == 3).findFirst()
                    .orElseThrow();
            send(dev, src, 80, payload(P, 0, 500));
            await("received on queue 3", () -> s.queuedBytes() == 500 && dev.rxQueue(3).rxPackets() == 1);
            s.close();
        }
    }

    /**
     * {@code nl_netdev.py napi_list_check}: with 100 queues up, {@code queue_reset} of queues 50, 0 and 99
     * in modes 0 to 3 keeps 100 NAPIs; here also with the same ids (netdevsim's NAPI config is persistent).
     */
    @Test
    void shouldPassNlNetdevNapiListCheck() {
        NetDevice nsim = nsim("nsimnapi", 100);
        nsim.open();
        List<NapiInfo> napis = Netdev.napiGetDump(nsim.ifindex());
        assertEquals(100, napis.size());
        for (int q : new int[] {50, 0, 99}) {
            for (int i = 0; i < 4; i++) {
                nsim.queueReset(q, i);
                assertEquals(napis, Netdev.napiGetDump(nsim.ifindex()), "queue count after reset queue " + q
                        + " mode " + i);
            }
        }
    }

    /**
     * {@code nl_netdev.py nsim_rxq_reset_down}: the queue API resets a queue while the interface is down
     * (modes 0, 2 and 3: new memory is allocated and freed); mode 1, which keeps the running NAPI,
     * refuses ({@code nsim_queue_mem_alloc}), and the device comes up with one pool per queue, nothing
     * left behind.
     */
    @Test
    void shouldPassNlNetdevNsimRxqResetDown() {
        NetDevice nsim = nsim("nsimdown", 4);
        nsim.open();
        int id = nsim.rxQueue(1).napi().id();
        nsim.close(); // ip link set dev ... down
        for (int i : new int[] {0, 2, 3}) {
            nsim.queueReset(1, i);
        }
        assertEquals(List.of(), pools(nsim), "the new memory of each reset was freed");
        ErrnoException e = assertThrows(ErrnoException.class, () -> nsim.queueReset(1, 1));
        assertEquals(Errno.ENETDOWN, e.errno());
        assertEquals("queue_reset: mode 1 needs nsimdown up", e.getMessage());
        nsim.open();
        assertEquals(4, pools(nsim).size());
        assertEquals(id, Netdev.queueGet(nsim.ifindex(), 1).napiId().getAsInt(), "the queue's NAPI id persists");
    }

    @Test
    void shouldGiveTheQueueANewNapiWithTheSameIdInResetMode0() {
        assertQueueReset(0, true);
    }

    @Test
    void shouldKeepTheQueueNapiAndReplaceOnlyThePoolInResetMode1() {
        assertQueueReset(1, false);
    }

    @Test
    void shouldGiveTheQueueANewNapiWithTheSameIdInResetMode2() {
        assertQueueReset(2, true);
    }

    @Test
    void shouldGiveTheQueueANewNapiWithTheSameIdInResetMode3() {
        assertQueueReset(3, true);
    }

    /**
     * One {@code queue_reset} of queue 0 in {@code mode} with a page held ({@code pp_hold}) from the old
     * pool: the queue restarts on a new pool created with the queue's NAPI after the reset (a new
     * instance or the same one, as the mode says) and the NAPI id every netlink object reports is the
     * one the queue had; the old pool, unlinked and destroyed, stays detached without a NAPI until the
     * page comes back. Traffic flows on the new memory, and everything is released at teardown.
     */
    private void assertQueueReset(int mode, boolean newNapi) {
        NetDevice nsim = nsim("nsimqr" + mode);
        nsim.open();
        RxQueue q = nsim.rxQueue(0);
        Napi before = q.napi();
        int id = before.id();
        PagePool oldPool = q.pagePool();
        assertEquals(id, Netdev.pagePoolGet(oldPool.id()).napiId().getAsInt());
        nsim.setPpHold(true);

        nsim.queueReset(0, mode);

        if (newNapi) {
            assertNotSame(before, q.napi(), "mode " + mode + " replaces the NAPI instance");
        } else {
            assertSame(before, q.napi(), "mode " + mode + " keeps the NAPI instance");
        }
        assertEquals(id, q.napi().id(), "the NAPI id persists (netif_napi_add_config)");
        assertEquals(id, Netdev.queueGet(nsim.ifindex(), 0).napiId().getAsInt(), "queue-get napi-id");
        assertEquals(List.of(new NapiInfo(id, nsim.ifindex())), Netdev.napiGetDump(nsim.ifindex()), "napi-get");
        PagePool newPool = q.pagePool();
        assertNotSame(oldPool, newPool, "the reset restarted the queue on new memory");
        assertSame(q.napi(), newPool.napi(), "the new pool was created with the queue's NAPI");
        PagePoolInfo fresh = Netdev.pagePoolGet(newPool.id());
        assertEquals(id, fresh.napiId().getAsInt());
        assertTrue(fresh.detachTime().isEmpty());
        PagePoolInfo old = Netdev.pagePoolGet(oldPool.id());
        assertTrue(old.napiId().isEmpty(), "the old pool is unlinked from its NAPI: " + old);
        assertTrue(old.detachTime().isPresent(), "destroyed with the held page out: " + old);
        assertEquals(1, old.inflight());

        DevmemSocket s = NetStack.of(nsim).openSocket(80);
        send(nsim, 1, 80, payload(P, 0, 1000));
        await("delivered on the new memory", () -> s.queuedBytes() == 1000 && q.rxPackets() == 1);
        s.close();
        nsim.setPpHold(false);
        await("the old pool goes with the page", () -> oldPool.state() == PagePool.State.RELEASED);
        nsim.close();
        await("the new pool goes at close", () -> newPool.state() == PagePool.State.RELEASED);
        assertEquals(0, newPool.inflight());
        assertEquals(List.of(), pools(nsim));
    }

    /** {@code nsim_qreset_write}'s and {@code nsim_queue_mem_alloc}'s refusals, in their order. */
    @Test
    void shouldRefuseABadQueueOrModeAsNetdevsimDoes() {
        NetDevice nsim = nsim("nsimbad", 2);
        assertQueueResetRefused(nsim, 0, 4, Errno.EINVAL, "queue_reset: mode 4 is not in [0, 3]"); // down: checked first
        nsim.open();
        PagePool pool = nsim.rxQueue(0).pagePool();
        assertQueueResetRefused(nsim, 0, 4, Errno.EINVAL, "queue_reset: mode 4 is not in [0, 3]");
        assertQueueResetRefused(nsim, 0, -1, Errno.EINVAL, "queue_reset: mode 4294967295 is not in [0, 3]");
        assertQueueResetRefused(nsim, 2, 0, Errno.EINVAL, "queue_reset: rx queue 2 out of range: 2 queues");
        assertQueueResetRefused(nsim, -1, 0, Errno.EINVAL, "queue_reset: rx queue -1 out of range: 2 queues");
        assertQueueResetRefused(nsim, 2, 4, Errno.EINVAL, "queue_reset: rx queue 2 out of range: 2 queues");
        nsim.setChannels(1);
        assertQueueResetRefused(nsim, 1, 0, Errno.EINVAL, "queue_reset: rx queue 1 out of range: 1 queues");
        assertSame(pool, nsim.rxQueue(0).pagePool(), "nothing was restarted");

        NetDevice noApi = device(NetDevice.builder("nsimnoapi").ringSize(16).queueApi(false));
        noApi.open();
        assertQueueResetRefused(noApi, 0, 0, Errno.EOPNOTSUPP, "nsimnoapi does not support the queue management API");
        noApi.unregister();
        assertQueueResetRefused(noApi, 0, 0, Errno.ENODEV, "nsimnoapi is unregistered");
    }

    @Test
    void shouldRefuseQueueResetOnTheIoUringDriver() {
        IoUringAvailability a = IoUringAvailability.check();
        assumeTrue(a.available(), a.message());
        NetDevice dev = device(NetDevice.builder("uringqr").driver(IoUringNic.builder().build()));
        assertQueueResetRefused(dev, 0, 0, Errno.EOPNOTSUPP, "uringqr: queue_reset needs the emulated NIC");
    }

    private static void assertQueueResetRefused(NetDevice dev, int queue, int mode, Errno errno, String message) {
        ErrnoException e = assertThrows(ErrnoException.class, () -> dev.queueReset(queue, mode));
        assertEquals(errno, e.errno());
        assertEquals(message, e.getMessage());
    }

    /**
     * A stream keeps flowing, byte for byte in order, across {@code queue_reset}s of its queue in every
     * mode (twice round) while the wire sends, with a devmem-free host queue and header split on; every
     * pool any generation of the queue had is released (inflight 0) once the device closes.
     */
    @Test
    void shouldKeepTrafficFlowingWithoutLossAcrossQueueResetsInEveryMode() {
        NetDevice dev = device(NetDevice.builder("nsimflow").rxQueues(2).ringSize(64));
        dev.addFlowRule(80, 1);
        dev.open();
        RxQueue q = dev.rxQueue(1);
        int id = q.napi().id();
        List<PagePool> seen = new ArrayList<>();
        seen.add(q.pagePool());
        seen.add(q.headerPool());
        MemorySegment iov = Arena.ofAuto().allocate(64 * 1024);
        long[] got = {0};
        try (DevmemSocket s = NetStack.of(dev).openSocket(80);
             SyntheticWire w = SyntheticWire.builder(dev, 2, 80).sizes(64, 1500).pattern(P).start()) {
            receiveUntil(s, iov, got, () -> got[0] > (256 << 10));
            for (int round = 0; round < 2; round++) {
                for (int mode = 0; mode < 4; mode++) {
                    long packets = q.rxPackets();
                    dev.queueReset(1, mode);
                    seen.add(q.pagePool());
                    seen.add(q.headerPool());
                    assertEquals(id, Netdev.queueGet(dev.ifindex(), 1).napiId().getAsInt());
                    long at = got[0];
                    receiveUntil(s, iov, got, () -> got[0] > at + (256 << 10) && q.rxPackets() > packets);
                }
            }
            assertTrue(w.packetsSent() > 0);
            assertEquals(0, q.rxDropped(), "nothing dropped");
        }
        dev.close();
        for (PagePool p : seen) {
            await("pool " + p.id() + " released", () -> p.state() == PagePool.State.RELEASED);
            assertEquals(0, p.inflight(), "pool " + p.id());
        }
        assertEquals(List.of(), pools(dev));
    }

    private static void assertChannelsRefused(NetDevice dev, int n, String message) {
        ErrnoException e = assertThrows(ErrnoException.class, () -> dev.setChannels(n));
        assertEquals(Errno.EINVAL, e.errno());
        assertEquals(message, e.getMessage());
    }

    /** Receives and verifies the pattern until {@code done} holds (bounded). */
    private static void receiveUntil(DevmemSocket s, MemorySegment iov, long[] got, java.util.function.BooleanSupplier done) {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (!done.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                fail("timed out at " + got[0] + " bytes");
            }
            int n = s.recvmsg(iov, new ArrayList<>(), 0, Duration.ofMillis(20));
            for (int i = 0; i < n; i++) {
                if (iov.get(ValueLayout.JAVA_BYTE, i) != P.at(got[0] + i)) {
                    fail("stream offset " + (got[0] + i) + " is " + iov.get(ValueLayout.JAVA_BYTE, i) + ", expected "
                            + P.at(got[0] + i));
                }
            }
            got[0] += n;
        }
    }
}
