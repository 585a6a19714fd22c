package dev.netmem.soak;

import dev.netmem.api.PagePool;
import dev.netmem.providers.host.HostPageProvider;
import dev.netmem.rxqueue.nic.NetDevice;
import dev.netmem.rxqueue.nic.RxQueue;
import dev.netmem.rxqueue.stack.NetStack;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * The soak: one emulated NIC with four RX queues, one flow of verified synthetic traffic each, while a
 * chaos thread binds and unbinds providers and restarts queues, and a checker thread samples every
 * page pool ({@link PoolChecker}).
 *
 * <pre>
 *   queue 0  host pages                        copy receive (recvmsg)
 *   queue 1  dmabuf, fault-injecting binding   devmem recvmsg, tokens freed late and out of order
 *   queue 2  zcrx user ring, fault-injecting   recvZc + user ring, buffers refilled late, out of order
 *   queue 3  dmabuf through netlink, or none   devmem recvmsg (copy while unbound)
 *   soak1    one queue, host pages, no split   copy receive of 64-256 byte packets ({@link RestartFlow})
 * </pre>
 * Host pages (every header pool, and the queues while unbound) fail allocations at the set rate too.
 * Faults: provider allocation failures; buffers held across an unbind (the old pool detaches, warns
 * with the allocation sites recorded by leak tracking, and is released when the last buffer comes
 * home); a demo consumer process SIGKILLed while it holds buffers ({@link ConsumerKill}).
 *
 * <p>This class runs the phases; each job is a collaborator: {@link Traffic} (wires and receivers),
 * {@link Bindings} (the control path), {@link Chaos} (control-plane faults and consumer kills),
 * {@link Faults} (allocation failures), {@link LateFrees} (token returns), {@link TokenLedger} (what
 * the user holds), {@link PoolChecker} (pool invariants) and {@link Audit} (flow ends, teardown,
 * leaks).
 *
 * <p>Threads: four wires, four NAPIs, two receivers, one freer (late token returns), one chaos, one
 * checker, and the demo's threads while a kill runs.
 */
final class Soak {
    static final int QUEUES = 4;
    static final int RING = 256;

    private final SoakOptions o;
    private final PrintStream log;
    private final Violations violations = new Violations();
    private final PoolChecker checker = new PoolChecker(violations);
    private final TokenLedger ledger = new TokenLedger(violations);
    private final StallLog stallLog = new StallLog();
    /** The control path's coin: chaos decisions and how flow 3 is unbound. */
    private final Random controlRandom;
    private final Faults faults;
    private final List<Flow> flows;
    private final LateFrees lateFrees;
    private final Traffic traffic;

    Soak(SoakOptions o, PrintStream log) {
        this.o = o;
        this.log = log;
        this.controlRandom = new Random(o.seed());
        this.faults = new Faults(o.failRate(), o.seed());
        this.flows = Flow.forSoak(o.seed(), violations);
        this.lateFrees = new LateFrees(flows, ledger, violations, o.seed());
        this.traffic = new Traffic(flows, ledger, lateFrees, violations, o.seed());
    }

    /** The device under test, its host pages and its control path. */
    private record Rig(HostPageProvider host, NetDevice dev, Bindings bindings, RestartFlow restartFlow) {
    }

    /** Runs the soak and returns its report. */
    SoakReport run() throws Exception {
        faults.exempt(Thread.currentThread());
        Path dir = Files.createTempDirectory(Files.isDirectory(Path.of("/dev/shm")) ? Path.of("/dev/shm")
                : Path.of(System.getProperty("java.io.tmpdir")), "netmem-soak-" + ProcessHandle.current().pid() + "-");
        log.printf("netmem soak: seed %d, %d s, provider allocation fail rate %s, %d consumer kill(s), files in %s%n",
                o.seed(), o.seconds(), o.failRate(), o.kills(), dir);
        PagePool.addListener(checker);
        PagePool.addListener(ledger);
        stallLog.install();
        long start = System.nanoTime();
        Rig rig = null;
        Chaos chaos = null;
        try {
            rig = setUp(dir);
            chaos = startTraffic(rig);
            runFor(start, rig.bindings());
            stopTraffic(chaos, rig.restartFlow());
            return finish(rig, chaos, dir, (System.nanoTime() - start) / 1e9);
        } finally {
            if (chaos != null) {
                chaos.abort();
            }
            traffic.signalStop();
            lateFrees.stopAndFlush();
            checker.stopSampling(10_000);
            lateFrees.join(10_000);
            traffic.stopReceivers(10_000);
            if (rig != null) {
                rig.restartFlow().close();
                rig.dev().unregister();
            }
            PagePool.removeListener(checker);
            PagePool.removeListener(ledger);
            stallLog.uninstall();
            Audit.deleteDir(dir);
        }
    }

    /** The device (host pages failing at the set rate), one socket per flow, flows 1 to 3 bound. */
    private Rig setUp(Path dir) {
        HostPageProvider host = HostPageProvider.create(256L << 20);
        NetDevice dev = NetDevice.builder("soak0").rxQueues(QUEUES).ringSize(RING).headerSplit(true, 0)
                .hostPages(faults.wrap(host, Faults.Kind.HOST)).stallWarn(Chaos.STALL_WARN).leakTracking(true)
                .build();
        try {
            for (int q = 0; q < QUEUES; q++) {
                dev.addFlowRule(Flow.PORT_BASE + q, q);
            }
            dev.open();
            for (Flow f : flows) {
                f.sock = NetStack.of(dev).openSocket(f.port);
            }
            Bindings bindings = new Bindings(dev, dir, faults, ledger, traffic, controlRandom);
            for (Flow f : flows.subList(1, QUEUES)) {
                bindings.bind(f);
            }
            return new Rig(host, dev, bindings, RestartFlow.create(violations));
        } catch (RuntimeException | Error e) {
            dev.unregister();
            throw e;
        }
    }

    /** Starts the checker, the freer, the receivers and the wires, then arms the faults and starts the chaos. */
    private Chaos startTraffic(Rig rig) {
        checker.startSampling();
        lateFrees.start();
        traffic.startReceivers();
        traffic.startWires(rig.dev());
        rig.restartFlow().start(o.seed());
        faults.arm(true);
        Chaos chaos = new Chaos(o, rig.dev(), flows, rig.bindings(), rig.restartFlow(), lateFrees, ledger, stallLog,
                violations, controlRandom);
        chaos.start(faults);
        return chaos;
    }

    /**
     * Stops the chaos and the faults, then the wires (the restart flow checks its stream); once the queues are quiet stops the receivers and
     * returns every held token; receives what is left.
     */
    private void stopTraffic(Chaos chaos, RestartFlow restartFlow) throws InterruptedException {
        chaos.stop();
        faults.arm(false);
        restartFlow.finish();
        log.println(restartFlow.summary());
        traffic.closeWires();
        traffic.awaitQuiet();
        traffic.stopReceivers(0);
        lateFrees.stopAndFlush();
        lateFrees.join(0);
        traffic.drainAll();
    }

    /** Checks each flow's end, tears the device down, audits what leaked and builds the report. */
    private SoakReport finish(Rig rig, Chaos chaos, Path dir, double seconds) throws InterruptedException {
        NetDevice dev = rig.dev();
        Audit audit = new Audit(dev, rig.host(), rig.bindings(), checker, violations);
        for (Flow f : flows) {
            audit.checkFlowEnd(f);
        }
        long rxAllocFail = 0;
        long rxMissed = 0;
        long rxDropped = 0;
        for (int q = 0; q < QUEUES; q++) {
            RxQueue rq = dev.rxQueue(q);
            rxAllocFail += rq.rxAllocFail();
            rxMissed += rq.rxMissed();
            rxDropped += rq.rxDropped();
        }
        rig.restartFlow().close(); // its pools are audited with the others
        audit.teardown(flows);
        checker.stopSampling(0);
        List<String> leaks = new ArrayList<>(checker.audit());
        audit.auditProviders(leaks, dir);
        Bindings b = rig.bindings();
        long sent = traffic.packetsSent();
        long received = traffic.packetsVerified();
        return new SoakReport(o.seed(), seconds, o.failRate(), sent, received, traffic.bytesVerified(),
                sent - received, checker.buffersCycled(), checker.buffersHeld(), b.binds(), b.unbinds(), b.restarts(),
                chaos.refused(), b.areasReclaimed(), checker.created(), checker.released(), checker.detached(), chaos.longHolds(),
                chaos.stallWarnings(), chaos.stallSample(), chaos.heldReleased(), faults.injected(Faults.Kind.HOST),
                faults.injected(Faults.Kind.DMABUF), faults.injected(Faults.Kind.USER_RING), rxAllocFail, rxMissed,
                rxDropped, chaos.killLines(), chaos.killsOk(), checker.samples(), violations.count(),
                violations.details(), leaks);
    }

    /** Lets traffic and chaos run for the set time, with a progress line every 5 s. */
    private void runFor(long start, Bindings bindings) throws InterruptedException {
        long end = start + o.seconds() * 1_000_000_000L;
        long nextProgress = System.nanoTime() + 5_000_000_000L;
        while (System.nanoTime() < end) {
            Thread.sleep(Math.min(200, Math.max(1, (end - System.nanoTime()) / 1_000_000)));
            if (System.nanoTime() >= nextProgress) {
                nextProgress += 5_000_000_000L;
                log.printf("  %5.1f s  %,d packets verified, %,d buffers cycled, binds %d, restarts %d, faults injected "
                        + "%,d, violations %d%n", (System.nanoTime() - start) / 1e9, traffic.packetsVerified(),
                        checker.buffersCycled(), bindings.binds(), bindings.restarts(), faults.injectedTotal(),
                        violations.count());
            }
        }
    }

    /** The soak's sleep: an interrupt ends it early and stays set. */
    static void sleepMillis(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
