package dev.netmem.soak;

import dev.netmem.api.Errno;
import dev.netmem.api.ErrnoException;
import dev.netmem.api.PagePool;
import dev.netmem.api.PagePoolListener;
import dev.netmem.api.spi.MemoryProvider;
import dev.netmem.cli.OneLineLogFormat;
import dev.netmem.providers.dmabuf.Dmabuf;
import dev.netmem.providers.dmabuf.DmabufBinding;
import dev.netmem.providers.host.HostPageProvider;
import dev.netmem.providers.zcrx.ZcrxArea;
import dev.netmem.providers.zcrx.ZcrxIfq;
import dev.netmem.providers.zcrx.ZcrxUserRing;
import dev.netmem.rxqueue.netdev.Netdev;
import dev.netmem.rxqueue.netdev.NetdevNlSock;
import dev.netmem.rxqueue.netdev.RxBinding;
import dev.netmem.rxqueue.nic.NetDevice;
import dev.netmem.rxqueue.nic.RxQueue;
import dev.netmem.rxqueue.stack.DevmemRecord;
import dev.netmem.rxqueue.stack.DevmemSocket;
import dev.netmem.rxqueue.stack.DmabufToken;
import dev.netmem.rxqueue.stack.NetStack;
import dev.netmem.rxqueue.wire.SyntheticWire;
import dev.netmem.rxqueue.zcrx.IoUringZcrx;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

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
 * </pre>
 * Host pages (every header pool, and the queues while unbound) fail allocations at the set rate too.
 * Faults: provider allocation failures; buffers held across an unbind (the old pool detaches, warns
 * with the allocation sites recorded by leak tracking, and is released when the last buffer comes
 * home); a demo consumer process SIGKILLed while it holds buffers ({@link ConsumerKill}).
 *
 * <p>Threads: four wires, four NAPIs, two receivers, one freer (late token returns), one chaos, one
 * checker, and the demo's threads while a kill runs.
 */
final class Soak {
    static final int QUEUES = 4;
    static final int RING = 256;
    private static final int PORT_BASE = 7000;
    private static final long AREA_BYTES = 4L << 20;
    private static final int[] PACKET_SIZES = {1500, 4000, 2900, 3500};
    private static final long PPS_PER_FLOW = 3000;
    private static final Duration STALL_WARN = Duration.ofMillis(400);
    private static final long MAX_FREE_DELAY_NS = 30_000_000L;

    private final SoakOptions o;
    private final PrintStream log;
    private final Violations violations = new Violations();
    private final PoolChecker checker = new PoolChecker(violations);
    private final Random chaosRandom;
    private final AtomicLong injectedHost = new AtomicLong();
    private final AtomicLong injectedDmabuf = new AtomicLong();
    private final AtomicLong injectedUserRing = new AtomicLong();
    private final List<FaultInjectingProvider> faulty = new CopyOnWriteArrayList<>();
    private final List<Thread> controlThreads = new CopyOnWriteArrayList<>();
    /** Dma-buf binding generations by binding id; registered when the binding's first pool is created. */
    private final Map<Long, Gen> gens = new ConcurrentHashMap<>();
    /** (binding id, chunk) of every dma-buf chunk a held token refers to: {count, end offset in chunk}. */
    private final Map<Long, int[]> outstanding = new ConcurrentHashMap<>();
    private final List<DmabufBinding> allBindings = new CopyOnWriteArrayList<>();
    private final List<ZcrxIfq> allIfqs = new CopyOnWriteArrayList<>();
    private final List<Arena> areaArenas = new CopyOnWriteArrayList<>();
    private final StallLog stallLog = new StallLog();
    private final Freer freer;
    private final long[] queueRestarts = new long[QUEUES];
    private final List<String> killLines = new CopyOnWriteArrayList<>();
    private final AtomicLong killsOk = new AtomicLong();

    private Path dir;
    private HostPageProvider host;
    private NetDevice dev;
    private final Flow[] flows = new Flow[QUEUES];
    private volatile boolean faultsArmed;
    private volatile boolean stopChaos;
    private volatile boolean stopReceivers;
    private volatile boolean stopChecker;
    private long binds;
    private long unbinds;
    private long restarts;
    private long refused;
    private long longHolds;
    private long stallWarnings;
    private String stallSample;
    private final List<PagePool> heldPools = new ArrayList<>();

    Soak(SoakOptions o, PrintStream log) {
        this.o = o;
        this.log = log;
        this.chaosRandom = new Random(o.seed());
        this.freer = new Freer();
    }

    /** One binding generation of a dma-buf flow. */
    static final class Gen {
        final DmabufBinding binding;
        volatile long pinnedUntil;

        Gen(DmabufBinding binding) {
            this.binding = binding;
        }
    }

    /** How a flow receives now. */
    enum Mode { COPY, DEVMEM, ZC }

    /** One flow: a wire into one queue and its socket; receive state is guarded by {@link #lock}. */
    final class Flow {
        final int index;
        final int port;
        final SeqPattern pattern;
        final SeqPattern.Verifier verifier;
        final ReentrantLock lock = new ReentrantLock();
        final MemorySegment iov = Arena.ofAuto().allocate(256 << 10);
        final List<DevmemRecord> records = new ArrayList<>();
        final List<long[]> heldCqes = new ArrayList<>();
        final Random random;
        DevmemSocket sock;
        SyntheticWire wire;
        volatile Mode mode;
        // queue 1 and 3: the current dma-buf binding
        RxBinding binding;
        DmabufBinding dmabufBinding;
        NetdevNlSock nl;
        // queue 2: the current ifq
        ZcrxIfq ifq;
        ZcrxUserRing ring;

        Flow(int index, Mode mode) {
            this.index = index;
            this.port = PORT_BASE + index;
            this.mode = mode;
            this.pattern = new SeqPattern(PACKET_SIZES[index], o.seed() * 31 + index);
            this.verifier = new SeqPattern.Verifier(pattern, violations, "flow " + index);
            this.random = new Random(o.seed() + 1000 + index);
        }

        boolean bound() {
            return binding != null;
        }
    }

    /** Runs the soak and returns its report. */
    SoakReport run() throws Exception {
        controlThreads.add(Thread.currentThread());
        dir = Files.createTempDirectory(Files.isDirectory(Path.of("/dev/shm")) ? Path.of("/dev/shm")
                : Path.of(System.getProperty("java.io.tmpdir")), "netmem-soak-" + ProcessHandle.current().pid() + "-");
        log.printf("netmem soak: seed %d, %d s, provider allocation fail rate %s, %d consumer kill(s), files in %s%n",
                o.seed(), o.seconds(), o.failRate(), o.kills(), dir);
        PagePool.addListener(checker);
        PagePoolListener genRegistry = new PagePoolListener() {
            @Override
            public void added(PagePool pool) {
                MemoryProvider mp = pool.provider();
                if (mp instanceof FaultInjectingProvider f) {
                    mp = f.delegate();
                }
                if (mp instanceof DmabufBinding b) {
                    gens.computeIfAbsent((long) b.id(), id -> new Gen(b));
                }
            }
        };
        PagePool.addListener(genRegistry);
        stallLog.install();
        long start = System.nanoTime();
        List<String> leaks = new ArrayList<>();
        Thread chaos = null;
        Thread checkerThread = null;
        List<Thread> receivers = new ArrayList<>();
        Thread freerThread = null;
        Thread killer = null;
        try {
            host = HostPageProvider.create(256L << 20);
            FaultInjectingProvider hostFaulty = faulty(host, injectedHost, 1);
            dev = NetDevice.builder("soak0").rxQueues(QUEUES).ringSize(RING).headerSplit(true, 0)
                    .hostPages(hostFaulty).stallWarn(STALL_WARN).leakTracking(true).build();
            for (int q = 0; q < QUEUES; q++) {
                dev.addFlowRule(PORT_BASE + q, q);
            }
            dev.open();
            flows[0] = new Flow(0, Mode.COPY);
            flows[1] = new Flow(1, Mode.DEVMEM);
            flows[2] = new Flow(2, Mode.COPY);
            flows[3] = new Flow(3, Mode.DEVMEM);
            for (Flow f : flows) {
                f.sock = NetStack.of(dev).openSocket(f.port);
            }
            bindFaultyDmabuf(flows[1]);
            bindZc(flows[2]);
            bindNativeDmabuf(flows[3]);
            checkerThread = Thread.ofPlatform().name("soak-checker").start(this::checkerLoop);
            freerThread = Thread.ofPlatform().name("soak-freer").start(freer::loop);
            receivers.add(Thread.ofPlatform().name("soak-rx-a").start(() -> receiveLoop(flows[0], flows[1])));
            receivers.add(Thread.ofPlatform().name("soak-rx-b").start(() -> receiveLoop(flows[2], flows[3])));
            for (Flow f : flows) {
                f.wire = SyntheticWire.builder(dev, 40000 + f.index, f.port).sizes(f.pattern.packetSize(),
                        f.pattern.packetSize()).pattern(f.pattern).ratePps(PPS_PER_FLOW).seed(o.seed() + f.index)
                        .start();
            }
            faultsArmed = true;
            for (FaultInjectingProvider p : faulty) {
                p.arm(true);
            }
            chaos = Thread.ofPlatform().name("soak-chaos").unstarted(this::chaosLoop);
            controlThreads.add(chaos);
            for (FaultInjectingProvider p : faulty) {
                p.exempt(chaos);
            }
            chaos.start();
            if (o.kills() > 0) {
                killer = Thread.ofPlatform().name("soak-killer").start(this::killLoop);
            }
            long end = start + o.seconds() * 1_000_000_000L;
            long nextProgress = System.nanoTime() + 5_000_000_000L;
            while (System.nanoTime() < end) {
                Thread.sleep(Math.min(200, Math.max(1, (end - System.nanoTime()) / 1_000_000)));
                if (System.nanoTime() >= nextProgress) {
                    nextProgress += 5_000_000_000L;
                    progress(start);
                }
            }
            stopChaos = true;
            chaos.join();
            if (killer != null) {
                killer.join(Duration.ofSeconds(180));
            }
            faultsArmed = false;
            for (FaultInjectingProvider p : faulty) {
                p.arm(false);
            }
            for (Flow f : flows) {
                f.wire.close();
            }
            awaitQuiet();
            stopReceivers = true;
            for (Thread r : receivers) {
                r.join();
            }
            freer.stopAndFlush();
            freerThread.join();
            freerThread = null;
            for (Flow f : flows) {
                f.lock.lock();
                try {
                    drain(f);
                    refillHeld(f, true);
                } finally {
                    f.lock.unlock();
                }
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            long sent = 0;
            for (Flow f : flows) {
                sent += f.wire.packetsSent();
                checkFlowEnd(f);
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
            teardown(leaks);
            stopChecker = true;
            checkerThread.join();
            checkerThread = null;
            leaks.addAll(checker.audit());
            auditProviders(leaks);
            long received = 0;
            long bytes = 0;
            long lost = 0;
            for (Flow f : flows) {
                received += f.verifier.packets();
                bytes += f.verifier.bytes();
                lost += f.wire.packetsSent() - f.verifier.packets();
            }
            return new SoakReport(o.seed(), seconds, o.failRate(), sent, received, bytes, lost,
                    checker.buffersCycled(), checker.buffersHeld(), binds, unbinds, restarts, refused, checker.created(),
                    checker.released(), checker.detached(), longHolds, stallWarnings, stallSample,
                    heldPools.stream().filter(p -> p.state() == PagePool.State.RELEASED).count(),
                    injectedHost.get(), injectedDmabuf.get(), injectedUserRing.get(), rxAllocFail, rxMissed,
                    rxDropped, List.copyOf(killLines), killsOk.get(), checker.samples(), violations.count(),
                    violations.details(), leaks);
        } finally {
            stopChaos = true;
            stopReceivers = true;
            stopChecker = true;
            freer.stopAndFlush();
            for (Thread t : new Thread[] {chaos, checkerThread, freerThread}) {
                if (t != null) {
                    t.join(10_000);
                }
            }
            for (Thread t : receivers) {
                t.join(10_000);
            }
            if (dev != null) {
                dev.unregister();
            }
            PagePool.removeListener(checker);
            PagePool.removeListener(genRegistry);
            stallLog.uninstall();
            deleteDir();
        }
    }

    private FaultInjectingProvider faulty(MemoryProvider mp, AtomicLong counter, long salt) {
        FaultInjectingProvider f = new FaultInjectingProvider(mp, o.failRate(), o.seed() * 0x9E37L + salt
                + faulty.size(), counter);
        for (Thread t : controlThreads) {
            f.exempt(t);
        }
        f.arm(faultsArmed);
        faulty.add(f);
        return f;
    }

    private void progress(long start) {
        long pk = 0;
        for (Flow f : flows) {
            pk += f.verifier.packets();
        }
        log.printf("  %5.1f s  %,d packets verified, %,d buffers cycled, binds %d, restarts %d, faults injected %,d, "
                + "violations %d%n", (System.nanoTime() - start) / 1e9, pk, checker.buffersCycled(), binds, restarts,
                injectedHost.get() + injectedDmabuf.get() + injectedUserRing.get(), violations.count());
    }

    // =====================================================================================
    // Binding and unbinding (chaos thread, or the main thread at setup and teardown)
    // =====================================================================================

    private synchronized void bindFaultyDmabuf(Flow f) {
        Dmabuf d = Dmabuf.create(dir, AREA_BYTES);
        DmabufBinding db;
        try {
            db = DmabufBinding.bind(d, dev.dmaDevice(), q -> { }); // queues are closed through the RxBinding
        } finally {
            d.close(); // the binding holds its own reference until it is freed
        }
        allBindings.add(db);
        gens.computeIfAbsent((long) db.id(), id -> new Gen(db));
        NetdevNlSock nl = Netdev.open();
        try {
            f.binding = nl.bindRx(dev, faulty(db, injectedDmabuf, 2), f.index);
        } catch (RuntimeException e) {
            nl.close();
            db.unbind();
            throw e;
        }
        f.nl = nl;
        f.dmabufBinding = db;
        binds++;
        queueRestarts[f.index]++;
    }

    private synchronized void bindNativeDmabuf(Flow f) {
        NetdevNlSock nl = Netdev.open();
        Dmabuf d = Dmabuf.create(dir, AREA_BYTES);
        try {
            f.binding = nl.bindRx(dev, d, f.index);
        } catch (RuntimeException e) {
            nl.close();
            throw e;
        } finally {
            d.close();
        }
        f.nl = nl;
        f.dmabufBinding = (DmabufBinding) f.binding.provider();
        allBindings.add(f.dmabufBinding);
        binds++;
        queueRestarts[f.index]++;
    }

    /** Unbinds a dma-buf flow; tokens and queued skbs keep the old pool detached until they are freed. */
    private synchronized void unbindDmabuf(Flow f) {
        if (f.dmabufBinding.state() == DmabufBinding.State.BOUND && f.index == 3 && chaosRandom.nextBoolean()) {
            f.nl.close(); // closing the netlink socket unbinds everything it bound
        } else {
            f.binding.close();
            if (f.index == 1) {
                f.dmabufBinding.unbind(); // drop the owner reference: freed when the last chunk is home
            }
        }
        f.nl.close();
        f.binding = null;
        f.nl = null;
        f.dmabufBinding = null;
        unbinds++;
        queueRestarts[f.index]++;
    }

    private synchronized void bindZc(Flow f) {
        f.lock.lock();
        try {
            Arena arena = Arena.ofShared();
            areaArenas.add(arena);
            MemorySegment mem = arena.allocate(AREA_BYTES, 4096);
            int buffers = (int) (AREA_BYTES / 4096);
            ZcrxIfq ifq = ZcrxIfq.register(ZcrxArea.ofUserMemory(mem), dev.dmaDevice(), buffers, 2 * buffers, dir,
                    q -> { }); // the queue is closed through the RxBinding
            allIfqs.add(ifq);
            NetdevNlSock nl = Netdev.open();
            try {
                f.binding = nl.bindRx(dev, faulty(ifq, injectedUserRing, 3), f.index);
            } catch (RuntimeException e) {
                nl.close();
                ifq.close();
                throw e;
            }
            f.nl = nl;
            f.ifq = ifq;
            f.ring = ZcrxUserRing.open(ifq.regionPath(), mem);
            f.mode = Mode.ZC;
            binds++;
            queueRestarts[f.index]++;
        } finally {
            f.lock.unlock();
        }
    }

    /**
     * Unbinds the user ring: the queue restarts on host pages, the socket is drained through the ring
     * (the old pool's skbs can only be received into it), then the ifq is closed; buffers still held by
     * the user are scrubbed by the close when {@code leaveHeld}.
     */
    private synchronized void unbindZc(Flow f, boolean leaveHeld) {
        f.lock.lock();
        try {
            f.binding.close();
            f.nl.close();
            drain(f);
            if (leaveHeld) {
                f.heldCqes.clear(); // the close scrubs them
            } else {
                refillHeld(f, true);
            }
            f.ring.close();
            f.ifq.close();
            f.mode = Mode.COPY;
            f.binding = null;
            f.nl = null;
            f.ifq = null;
            f.ring = null;
            unbinds++;
            queueRestarts[f.index]++;
        } finally {
            f.lock.unlock();
        }
    }

    private synchronized void restart(int q) {
        dev.restartQueue(q);
        restarts++;
        queueRestarts[q]++;
    }

    // =====================================================================================
    // Chaos
    // =====================================================================================

    private void chaosLoop() {
        long nextHold = System.nanoTime() + 2_000_000_000L;
        while (!stopChaos) {
            sleepMillis(80 + chaosRandom.nextInt(220));
            if (stopChaos) {
                break;
            }
            try {
                if (System.nanoTime() > nextHold) {
                    Flow f = flows[chaosRandom.nextBoolean() ? 1 : 3];
                    if (!f.bound()) {
                        bind(f);
                    }
                    longHold(f);
                    nextHold = System.nanoTime() + 4_000_000_000L;
                    continue;
                }
                int op = chaosRandom.nextInt(10);
                if (op < 2) {
                    toggle(flows[1]);
                } else if (op < 4) {
                    toggle(flows[3]);
                } else if (op < 6) {
                    toggle(flows[2]);
                } else {
                    restart(chaosRandom.nextInt(QUEUES));
                }
            } catch (ErrnoException e) {
                if (e.errno() != Errno.ENOMEM) {
                    violations.add("chaos: " + e);
                } else {
                    refused++; // the new memory could not be filled: the old keeps running, as in the kernel
                }
            } catch (RuntimeException e) {
                violations.add("chaos: " + e);
            }
        }
    }

    private void bind(Flow f) {
        switch (f.index) {
            case 1 -> bindFaultyDmabuf(f);
            case 2 -> bindZc(f);
            default -> bindNativeDmabuf(f);
        }
    }

    private void toggle(Flow f) {
        if (!f.bound()) {
            bind(f);
        } else if (f.index == 2) {
            unbindZc(f, chaosRandom.nextBoolean());
        } else {
            unbindDmabuf(f);
        }
    }

    /**
     * The long-held buffers fault: the user stops returning this binding's tokens, the binding is
     * unbound (the queue restarts and the old pool is destroyed with buffers out), the pool must be
     * detached, warn of a stalled shutdown naming where its buffers were allocated, and be released once
     * the tokens come home.
     */
    private void longHold(Flow f) {
        Gen g = gens.get((long) f.dmabufBinding.id());
        if (g == null) {
            return;
        }
        g.pinnedUntil = Long.MAX_VALUE;
        sleepMillis(150); // tokens of this binding pile up
        PagePool old = dev.rxQueue(f.index).pagePool();
        unbindDmabuf(f);
        try {
            if (old.state() != PagePool.State.DESTROYING) {
                return; // nothing was held at that instant: no fault this time
            }
            longHolds++;
            synchronized (heldPools) {
                heldPools.add(old);
            }
            if (old.detachTime().isEmpty()) {
                violations.add("pool " + old.id() + ": destroyed with buffers held but no detach time");
            }
            long deadline = System.nanoTime() + STALL_WARN.toNanos() * 3 + 10_000_000_000L;
            while (old.stallWarnings() == 0 && old.state() == PagePool.State.DESTROYING
                    && System.nanoTime() < deadline) {
                sleepMillis(20);
            }
            Map<String, Long> sites = old.outstandingAllocationSites();
            String warning = stallLog.firstFor(old.id());
            if (old.stallWarnings() == 0 || warning == null) {
                violations.add("pool " + old.id() + ": held buffers for " + (STALL_WARN.toMillis() * 3 + 10_000)
                        + " ms but no stalled-shutdown warning (state " + old.state() + ", inflight " + old.inflight()
                        + ")");
            } else if (sites.isEmpty() || !warning.contains("outstanding buffers allocated at")) {
                violations.add("pool " + old.id() + ": the stall warning names no allocation site: " + warning);
            } else {
                stallWarnings += old.stallWarnings();
                if (stallSample == null) {
                    stallSample = warning;
                }
            }
        } finally {
            g.pinnedUntil = 0; // the user returns the tokens: the last one releases the pool
            freer.wake();
        }
    }

    private void killLoop() {
        try {
            sleepMillis(Math.max(1000, o.seconds() * 150L));
            for (int i = 0; i < o.kills() && !stopChaos; i++) {
                String provider = i % 2 == 0 ? "dmabuf" : "user-ring";
                ConsumerKill.Result r = ConsumerKill.run(provider, Duration.ofMillis(1500));
                killLines.add(provider + ": killed " + r.killed() + ", consumer_died " + r.consumerDied()
                        + ", tokens_reclaimed " + r.tokensReclaimed() + ", tokens_outstanding " + r.tokensOutstanding()
                        + ", inflight_after " + r.inflightAfter() + (r.ok() ? " -> OK" : " -> " + r.problem()));
                if (r.ok()) {
                    killsOk.incrementAndGet();
                } else {
                    violations.add("consumer kill (" + provider + "): " + r.problem());
                }
                sleepMillis(1000);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    // =====================================================================================
    // Receiving
    // =====================================================================================

    private void receiveLoop(Flow a, Flow b) {
        while (!stopReceivers) {
            int n = 0;
            for (Flow f : new Flow[] {a, b}) {
                f.lock.lock();
                try {
                    n += receiveOnce(f, Duration.ofMillis(1));
                    refillHeld(f, false);
                } catch (RuntimeException e) {
                    violations.add("flow " + f.index + " receive: " + e);
                    sleepMillis(10);
                } finally {
                    f.lock.unlock();
                }
            }
            if (n > 0) {
                lastData = System.nanoTime();
            }
        }
    }

    private volatile long lastData = System.nanoTime();

    /** One receive call on {@code f}; caller holds its lock. */
    private int receiveOnce(Flow f, Duration timeout) {
        if (f.mode == Mode.ZC) {
            int n;
            try {
                n = IoUringZcrx.recvZc(f.sock, f.ifq, timeout);
            } catch (ErrnoException e) {
                if (e.errno() != Errno.ENOSPC && e.errno() != Errno.ENOMEM) {
                    throw e;
                }
                n = 0; // the completion ring is full or no buffer is free: poll and refill first
            }
            f.ring.poll((off, len, flags) -> {
                f.verifier.feed(f.ring.data(off, len), 0, len);
                f.heldCqes.add(new long[] {off, len, System.nanoTime() + f.random.nextLong(MAX_FREE_DELAY_NS)});
            });
            return n;
        }
        f.records.clear();
        int flags = f.mode == Mode.DEVMEM ? DevmemSocket.MSG_SOCK_DEVMEM : 0;
        int n = f.sock.recvmsg(f.iov, f.records, flags, timeout);
        if (n == 0) {
            return 0;
        }
        if (f.records.isEmpty()) {
            f.verifier.feed(f.iov, 0, n);
            return n;
        }
        long iovPos = 0;
        for (DevmemRecord r : f.records) {
            if (r instanceof DevmemRecord.Linear l) {
                f.verifier.feed(f.iov, iovPos, l.fragSize());
                iovPos += l.fragSize();
            } else if (r instanceof DevmemRecord.Dmabuf d) {
                Gen g = gens.get(d.dmabufId());
                if (g == null) {
                    violations.add("flow " + f.index + ": a record of unknown dma-buf binding " + d.dmabufId());
                    continue;
                }
                long key = (d.dmabufId() << 32) | (d.fragOffset() >>> 12);
                int inChunk = (int) (d.fragOffset() & 4095);
                int[] prev = outstanding.get(key);
                if (prev != null && prev[1] != inChunk) {
                    violations.add("flow " + f.index + ": dma-buf " + d.dmabufId() + " chunk " + (d.fragOffset() >>> 12)
                            + " delivered again at offset " + inChunk + " while a token for bytes up to " + prev[1]
                            + " is still held");
                }
                outstanding.compute(key, (k, v) -> v == null ? new int[] {1, inChunk + d.fragSize()}
                        : new int[] {v[0] + 1, inChunk + d.fragSize()});
                f.verifier.feed(g.binding.dmabuf().segment(), d.fragOffset(), d.fragSize());
                freer.hold(new Held(f, d.fragToken(), key, g, System.nanoTime() + f.random.nextLong(MAX_FREE_DELAY_NS)));
            }
        }
        return n;
    }

    /** Receives until the socket is empty three times in a row; caller holds the flow's lock. */
    private void drain(Flow f) {
        for (int empty = 0; empty < 3; ) {
            if (receiveOnce(f, Duration.ofMillis(2)) == 0) {
                empty++;
            } else {
                empty = 0;
            }
            refillHeld(f, false);
        }
    }

    /** Refills the user ring with the held completions that are due (all of them with {@code all}), shuffled. */
    private void refillHeld(Flow f, boolean all) {
        if (f.heldCqes.isEmpty()) {
            return;
        }
        long now = System.nanoTime();
        List<long[]> due = new ArrayList<>();
        f.heldCqes.removeIf(c -> (all || c[2] <= now) && due.add(c));
        Collections.shuffle(due, f.random);
        for (int i = 0; i < due.size(); i++) {
            long[] c = due.get(i);
            if (f.ring == null) {
                return;
            }
            if (!f.ring.refill(c[0], (int) c[1])) {
                f.heldCqes.addAll(due.subList(i, due.size())); // ring full: next time
                return;
            }
        }
    }

    private void awaitQuiet() throws InterruptedException {
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (System.nanoTime() - lastData < 300_000_000L && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
    }

    // =====================================================================================
    // Late, out-of-order token returns
    // =====================================================================================

    /** A devmem token held by the user until {@code due}. */
    record Held(Flow flow, int token, long key, Gen gen, long due) {
    }

    /** Returns held tokens after their delay, in shuffled batches; holds a pinned binding's tokens. */
    final class Freer {
        private final PriorityQueue<Held> queue = new PriorityQueue<>((x, y) -> Long.compare(x.due(), y.due()));
        private final Random random = new Random(o.seed() + 7);
        private boolean stop;
        private boolean flushed;

        synchronized void hold(Held h) {
            queue.add(h);
        }

        synchronized void wake() {
            notifyAll();
        }

        void loop() {
            List<Held> due = new ArrayList<>();
            while (true) {
                synchronized (this) {
                    if (stop) {
                        return;
                    }
                    try {
                        wait(2);
                    } catch (InterruptedException e) {
                        return;
                    }
                    takeDue(due, false);
                }
                give(due);
            }
        }

        /** Moves due, unpinned tokens (all with {@code all}) to {@code out}. Caller holds this. */
        private void takeDue(List<Held> out, boolean all) {
            long now = System.nanoTime();
            List<Held> pinned = new ArrayList<>();
            while (!queue.isEmpty() && (all || queue.peek().due() <= now)) {
                Held h = queue.poll();
                if (!all && h.gen().pinnedUntil > now) {
                    pinned.add(h);
                } else {
                    out.add(h);
                }
            }
            for (Held h : pinned) {
                queue.add(new Held(h.flow(), h.token(), h.key(), h.gen(), now + 5_000_000L));
            }
        }

        /** Returns tokens with dontneed, shuffled, in runs of single tokens. */
        private void give(List<Held> due) {
            if (due.isEmpty()) {
                return;
            }
            Collections.shuffle(due, random);
            for (Flow f : flows) {
                List<DmabufToken> runs = new ArrayList<>();
                for (Held h : due) {
                    if (h.flow() == f) {
                        outstanding.computeIfPresent(h.key(), (k, v) -> v[0] == 1 ? null : new int[] {v[0] - 1, v[1]});
                        runs.add(DmabufToken.of(h.token()));
                    }
                }
                for (int i = 0; i < runs.size(); i += DevmemSocket.MAX_DONTNEED_TOKENS) {
                    List<DmabufToken> part = runs.subList(i, Math.min(runs.size(), i + DevmemSocket.MAX_DONTNEED_TOKENS));
                    int freed = f.sock.dontneed(part.toArray(DmabufToken[]::new));
                    if (freed != part.size()) {
                        violations.add("flow " + f.index + ": dontneed freed " + freed + " of " + part.size()
                                + " held tokens");
                    }
                }
            }
            due.clear();
        }

        /** Stops the loop and returns every token still held, pinned or not. Idempotent. */
        void stopAndFlush() {
            List<Held> all = new ArrayList<>();
            synchronized (this) {
                stop = true;
                notifyAll();
                if (flushed) {
                    return;
                }
                flushed = true;
                takeDue(all, true);
            }
            give(all);
        }
    }

    // =====================================================================================
    // Checking
    // =====================================================================================

    private void checkerLoop() {
        while (!stopChecker) {
            checker.sampleAll();
            sleepMillis(2);
        }
        checker.sampleAll();
    }

    /** Every packet the NIC took was received whole, or lost to a restart the counts explain. */
    private void checkFlowEnd(Flow f) {
        long sent = f.wire.packetsSent();
        long got = f.verifier.packets();
        long lost = sent - got;
        long bound = queueRestarts[f.index] * RING + dev.rxQueue(f.index).rxDropped();
        if (!f.verifier.atPacketBoundary()) {
            violations.add("flow " + f.index + ": stream ends inside a packet");
        }
        if (lost < 0 || lost > bound) {
            violations.add("flow " + f.index + ": " + sent + " packets sent, " + got + " received: " + lost
                    + " lost, more than " + queueRestarts[f.index] + " restarts x " + RING + " slots + "
                    + dev.rxQueue(f.index).rxDropped() + " dropped explain");
        }
        if (f.sock.outstandingTokens() != 0) {
            violations.add("flow " + f.index + ": " + f.sock.outstandingTokens() + " tokens still out after every "
                    + "held one was returned");
        }
    }

    private void teardown(List<String> leaks) throws InterruptedException {
        for (Flow f : flows) {
            if (f.bound()) {
                if (f.index == 2) {
                    unbindZc(f, false);
                } else {
                    unbindDmabuf(f);
                }
            }
        }
        for (Flow f : flows) {
            f.sock.close();
        }
        dev.close();
        dev.unregister();
        long deadline = System.nanoTime() + 20_000_000_000L;
        while (System.nanoTime() < deadline && !allHome()) {
            Thread.sleep(20);
        }
    }

    private boolean allHome() {
        for (PagePool p : checker.pools()) {
            if (p.state() != PagePool.State.RELEASED) {
                return false;
            }
        }
        for (DmabufBinding b : allBindings) {
            if (!b.isFreed()) {
                return false;
            }
        }
        for (ZcrxIfq q : allIfqs) {
            if (!q.isFreed()) {
                return false;
            }
        }
        return host.pagesInUse() == 0;
    }

    /** Providers report nothing in use; no shared file is left. */
    private void auditProviders(List<String> leaks) {
        if (host.pagesInUse() != 0 || host.poolCount() != 0) {
            leaks.add("host pages: " + host.pagesInUse() + " page(s) in use, " + host.poolCount() + " pool(s)");
        } else {
            host.close();
        }
        for (DmabufBinding b : allBindings) {
            if (!b.isFreed() || b.chunksOut() != 0) {
                leaks.add(b + ": " + b.chunksOut() + " chunk(s) out");
            }
        }
        for (ZcrxIfq q : allIfqs) {
            if (!q.isFreed() || q.area().freeCount() != q.area().niovs().numNiovs()) {
                leaks.add(q + ": area " + q.area().freeCount() + " of " + q.area().niovs().numNiovs() + " free");
            }
        }
        if (leaks.isEmpty()) {
            for (Arena a : areaArenas) {
                a.close();
            }
        }
        try (var s = Files.list(dir)) {
            s.forEach(p -> leaks.add("file left behind: " + p));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void deleteDir() {
        try (var s = Files.list(dir)) {
            for (Path p : s.toList()) {
                Files.deleteIfExists(p);
            }
            Files.deleteIfExists(dir);
        } catch (IOException | NullPointerException e) {
            // best effort: the report already named any file left
        }
    }

    private static void sleepMillis(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Captures the page pool's "stalled pool shutdown" warnings (and keeps them off the console). */
    static final class StallLog extends Handler {
        private final Logger logger = Logger.getLogger("dev.netmem.pagepool");
        private final Map<Integer, String> first = new ConcurrentHashMap<>();
        private boolean parents;

        void install() {
            parents = logger.getUseParentHandlers();
            logger.addHandler(this);
            logger.setUseParentHandlers(false);
        }

        void uninstall() {
            logger.removeHandler(this);
            logger.setUseParentHandlers(parents);
        }

        String firstFor(int poolId) {
            return first.get(poolId);
        }

        @Override
        public void publish(LogRecord r) {
            if (r.getLevel().intValue() < Level.WARNING.intValue() || r.getMessage() == null
                    || !r.getMessage().startsWith("stalled pool shutdown")) {
                return;
            }
            Object[] p = r.getParameters();
            String msg = OneLineLogFormat.message(r); // ids as ids: "id 1000", not "id 1,000"
            if (p != null && p.length > 0 && p[0] instanceof Number id) {
                first.putIfAbsent(id.intValue(), msg);
            }
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    }
}
