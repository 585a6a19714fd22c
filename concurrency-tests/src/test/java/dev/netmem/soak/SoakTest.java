package dev.netmem.soak;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.netmem.api.NetIov;
import dev.netmem.api.PagePool;
import dev.netmem.api.PagePoolParams;
import dev.netmem.providers.host.HostPageProvider;
import dev.netmem.testsupport.TestProvider;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** A short soak with every fault on, and proof that its checks can fail. */
class SoakTest {
    private static final long SEED = 20251121L;

    @Test
    @Timeout(300)
    void shouldSoakEveryProviderWithEveryFaultAndLeakNothing() throws Exception {
        System.out.println("SoakTest seed=" + SEED);
        ByteArrayOutputStream text = new ByteArrayOutputStream();
        SoakReport r;
        try (PrintStream log = new PrintStream(text, true, StandardCharsets.UTF_8)) {
            r = new Soak(new SoakOptions(20, SEED, 0.05, 2, false), log).run();
        }
        String report = text.toString(StandardCharsets.UTF_8) + r.text();
        System.out.println(report);
        assertEquals(0, r.violations(), report);
        assertEquals(List.of(), r.leaks(), report);
        assertTrue(r.ok(), report);
        assertTrue(r.buffersCycled() > 0 && r.packetsReceived() > 0, report);
        assertTrue(r.injectedHost() > 0 && r.injectedDmabuf() > 0 && r.injectedUserRing() > 0,
                "allocation failures injected into every provider kind: " + report);
        assertTrue(r.rxAllocFail() > 0, report);
        assertEquals(2, r.kills().size(), report);
        assertEquals(2, r.killsOk(), report);
        // a detached pool whose netdev is still registered never warns (the kernel's rule)
        assertTrue(r.longHolds() > 0 && r.stallWarnings() == 0, report);
        assertEquals(r.longHolds(), r.heldReleased(), "every long-held pool was released: " + report);
        assertTrue(r.binds() > 3 && r.unbinds() > 3 && r.poolsDetached() > 0, report);
        // a user ring unbound while traffic ran has its area freed once every buffer is home, not at the end
        assertTrue(r.areasReclaimed() > 0, "user-ring areas freed on the way: " + report);
        assertTrue(r.json().contains("\"areas_reclaimed\":" + r.areasReclaimed() + ","), r.json());
        assertEquals(r.poolsCreated(), r.poolsReleased(), report);
        assertTrue(r.json().contains("\"leaks\":0,"), r.json());
    }

    @Test
    void shouldReportAnUnbalancedSample() {
        Violations v = new Violations();
        PoolChecker c = new PoolChecker(v);
        c.check(7, false, PagePool.State.ACTIVE, 10, 10, 0, 10, 10, null);
        assertEquals(0, v.count(), v.details().toString());
        c.check(7, false, PagePool.State.ACTIVE, 11, 10, 0, 11, 10, null);
        assertTrue(v.details().getFirst().contains("release > hold (negative inflight -1)"), v.details().toString());
        c.check(8, false, PagePool.State.RELEASED, 5, 6, 1, 5, 6, null);
        assertTrue(v.details().getLast().contains("RELEASED with inflight != 0"), v.details().toString());
        c.check(9, true, PagePool.State.ACTIVE, 5, 5, 0, 5, 5, null);
        assertTrue(v.details().getLast().contains("a detach time while ACTIVE"), v.details().toString());
        c.check(10, false, PagePool.State.ACTIVE, 5, 9, 7, 5, 9, null);
        assertTrue(v.details().getLast().contains("inflight outside"), v.details().toString());
    }

    @Test
    void shouldReportAPoolKeptByABufferThatNeverCameHomeAsALeak() {
        Violations v = new Violations();
        PoolChecker c = new PoolChecker(v);
        PagePool.addListener(c);
        try (HostPageProvider host = HostPageProvider.create(1L << 20)) {
            PagePool pool = PagePool.create(PagePoolParams.builder().hostPages(host).poolSize(64)
                    .releaseRetry(Duration.ofMillis(50)).leakTracking(true).build());
            NetIov kept = pool.alloc();
            pool.destroy();
            c.sampleAll();
            List<String> leaks = c.audit();
            assertEquals(1, leaks.size(), leaks.toString());
            assertTrue(leaks.getFirst().startsWith("pool " + pool.id() + " DESTROYING inflight 1, allocated at "),
                    leaks.getFirst());
            assertTrue(leaks.getFirst().contains(SoakTest.class.getName()), "names this test as the holder");
            pool.putFullPage(kept, false);
            assertEquals(List.of(), c.audit());
            assertEquals(0, v.count(), v.details().toString());
            assertEquals(1, c.created());
            assertEquals(1, c.detached());
            assertEquals(1, c.released());
        } finally {
            PagePool.removeListener(c);
        }
    }

    @Test
    void shouldInjectFailuresAtTheSetRateOnlyWhenArmedAndNotOnExemptThreads() {
        AtomicLong injected = new AtomicLong();
        try (HostPageProvider host = HostPageProvider.create(1L << 20)) {
            FaultInjectingProvider all = new FaultInjectingProvider(host, 1.0, 1, injected);
            PagePool pool = PagePool.create(PagePoolParams.builder().hostPages(all).poolSize(64).build());
            NetIov a = pool.alloc();
            pool.putFullPage(a, false);
            assertEquals(0, injected.get(), "not armed");
            pool.destroy();
            all.arm(true);
            PagePool p2 = PagePool.create(PagePoolParams.builder().hostPages(all).poolSize(64).build());
            assertNull(p2.alloc());
            assertEquals(1, injected.get());
            all.exempt(Thread.currentThread());
            NetIov b = p2.alloc();
            assertFalse(b == null);
            p2.putFullPage(b, false);
            p2.destroy();
        }
        TestProvider noMemory = TestProvider.dmabuf(1);
        noMemory.failAllocs(Integer.MAX_VALUE); // only the wrapper's decisions are counted
        FaultInjectingProvider some = new FaultInjectingProvider(noMemory, 0.25, 42, injected);
        some.arm(true);
        long before = injected.get();
        int calls = 40_000;
        for (int i = 0; i < calls; i++) {
            some.allocNetmems(null);
        }
        long failed = injected.get() - before;
        double rate = failed / (double) calls;
        assertTrue(rate > 0.23 && rate < 0.27, "rate " + rate);
        assertEquals(calls - failed, noMemory.allocCalls(), "every call not failed reached the provider");
    }

    /** The first armed call fails whenever the rate is above 0, so a provider bound briefly still meets the fault. */
    @Test
    void shouldFailTheFirstArmedCallUnlessTheRateIsZero() {
        AtomicLong injected = new AtomicLong();
        TestProvider mem = TestProvider.dmabuf(1);
        mem.failAllocs(Integer.MAX_VALUE); // only the wrapper's decisions are counted
        FaultInjectingProvider rare = new FaultInjectingProvider(mem, 1e-12, 7, injected);
        rare.allocNetmems(null); // not armed: not a call of the sequence
        rare.arm(true);
        for (int i = 0; i < 1000; i++) {
            rare.allocNetmems(null);
        }
        assertEquals(1, injected.get(), "the first armed call, and no other at a rate of 1e-12");
        assertEquals(1000, mem.allocCalls(), "the unarmed call and 999 armed ones reached the provider");
        FaultInjectingProvider never = new FaultInjectingProvider(mem, 0, 7, injected);
        never.arm(true);
        for (int i = 0; i < 1000; i++) {
            never.allocNetmems(null);
        }
        assertEquals(1, injected.get(), "a rate of 0 injects nothing, not even the first");
    }

    @Test
    void shouldRejectBadUsageWithOneLineAndExitTwo() throws Exception {
        String[][] cases = {
            {"netmem soak: --seconds must be in [1, 86400]: 0", "--seconds", "0"},
            {"netmem soak: Missing required parameter for option '--seconds' (N)", "--seconds"},
            {"netmem soak: Invalid value for option '--fail-rate': 'x' is not a double", "--fail-rate", "x"},
            {"netmem soak: --fail-rate must be in [0, 0.5]: 0.9", "--fail-rate", "0.9"},
            {"netmem soak: Unknown option: '--frobnicate'", "--frobnicate"},
            {"netmem soak: --kills must be in [0, 100]: -1", "--kills", "-1"}};
        for (String[] c : cases) {
            ByteArrayOutputStream err = new ByteArrayOutputStream();
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            List<String> args = List.of(c).subList(1, c.length);
            int exit = SoakMain.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                    new PrintStream(err, true, StandardCharsets.UTF_8));
            assertEquals(2, exit, String.join(" ", args));
            assertEquals(c[0] + " (see ./netmem soak --help)\n", err.toString(StandardCharsets.UTF_8));
            assertEquals("", out.toString(StandardCharsets.UTF_8));
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        assertEquals(0, SoakMain.run(List.of("--help"), new PrintStream(out, true, StandardCharsets.UTF_8), System.err));
        assertTrue(out.toString(StandardCharsets.UTF_8).startsWith("Usage: netmem soak [-h] [--debug] [--json]"),
                out.toString(StandardCharsets.UTF_8));
        assertTrue(out.toString(StandardCharsets.UTF_8).contains("  0   no invariant was violated and nothing leaked"));
    }
}
