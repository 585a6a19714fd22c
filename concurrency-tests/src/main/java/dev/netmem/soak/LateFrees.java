package dev.netmem.soak;

import dev.netmem.rxqueue.stack.DevmemSocket;
import dev.netmem.rxqueue.stack.DmabufToken;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.PriorityQueue;
import java.util.Random;

/**
 * Late, out-of-order token returns: each devmem token a receiver takes is held until its due time,
 * then given back with {@code dontneed} in shuffled batches by one freer thread; a pinned binding
 * generation's tokens are held until it is unpinned (the long-held buffers fault).
 */
final class LateFrees {
    /** Longest delay of a token return (and of a user-ring refill). */
    static final long MAX_FREE_DELAY_NS = 30_000_000L;

    /** A devmem token held by the user until {@code due}. */
    record Held(Flow flow, int token, long key, TokenLedger.Gen gen, long due) {
    }

    private final List<Flow> flows;
    private final TokenLedger ledger;
    private final Violations violations;
    private final PriorityQueue<Held> queue = new PriorityQueue<>((x, y) -> Long.compare(x.due(), y.due()));
    private final Random random;
    private Thread thread;
    private boolean stop;
    private boolean flushed;

    LateFrees(List<Flow> flows, TokenLedger ledger, Violations violations, long seed) {
        this.flows = flows;
        this.ledger = ledger;
        this.violations = violations;
        this.random = new Random(seed + 7);
    }

    /** Starts the freer thread. */
    void start() {
        thread = Thread.ofPlatform().name("soak-freer").start(this::loop);
    }

    /** Holds {@code h} until it is due. Any thread. */
    synchronized void hold(Held h) {
        queue.add(h);
    }

    /** Wakes the freer: a generation was unpinned. */
    synchronized void wake() {
        notifyAll();
    }

    private void loop() {
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
                    ledger.returned(h.key());
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

    /** Waits at most {@code millis} ({@code 0}: for ever) for the freer thread, if it was started. */
    void join(long millis) throws InterruptedException {
        if (thread != null) {
            thread.join(millis);
        }
    }
}
