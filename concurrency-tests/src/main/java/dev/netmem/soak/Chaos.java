package dev.netmem.soak;

import dev.netmem.api.Errno;
import dev.netmem.api.ErrnoException;
import dev.netmem.api.PagePool;
import dev.netmem.rxqueue.nic.NetDevice;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The soak's faults of the control plane, each on its own thread:
 * <ul>
 *   <li>chaos: every 80 to 300 ms restarts the {@link RestartFlow}'s queue, and binds or unbinds a flow's
 *       memory or restarts a queue; from 2 s on, the long-held buffers fault ({@link #longHold}), 4 s
 *       after the last one that detached a pool;</li>
 *   <li>kills: the demo run in this JVM with its consumer process SIGKILLed while it holds buffers
 *       ({@link ConsumerKill}), alternating dmabuf and user ring.</li>
 * </ul>
 * A bind refused with {@code ENOMEM} (the new memory could not be filled; the old keeps running, as in
 * the kernel) is counted; any other failure is a violation.
 */
final class Chaos {
    /** The page pool's stall warning period for the soak's device. */
    static final Duration STALL_WARN = Duration.ofMillis(400);

    private final SoakOptions o;
    private final NetDevice dev;
    private final List<Flow> flows;
    private final Bindings bindings;
    private final RestartFlow restartFlow;
    private final LateFrees lateFrees;
    private final TokenLedger ledger;
    private final StallLog stallLog;
    private final Violations violations;
    private final Random random;
    private final List<PagePool> heldPools = new ArrayList<>();
    private final List<String> killLines = new CopyOnWriteArrayList<>();
    private final AtomicLong killsOk = new AtomicLong();
    private Thread chaos;
    private Thread killer;
    private volatile boolean stop;
    // chaos thread only; read by the main thread once it has joined
    private long refused;
    private long longHolds;
    private long stallWarnings;
    private String stallSample;

    /**
     * @param random the control path's coin, shared with {@link Bindings}
     */
    Chaos(SoakOptions o, NetDevice dev, List<Flow> flows, Bindings bindings, RestartFlow restartFlow,
          LateFrees lateFrees, TokenLedger ledger, StallLog stallLog, Violations violations, Random random) {
        this.o = o;
        this.dev = dev;
        this.flows = flows;
        this.bindings = bindings;
        this.restartFlow = restartFlow;
        this.lateFrees = lateFrees;
        this.ledger = ledger;
        this.stallLog = stallLog;
        this.violations = violations;
        this.random = random;
    }

    /** Starts the chaos thread (exempt from injected faults, as every control thread), and the killer if kills were asked. */
    void start(Faults faults) {
        chaos = Thread.ofPlatform().name("soak-chaos").unstarted(this::chaosLoop);
        faults.exempt(chaos);
        chaos.start();
        if (o.kills() > 0) {
            killer = Thread.ofPlatform().name("soak-killer").start(this::killLoop);
        }
    }

    /** Stops the chaos and waits for it; then waits at most 180 s for a kill in progress. */
    void stop() throws InterruptedException {
        stop = true;
        if (chaos != null) {
            chaos.join();
        }
        if (killer != null) {
            killer.join(Duration.ofSeconds(180));
        }
    }

    /** Tells both threads to stop and waits at most 10 s for the chaos thread (the run failed). */
    void abort() throws InterruptedException {
        stop = true;
        if (chaos != null) {
            chaos.join(10_000);
        }
    }

    private void chaosLoop() {
        long nextHold = System.nanoTime() + 2_000_000_000L;
        while (!stop) {
            Soak.sleepMillis(80 + random.nextInt(220));
            if (stop) {
                break;
            }
            try {
                bindings.reclaimFreedAreas();
                restartFlow.restart(); // every round, while its wire runs
                if (System.nanoTime() > nextHold) {
                    Flow f = flows.get(random.nextBoolean() ? 1 : 3);
                    if (!f.bound()) {
                        bindings.bind(f);
                    }
                    // a try that detached nothing (no token was out at that instant) is retried next round
                    nextHold = longHold(f) ? System.nanoTime() + 4_000_000_000L : 0;
                    continue;
                }
                int op = random.nextInt(10);
                if (op < 2) {
                    toggle(flows.get(1));
                } else if (op < 4) {
                    toggle(flows.get(3));
                } else if (op < 6) {
                    toggle(flows.get(2));
                } else {
                    bindings.restart(random.nextInt(flows.size()));
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

    private void toggle(Flow f) {
        if (!f.bound()) {
            bindings.bind(f);
        } else if (f.index == 2) {
            bindings.unbindZc(f, random.nextBoolean());
        } else {
            bindings.unbindDmabuf(f);
        }
    }

    /**
     * The long-held buffers fault: the user stops returning this binding's tokens, the binding is
     * unbound (the queue restarts and the old pool is destroyed with buffers out), the pool must be
     * detached, warn of a stalled shutdown naming where its buffers were allocated, and be released once
     * the tokens come home.
     *
     * @return whether a pool was detached with buffers held (false: nothing was out to hold)
     */
    private boolean longHold(Flow f) {
        TokenLedger.Gen g = ledger.gen(f.dmabufBinding.id());
        if (g == null) {
            return false;
        }
        g.pinnedUntil = Long.MAX_VALUE;
        Soak.sleepMillis(150); // tokens of this binding pile up
        PagePool old = dev.rxQueue(f.index).pagePool();
        bindings.unbindDmabuf(f);
        try {
            if (old.state() != PagePool.State.DESTROYING) {
                return false; // nothing was held at that instant: no fault this time
            }
            longHolds++;
            synchronized (heldPools) {
                heldPools.add(old);
            }
            if (old.detachTime().isEmpty()) {
                violations.add("pool " + old.id() + ": destroyed with buffers held but no detach time");
            }
            // The kernel warns about a stalled shutdown only once the pool's netdev is gone
            // (page_pool_release_retry); this device stays registered, so a detached pool held past
            // twice the warning interval must stay silent.
            long deadline = System.nanoTime() + STALL_WARN.toNanos() * 2 + 200_000_000L;
            while (old.state() == PagePool.State.DESTROYING && System.nanoTime() < deadline) {
                Soak.sleepMillis(20);
            }
            if (old.stallWarnings() != 0 || stallLog.firstFor(old.id()) != null) {
                violations.add("pool " + old.id() + ": a stalled-shutdown warning while its netdev is registered: "
                        + stallLog.firstFor(old.id()));
            }
            return true;
        } finally {
            g.pinnedUntil = 0; // the user returns the tokens: the last one releases the pool
            lateFrees.wake();
        }
    }

    private void killLoop() {
        try {
            Soak.sleepMillis(Math.max(1000, o.seconds() * 150L));
            for (int i = 0; i < o.kills() && !stop; i++) {
                String provider = i % 2 == 0 ? "dmabuf" : "user-ring";
                ConsumerKill.Outcome r = ConsumerKill.run(provider, Duration.ofMillis(1500));
                killLines.add(provider + ": killed " + r.killed() + ", consumer_died " + r.consumerDied()
                        + ", tokens_reclaimed " + r.tokensReclaimed() + ", tokens_outstanding " + r.tokensOutstanding()
                        + ", inflight_after " + r.inflightAfter() + (r.ok() ? " -> OK" : " -> " + r.problem()));
                if (r.ok()) {
                    killsOk.incrementAndGet();
                } else {
                    violations.add("consumer kill (" + provider + "): " + r.problem());
                }
                Soak.sleepMillis(1000);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Binds refused with ENOMEM. */
    long refused() {
        return refused;
    }

    /** Long-held buffer faults that detached a pool. */
    long longHolds() {
        return longHolds;
    }

    /** Stall warnings of the long-held pools. */
    long stallWarnings() {
        return stallWarnings;
    }

    /** The first stall warning, or {@code null}. */
    String stallSample() {
        return stallSample;
    }

    /** Long-held pools that were released by the end. */
    long heldReleased() {
        synchronized (heldPools) {
            return heldPools.stream().filter(p -> p.state() == PagePool.State.RELEASED).count();
        }
    }

    /** One line per consumer kill. */
    List<String> killLines() {
        return List.copyOf(killLines);
    }

    /** Consumer kills that passed every check. */
    long killsOk() {
        return killsOk.get();
    }
}
