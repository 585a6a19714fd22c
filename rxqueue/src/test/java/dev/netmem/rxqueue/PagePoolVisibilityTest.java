package dev.netmem.rxqueue;

import static dev.netmem.rxqueue.TestSupport.payload;
import static dev.netmem.rxqueue.TestSupport.send;
import static dev.netmem.testsupport.base.Await.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.netmem.api.Errno;
import dev.netmem.api.ErrnoException;
import dev.netmem.api.PagePool;
import dev.netmem.rxqueue.net.SkBuff;
import dev.netmem.rxqueue.netdev.Netdev;
import dev.netmem.rxqueue.netdev.NetdevListener;
import dev.netmem.rxqueue.netdev.PagePoolInfo;
import dev.netmem.rxqueue.nic.NetDevice;
import dev.netmem.rxqueue.stack.DevmemSocket;
import dev.netmem.rxqueue.stack.NetStack;
import dev.netmem.rxqueue.wire.PayloadPattern;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The pool registry as netlink shows it (page_pool_user.c): orphans move to loopback and are dumped
 * first, device by device in ifindex order, newest pool first; when loopback unregisters they become
 * invisible: {@code ENOENT}, left out of the dump, and silent (no {@code DEL}).
 */
@Timeout(30)
class PagePoolVisibilityTest {

    /** A device whose queue-0 pool keeps one buffer out (an skb taken off a socket). */
    private record Held(NetDevice dev, int poolId, SkBuff skb) {
    }

    private static Held deviceWithABufferOut(String name) {
        NetDevice dev = NetDevice.builder(name).ringSize(8).build();
        dev.open();
        DevmemSocket s = NetStack.of(dev).openSocket(80);
        send(dev, 1, 80, payload(PayloadPattern.repeating(7), 0, 1000));
        await("queued", () -> s.queuedBytes() == 1000);
        return new Held(dev, dev.rxQueue(0).pagePool().id(), s.skbDequeue());
    }

    @Test
    void shouldDumpOrphansFirstThenEachDeviceNewestPoolFirst() {
        Held a = deviceWithABufferOut("vis-a");
        NetDevice b = NetDevice.builder("vis-b").rxQueues(3).ringSize(8).build();
        b.open();
        try {
            a.dev().unregister();
            List<PagePoolInfo> dump = Netdev.pagePoolDump();
            int orphan = indexOf(dump, a.poolId());
            assertTrue(dump.get(orphan).ifindex().isEmpty(), "an orphan has no ifindex");
            List<Integer> ofB = new ArrayList<>();
            int firstOfB = -1;
            for (int i = 0; i < dump.size(); i++) {
                if (dump.get(i).ifindex().isPresent() && dump.get(i).ifindex().getAsInt() == b.ifindex()) {
                    firstOfB = firstOfB < 0 ? i : firstOfB;
                    ofB.add(dump.get(i).id());
                }
            }
            assertTrue(orphan < firstOfB, "loopback (ifindex 1) holds the orphans and is dumped first: " + dump);
            assertTrue(ofB.size() >= 3, "at least one pool per queue: " + ofB);
            List<Integer> newestFirst = new ArrayList<>(ofB);
            newestFirst.sort(Collections.reverseOrder(Integer::compareUnsigned));
            assertEquals(newestFirst, ofB, "hlist_add_head: newest first");
            assertEquals(ofB.reversed(), Netdev.pagePoolDump(b.ifindex()).stream().map(PagePoolInfo::id).toList(),
                    "the per-device listing is oldest first");
        } finally {
            a.skb().free();
            b.unregister();
        }
        await("released", () -> PagePool.byId(a.poolId()).isEmpty());
    }

    /**
     * The dump walks loopback's list, which is not sorted: the device unregistered last has its pools
     * spliced ahead of older orphans, even when its pool ids are lower (a sort by id would put them after).
     */
    @Test
    void shouldDumpTheLatestOrphanedDevicesPoolsFirstWhateverTheirIds() {
        Held older = deviceWithABufferOut("vis-old");
        Held newer = deviceWithABufferOut("vis-new");
        try {
            assertTrue(Integer.compareUnsigned(older.poolId(), newer.poolId()) < 0);
            newer.dev().unregister();
            older.dev().unregister(); // orphaned last: head of loopback's list
            List<PagePoolInfo> dump = Netdev.pagePoolDump();
            assertTrue(indexOf(dump, older.poolId()) < indexOf(dump, newer.poolId()),
                    "hlist_splice_init puts the last unregistered device's pools first: " + dump);
            assertEquals(List.of(), Netdev.pagePoolDump(older.dev().ifindex()), "gone from its device's list");
        } finally {
            older.skb().free();
            newer.skb().free();
        }
        await("released", () -> PagePool.byId(older.poolId()).isEmpty() && PagePool.byId(newer.poolId()).isEmpty());
        assertFalse(PagePool.netdevPools(PagePool.LOOPBACK_IFINDEX).stream()
                .anyMatch(p -> p.id() == older.poolId() || p.id() == newer.poolId()), "released orphans unlisted");
    }

    @Test
    void shouldHideOrphansWhenLoopbackUnregistersAndNeverSendTheirDel() {
        List<String> events = Collections.synchronizedList(new ArrayList<>());
        Held a = deviceWithABufferOut("vis-lo");
        int id = a.poolId();
        NetdevListener l = new NetdevListener() {
            @Override
            public void pagePoolChanged(PagePoolInfo pool) {
                if (pool.id() == id) {
                    events.add("CHANGE ifindex=" + pool.ifindex());
                }
            }

            @Override
            public void pagePoolDeleted(PagePoolInfo pool) {
                if (pool.id() == id) {
                    events.add("DEL");
                }
            }
        };
        Netdev.addListener(l);
        try {
            a.dev().unregister();
            assertEquals(List.of("CHANGE ifindex=OptionalInt[" + a.dev().ifindex() + "]", "CHANGE ifindex=OptionalInt.empty"),
                    events, "detached while the device was there, then orphaned to loopback");
            assertEquals(1, Netdev.pagePoolGet(id).inflight());

            assertTrue(Netdev.unregisterLoopback().contains(id));
            assertEquals(PagePool.Visibility.INVISIBLE, PagePool.byId(id).orElseThrow().visibility());
            ErrnoException e = assertThrows(ErrnoException.class, () -> Netdev.pagePoolGet(id));
            assertEquals(Errno.ENOENT, e.errno());
            assertEquals("page pool " + id + " not found", e.getMessage());
            e = assertThrows(ErrnoException.class, () -> Netdev.pagePoolStats(id));
            assertEquals(Errno.ENOENT, e.errno());
            assertFalse(Netdev.pagePoolDump().stream().anyMatch(i -> i.id() == id), "left out of the dump");
            assertEquals(List.of(), Netdev.unregisterLoopback().stream().filter(x -> x == id).toList(),
                    "wiped once");

            a.skb().free();
            await("released", () -> PagePool.byId(id).isEmpty());
            assertEquals(2, events.size(), "an invisible pool is unlisted without a DEL: " + events);
        } finally {
            Netdev.removeListener(l);
        }
    }

    private static int indexOf(List<PagePoolInfo> dump, int id) {
        for (int i = 0; i < dump.size(); i++) {
            if (dump.get(i).id() == id) {
                return i;
            }
        }
        throw new AssertionError("pool " + id + " not in " + dump);
    }
}
