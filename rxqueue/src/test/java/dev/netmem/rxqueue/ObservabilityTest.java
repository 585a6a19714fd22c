package dev.netmem.rxqueue;

import static dev.netmem.rxqueue.TestSupport.payload;
import static dev.netmem.rxqueue.TestSupport.send;
import static dev.netmem.testsupport.base.Await.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.netmem.api.DmaDevice;
import dev.netmem.api.NetIov;
import dev.netmem.api.PagePool;
import dev.netmem.api.PagePoolStats;
import dev.netmem.rxqueue.netdev.Netdev;
import dev.netmem.rxqueue.netdev.NetdevNlSock;
import dev.netmem.rxqueue.netdev.RxBinding;
import dev.netmem.rxqueue.nic.NetDevice;
import dev.netmem.rxqueue.nic.RxQueue;
import dev.netmem.rxqueue.stack.DevmemSocket;
import dev.netmem.rxqueue.stack.NetStack;
import dev.netmem.rxqueue.wire.PayloadPattern;
import dev.netmem.testsupport.StubQueue;
import dev.netmem.testsupport.TestProvider;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.management.ManagementFactory;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import javax.management.Attribute;
import javax.management.MBeanAttributeInfo;
import javax.management.MBeanServer;
import javax.management.ObjectName;
import jdk.jfr.EventType;
import jdk.jfr.FlightRecorder;
import jdk.jfr.consumer.RecordedEvent;
import org.junit.jupiter.api.Test;

/**
 * What a JMX client and a JFR recording see: every page-pool counter as a named MXBean attribute
 * that reads the live value, the RX queue counters, and the bind / unbind / restart events with the
 * pool, queue and provider as fields.
 */
class ObservabilityTest extends DeviceTestBase {
    /** The page_pool_stats counters as MXBean attributes, in the kernel's order. */
    static final List<String> POOL_COUNTERS = List.of("Fast", "Slow", "SlowHighOrder", "Empty", "Refill", "Waive",
            "Cached", "CacheFull", "Ring", "RingFull", "ReleasedRefcnt");

    private final MBeanServer mbs = ManagementFactory.getPlatformMBeanServer();

    private static long[] counters(PagePoolStats s) {
        return new long[] {s.fast(), s.slow(), s.slowHighOrder(), s.empty(), s.refill(), s.waive(), s.cached(),
            s.cacheFull(), s.ring(), s.ringFull(), s.releasedRefcnt()};
    }

    private long[] attributes(ObjectName name) throws Exception {
        List<Attribute> got = mbs.getAttributes(name, POOL_COUNTERS.toArray(String[]::new)).asList();
        assertEquals(POOL_COUNTERS, got.stream().map(Attribute::getName).toList(), "every counter is readable");
        return got.stream().mapToLong(a -> (Long) a.getValue()).toArray();
    }

    /** Whether, at one moment, each named attribute equals the pool's counter of that name. */
    private boolean attributesMatch(ObjectName name, PagePool pool) {
        try {
            return Arrays.equals(counters(pool.stats()), attributes(name));
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void shouldExposeEachPagePoolCounterAsANamedAttributeReadingTheLiveValue() throws Exception {
        NetDevice dev = device(NetDevice.builder("mxb").ringSize(16));
        dev.open();
        PagePool pool = dev.rxQueue(0).pagePool();
        ObjectName pn = new ObjectName(Netdev.poolMBeanName(pool.id()));
        Set<String> names = Arrays.stream(mbs.getMBeanInfo(pn).getAttributes()).map(MBeanAttributeInfo::getName)
                .collect(Collectors.toSet());
        assertTrue(names.containsAll(POOL_COUNTERS), names.toString());
        assertFalse(names.contains("Stats") || names.contains("StatNames"), "no bare array: " + names);
        for (String c : POOL_COUNTERS) {
            assertEquals("long", Arrays.stream(mbs.getMBeanInfo(pn).getAttributes())
                    .filter(a -> a.getName().equals(c)).findFirst().orElseThrow().getType(), c);
        }
        long slow = (long) mbs.getAttribute(pn, "Slow");
        assertTrue(slow > 0, "the descriptor ring was filled through the slow path: Slow=" + slow);

        DevmemSocket s = NetStack.of(dev).openSocket(80);
        for (int i = 0; i < 40; i++) {
            send(dev, 1, 80, payload(PayloadPattern.repeating(7), i * 3000L, 3000));
        }
        await("queued", () -> s.queuedBytes() == 40 * 3000);
        await("each attribute reads the pool's counter", () -> attributesMatch(pn, pool));
        long ringBefore = (long) mbs.getAttribute(pn, "Ring");
        MemorySegment iov = Arena.ofAuto().allocate(1 << 20);
        int got = 0;
        while (got < 40 * 3000) {
            int n = s.recvmsg(iov, new ArrayList<>(), 0, Duration.ofSeconds(5));
            assertTrue(n > 0, "received " + got);
            got += n;
        }
        // the reader's puts come from outside the NAPI: into the ring
        await("the Ring attribute follows the reader's puts", () -> {
            try {
                return (long) mbs.getAttribute(pn, "Ring") > ringBefore;
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        });
        await("each attribute still reads the pool's counter", () -> attributesMatch(pn, pool));
        s.close();
    }

    @Test
    void shouldExposeTheRxQueueCountersIncludingTheIoUringOnes() throws Exception {
        NetDevice dev = device(NetDevice.builder("mxq").ringSize(16));
        dev.open();
        RxQueue q = dev.rxQueue(0);
        ObjectName qn = new ObjectName(Netdev.queueMBeanName(dev.ifindex(), 0));
        Set<String> names = Arrays.stream(mbs.getMBeanInfo(qn).getAttributes()).map(MBeanAttributeInfo::getName)
                .collect(Collectors.toSet());
        assertTrue(names.containsAll(List.of("RxPackets", "RxBytes", "RxAllocFail", "RxDropped", "RxMissed",
                "RxNoBufs", "RxRearms", "RxConnEnds")), names.toString());
        DevmemSocket s = NetStack.of(dev).openSocket(80);
        send(dev, 1, 80, payload(PayloadPattern.repeating(7), 0, 3000));
        await("queued", () -> s.queuedBytes() == 3000);
        assertEquals(1L, (long) mbs.getAttribute(qn, "RxPackets"));
        assertEquals(q.rxNoBufs(), (long) mbs.getAttribute(qn, "RxNoBufs"));
        assertEquals(q.rxRearms(), (long) mbs.getAttribute(qn, "RxRearms"));
        assertEquals(q.rxConnEnds(), (long) mbs.getAttribute(qn, "RxConnEnds"));
        s.close();
    }

    @Test
    void shouldAllocateNothingOnTheEventedSlowPathsWhileNoRecordingEnablesThem() throws Exception {
        // com.sun.management.ThreadMXBean (jdk.management), reached reflectively: this module does not read it
        Object threads = ManagementFactory.getThreadMXBean();
        Method allocated = Class.forName("com.sun.management.ThreadMXBean").getMethod("getCurrentThreadAllocatedBytes");
        TestProvider mp = TestProvider.dmabuf(1);
        PagePool pool = PagePool.create(StubQueue.poolParams(mp, new DmaDevice("jfr-off", true)).build());
        NetIov only = pool.alloc();
        try {
            long emptyMeasure = -((long) allocated.invoke(threads) - (long) allocated.invoke(threads));
            long[] perRound = new long[4];
            for (int round = 0; round < perRound.length; round++) {
                long before = (long) allocated.invoke(threads);
                for (int i = 0; i < 10_000; i++) {
                    if (pool.alloc() != null) {
                        throw new AssertionError("the provider has one buffer, and it is out");
                    }
                }
                perRound[round] = (long) allocated.invoke(threads) - before - emptyMeasure;
            }
            System.out.println("bytes allocated per 10000 failed allocations, by round: " + Arrays.toString(perRound));
            // the first round also links and loads what the path uses once; after it, less than a byte per
            // failure (the JIT may allocate a few hundred bytes now and then; a built event costs ~24 each)
            assertTrue(java.util.Arrays.stream(perRound).skip(1).min().orElseThrow() < 10_000,
                    "the allocation-failure hook must return before building anything: " + Arrays.toString(perRound));
            assertTrue(perRound[0] < 10_000, "not one allocation per failure: " + Arrays.toString(perRound));
        } finally {
            pool.putFullPage(only, false);
            pool.destroy();
        }
    }

    @Test
    void shouldDocumentEveryEventAndAttributeInTheReadmesObservabilitySection() throws Exception {
        Path readme = Path.of("..", "README.md");
        assumeTrue(Files.exists(readme), "no README beside the module: " + readme.toAbsolutePath());
        String text = Files.readString(readme);
        int from = text.indexOf("## Observability");
        assertTrue(from >= 0, "the README has an Observability section");
        String section = text.substring(from, text.indexOf("\n## ", from + 1));
        NetDevice dev = device(NetDevice.builder("doc").ringSize(16));
        dev.open();
        dev.restartQueue(0); // initialises every event class of both modules
        List<String> undocumented = new ArrayList<>();
        for (EventType t : FlightRecorder.getFlightRecorder().getEventTypes()) {
            if (t.getName().startsWith("dev.netmem.") && !section.contains("`" + t.getName() + "`")) {
                undocumented.add(t.getName());
            }
        }
        for (ObjectName n : List.of(new ObjectName(Netdev.poolMBeanName(dev.rxQueue(0).pagePool().id())),
                new ObjectName(Netdev.queueMBeanName(dev.ifindex(), 0)))) {
            for (MBeanAttributeInfo a : mbs.getMBeanInfo(n).getAttributes()) {
                if (!section.contains("`" + a.getName() + "`")) {
                    undocumented.add(n.getKeyProperty("type") + "." + a.getName());
                }
            }
        }
        assertEquals(List.of(), undocumented);
        assertTrue(section.contains("`dev.netmem.UringRearm`") && section.contains("`dev.netmem.pagepool`"), section);
    }

    @Test
    void shouldRecordBindRestartAndUnbindWithPoolQueueAndProvider() throws Exception {
        try (JfrRecorder jfr = JfrRecorder.record("dev.netmem.RxBind", "dev.netmem.RxUnbind",
                "dev.netmem.RxQueueRestart", "dev.netmem.PagePoolCreated", "dev.netmem.PagePoolReleased")) {
            NetDevice dev = device(NetDevice.builder("jfr").rxQueues(2).ringSize(16));
            dev.open();
            int ifindex = dev.ifindex();
            int hostPool = dev.rxQueue(1).pagePool().id();
            RecordedEvent created = jfr.await("dev.netmem.PagePoolCreated", e -> e.getInt("poolId") == hostPool);
            assertEquals(ifindex, created.getInt("ifindex"));
            assertEquals(1, created.getInt("queue"));
            assertEquals("host", created.getString("provider"));

            TestProvider mp = TestProvider.dmabuf(64);
            NetdevNlSock nl = Netdev.open();
            RxBinding b = nl.bindRx(dev, mp, 1);
            int boundPool = dev.rxQueue(1).pagePool().id();

            RecordedEvent restart = jfr.await("dev.netmem.RxQueueRestart", e -> e.getInt("ifindex") == ifindex);
            assertEquals(1, restart.getInt("queue"));
            assertEquals(hostPool, restart.getInt("oldPoolId"));
            assertEquals(boundPool, restart.getInt("poolId"));
            assertEquals("dmabuf", restart.getString("provider"));
            assertEquals(b.id(), restart.getLong("providerId"));
            assertFalse(restart.getDuration().isNegative());

            RecordedEvent bind = jfr.await("dev.netmem.RxBind", e -> e.getInt("ifindex") == ifindex);
            assertEquals(1, bind.getInt("queue"));
            assertEquals(b.id(), bind.getLong("bindingId"));
            assertEquals("dmabuf", bind.getString("provider"));
            assertEquals(b.id(), bind.getLong("providerId"));

            RecordedEvent bound = jfr.await("dev.netmem.PagePoolCreated", e -> e.getInt("poolId") == boundPool);
            assertEquals(ifindex, bound.getInt("ifindex"));
            assertEquals(1, bound.getInt("queue"));
            assertEquals("dmabuf", bound.getString("provider"));
            assertEquals(b.id(), bound.getLong("providerId"));
            RecordedEvent hostGone = jfr.await("dev.netmem.PagePoolReleased", e -> e.getInt("poolId") == hostPool);
            assertEquals("host", hostGone.getString("provider"));

            nl.close(); // the owner goes away: unbind, restart back on host pages
            int backPool = dev.rxQueue(1).pagePool().id();
            RecordedEvent unbind = jfr.await("dev.netmem.RxUnbind", e -> e.getInt("ifindex") == ifindex);
            assertEquals(1, unbind.getInt("queue"));
            assertEquals(b.id(), unbind.getLong("bindingId"));
            assertEquals("dmabuf", unbind.getString("provider"));
            RecordedEvent back = jfr.await("dev.netmem.RxQueueRestart", e -> e.getInt("ifindex") == ifindex);
            assertEquals(boundPool, back.getInt("oldPoolId"));
            assertEquals(backPool, back.getInt("poolId"));
            assertEquals("host", back.getString("provider"));
            assertEquals(0L, back.getLong("providerId"));
            RecordedEvent boundGone = jfr.await("dev.netmem.PagePoolReleased", e -> e.getInt("poolId") == boundPool);
            assertEquals("dmabuf", boundGone.getString("provider"));
            assertEquals(1, boundGone.getInt("queue"));

            dev.restartQueue(0); // a restart outside any binding
            RecordedEvent plain = jfr.await("dev.netmem.RxQueueRestart", e -> e.getInt("ifindex") == ifindex);
            assertEquals(0, plain.getInt("queue"));
            assertEquals(dev.rxQueue(0).pagePool().id(), plain.getInt("poolId"));
            assertEquals(List.of(), jfr.received(e -> e.getEventType().getName().equals("dev.netmem.RxBind")
                    && e.getInt("ifindex") == ifindex), "one bind event per bound queue");
        }
    }
}
