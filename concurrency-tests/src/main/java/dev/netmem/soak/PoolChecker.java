package dev.netmem.soak;

import dev.netmem.api.PagePool;
import dev.netmem.api.PagePoolListener;
import dev.netmem.api.PagePoolStats;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Checks the page-pool accounting invariants of every pool while they change: a
 * {@link PagePoolListener} sees each pool from {@code ADD} to {@code DEL}, and {@link #sampleAll()}
 * (called continuously by the soak's checker thread) reads each tracked pool in a race-safe order.
 *
 * <h2>What is checked, and why each read order is safe</h2>
 * <ul>
 *   <li>{@code release <= hold}: {@code release} is read first (a volatile load), {@code hold} after.
 *       A buffer's {@code release++} happens after its {@code hold++}, so every release the first load
 *       saw has its hold visible to the second: {@code hold - release >= 0} (serial arithmetic), i.e.
 *       inflight never negative.</li>
 *   <li>{@code inflight()} lies between {@code hold - release} read before it and read after it: it is
 *       exact whenever the pool is quiet (both reads equal), as it is once RELEASED.</li>
 *   <li>{@code hold} and {@code release} never go back; the state only moves
 *       {@code ACTIVE → DESTROYING → RELEASED}; a pool with a detach time is not ACTIVE (the time is
 *       read first, it is written after the state moved).</li>
 *   <li>A RELEASED pool is final: {@code hold == release}, {@code inflight() == 0}; {@code DEL} comes
 *       once, for a RELEASED pool; {@code CHANGE} only for a destroyed one.</li>
 * </ul>
 * Violations are recorded with their details; {@link #audit()} lists the pools that never released.
 *
 * <p>Threads: the listener runs on whichever thread changes a pool; {@link #sampleAll()} on one
 * checker thread at a time.
 */
final class PoolChecker implements PagePoolListener {
    private final Map<Integer, Track> tracks = new ConcurrentHashMap<>();
    private final Violations violations;
    private final AtomicLong created = new AtomicLong();
    private final AtomicLong detached = new AtomicLong();
    private final AtomicLong released = new AtomicLong();
    private final AtomicLong samples = new AtomicLong();
    private volatile boolean stopSampling;
    private Thread sampler;

    PoolChecker(Violations violations) {
        this.violations = violations;
    }

    /** Starts the checker thread: {@link #sampleAll()} every 2 ms until {@link #stopSampling}. */
    void startSampling() {
        sampler = Thread.ofPlatform().name("soak-checker").start(() -> {
            while (!stopSampling) {
                sampleAll();
                Soak.sleepMillis(2);
            }
            sampleAll();
        });
    }

    /** Stops the checker thread after one last pass; waits at most {@code millis} ({@code 0}: for ever). */
    void stopSampling(long millis) throws InterruptedException {
        stopSampling = true;
        if (sampler != null) {
            sampler.join(millis);
        }
    }

    /** What the checker remembers of one pool: the previous sample, for monotonicity. Checker thread. */
    static final class Track {
        final PagePool pool;
        int lastHold;
        int lastRelease;
        PagePool.State lastState = PagePool.State.ACTIVE;
        volatile boolean deleted;
        volatile boolean detachSeen;

        Track(PagePool pool) {
            this.pool = pool;
            this.lastHold = pool.holdCount();
            this.lastRelease = pool.releaseCount();
        }
    }

    @Override
    public void added(PagePool pool) {
        created.incrementAndGet();
        if (tracks.putIfAbsent(pool.id(), new Track(pool)) != null) {
            violations.add("pool " + pool.id() + ": ADD for an id already tracked");
        }
    }

    @Override
    public void changed(PagePool pool) {
        Track t = tracks.get(pool.id());
        if (t == null || t.pool != pool) {
            violations.add("pool " + pool.id() + ": CHANGE for a pool never added");
            return;
        }
        if (pool.state() == PagePool.State.ACTIVE) {
            violations.add("pool " + pool.id() + ": CHANGE (detached) while ACTIVE");
        }
        if (pool.detachTime().isEmpty()) {
            violations.add("pool " + pool.id() + ": CHANGE (detached) without a detach time");
        }
        t.detachSeen = true;
        detached.incrementAndGet();
    }

    @Override
    public void deleted(PagePool pool) {
        Track t = tracks.get(pool.id());
        if (t == null || t.pool != pool) {
            violations.add("pool " + pool.id() + ": DEL for a pool never added");
            return;
        }
        if (t.deleted) {
            violations.add("pool " + pool.id() + ": DEL twice");
        }
        t.deleted = true;
        released.incrementAndGet();
        checkFinal(pool, "DEL");
    }

    /** A RELEASED pool never changes again: exact accounting. */
    private void checkFinal(PagePool pool, String when) {
        int release = pool.releaseCount();
        int hold = pool.holdCount();
        if (pool.state() != PagePool.State.RELEASED) {
            violations.add("pool " + pool.id() + ": " + when + " but state " + pool.state());
        } else if (hold != release || pool.inflight() != 0) {
            violations.add("pool " + pool.id() + ": RELEASED with hold " + hold + ", release " + release + ", inflight "
                    + pool.inflight());
        }
    }

    /** Samples every tracked pool once and drops the final ones. Checker thread. */
    void sampleAll() {
        for (PagePool p : PagePool.pools()) {
            Track t = tracks.get(p.id());
            if (t == null || t.pool != p) {
                sample(p, null); // listed before this checker started: checked, not audited
            }
        }
        for (Track t : tracks.values()) {
            sample(t);
        }
        samples.incrementAndGet();
    }

    /** Samples one pool; see the class comment for the read orders. */
    void sample(Track t) {
        sample(t.pool, t);
    }

    private void sample(PagePool p, Track t) {
        boolean hasDetachTime = p.detachTime().isPresent();
        PagePool.State state = p.state();
        int r1 = p.releaseCount();
        int h1 = p.holdCount();
        int inflight = p.inflight();
        int r2 = p.releaseCount();
        int h2 = p.holdCount();
        check(p.id(), hasDetachTime, state, r1, h1, inflight, r2, h2, t);
    }

    /** The checks on one sample; separate so a planted sample can prove they fire. */
    void check(int id, boolean hasDetachTime, PagePool.State state, int r1, int h1, int inflight, int r2, int h2,
               Track t) {
        String at = "pool " + id + " (" + state + ", hold " + h1 + ".." + h2 + ", release " + r1 + ".." + r2
                + ", inflight " + inflight + "): ";
        if (h1 - r1 < 0) {
            violations.add(at + "release > hold (negative inflight " + (h1 - r1) + ")");
        }
        if (inflight < Math.max(0, h1 - r2) || inflight > Math.max(0, h2 - r1)) {
            violations.add(at + "inflight outside [hold - release] read around it");
        }
        if (hasDetachTime && state == PagePool.State.ACTIVE) {
            violations.add(at + "a detach time while ACTIVE");
        }
        if (t != null) {
            if (h1 - t.lastHold < 0 || r1 - t.lastRelease < 0) {
                violations.add(at + "counter went back (was hold " + t.lastHold + ", release " + t.lastRelease + ")");
            }
            if (state.ordinal() < t.lastState.ordinal()) {
                violations.add(at + "state went back from " + t.lastState);
            }
            t.lastHold = h2;
            t.lastRelease = r2;
            t.lastState = state;
            if (state != PagePool.State.ACTIVE && hasDetachTime) {
                t.detachSeen = true;
            }
        }
        if (state == PagePool.State.RELEASED && (h1 != r1 || h2 != r2 || inflight != 0)) {
            violations.add(at + "RELEASED with inflight != 0");
        }
    }

    /** Pools created, detached ({@code CHANGE}) and released ({@code DEL}) so far. */
    long created() {
        return created.get();
    }

    long detached() {
        return detached.get();
    }

    long released() {
        return released.get();
    }

    long samples() {
        return samples.get();
    }

    /** Every pool seen, RELEASED or not. */
    List<PagePool> pools() {
        List<PagePool> l = new ArrayList<>();
        for (Track t : tracks.values()) {
            l.add(t.pool);
        }
        return l;
    }

    /**
     * The end-of-run audit: every pool ever seen must be RELEASED with exact accounting and have had its
     * {@code DEL}; each one that is not is described in the returned list (a leak).
     */
    List<String> audit() {
        List<String> leaks = new ArrayList<>();
        for (Track t : tracks.values()) {
            PagePool p = t.pool;
            if (p.state() != PagePool.State.RELEASED || !t.deleted) {
                leaks.add("pool " + p.id() + " " + p.state() + " inflight " + p.inflight()
                        + (p.outstandingAllocationSites().isEmpty() ? "" : ", allocated at "
                        + p.outstandingAllocationSites()));
            } else {
                checkFinal(p, "audit");
            }
        }
        return leaks;
    }

    /**
     * Buffers handed out by all pools seen: {@code fast + refill + slow + slowHighOrder}. (A net_iov
     * provider's first hand-out of a buffer goes straight to the caller and, as in the kernel, is in no
     * counter; every later one is.)
     */
    long buffersCycled() {
        long n = 0;
        for (Track t : tracks.values()) {
            if (t.pool.statsEnabled()) {
                PagePoolStats s = t.pool.stats();
                n += s.fast() + s.refill() + s.slow() + s.slowHighOrder();
            }
        }
        return n;
    }

    /** {@code hold} summed over all pools seen: buffers that entered a pool from its provider. */
    long buffersHeld() {
        long n = 0;
        for (Track t : tracks.values()) {
            n += Integer.toUnsignedLong(t.pool.holdCount());
        }
        return n;
    }
}
