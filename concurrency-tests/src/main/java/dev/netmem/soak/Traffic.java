package dev.netmem.soak;

import dev.netmem.api.Errno;
import dev.netmem.api.ErrnoException;
import dev.netmem.rxqueue.nic.NetDevice;
import dev.netmem.rxqueue.stack.DevmemRecord;
import dev.netmem.rxqueue.stack.DevmemSocket;
import dev.netmem.rxqueue.wire.SyntheticWire;
import dev.netmem.rxqueue.zcrx.IoUringZcrx;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The soak's traffic: one verified synthetic flow per queue, and two receiver threads (flows 0 and 1,
 * flows 2 and 3) that take each flow's data the way its memory requires: copy {@code recvmsg}, devmem
 * {@code recvmsg} with each token held by {@link LateFrees}, or {@code recvZc} with completions
 * refilled late and shuffled. Every byte is checked against the flow's pattern as it is received.
 */
final class Traffic {
    private static final long PPS_PER_FLOW = 3000;
    /** {@link #receiveOnce}: {@code recvZc} found no room, data may be waiting. */
    private static final int NO_ROOM = -1;

    private final List<Flow> flows;
    private final TokenLedger ledger;
    private final LateFrees lateFrees;
    private final Violations violations;
    private final long seed;
    private final List<Thread> receivers = new ArrayList<>();
    private volatile boolean stop;
    private volatile long lastData = System.nanoTime();

    Traffic(List<Flow> flows, TokenLedger ledger, LateFrees lateFrees, Violations violations, long seed) {
        this.flows = flows;
        this.ledger = ledger;
        this.lateFrees = lateFrees;
        this.violations = violations;
        this.seed = seed;
    }

    /** Starts the two receiver threads. */
    void startReceivers() {
        receivers.add(Thread.ofPlatform().name("soak-rx-a").start(() -> receiveLoop(flows.get(0), flows.get(1))));
        receivers.add(Thread.ofPlatform().name("soak-rx-b").start(() -> receiveLoop(flows.get(2), flows.get(3))));
    }

    /** Starts one wire per flow into {@code dev}. */
    void startWires(NetDevice dev) {
        for (Flow f : flows) {
            f.wire = SyntheticWire.builder(dev, 40000 + f.index, f.port).sizes(f.pattern.packetSize(),
                    f.pattern.packetSize()).pattern(f.pattern).ratePps(PPS_PER_FLOW).seed(seed + f.index).start();
        }
    }

    /** Stops the wires. */
    void closeWires() {
        for (Flow f : flows) {
            f.wire.close();
        }
    }

    /** Waits until no data has arrived for 300 ms (at most 30 s). */
    void awaitQuiet() throws InterruptedException {
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (System.nanoTime() - lastData < 300_000_000L && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
    }

    /** Tells the receivers to stop after their current round. */
    void signalStop() {
        stop = true;
    }

    /** Stops the receivers and waits at most {@code millis} each ({@code 0}: for ever). */
    void stopReceivers(long millis) throws InterruptedException {
        stop = true;
        for (Thread r : receivers) {
            r.join(millis);
        }
    }

    /** Receives what is left on every flow and refills every held completion. Receivers stopped. */
    void drainAll() {
        for (Flow f : flows) {
            f.lock.lock();
            try {
                drain(f, true);
                refillHeld(f, true);
            } finally {
                f.lock.unlock();
            }
        }
    }

    /** Packets sent on every wire. */
    long packetsSent() {
        long n = 0;
        for (Flow f : flows) {
            n += f.wire.packetsSent();
        }
        return n;
    }

    /** Packets received whole and verified, all flows. */
    long packetsVerified() {
        long n = 0;
        for (Flow f : flows) {
            n += f.verifier.packets();
        }
        return n;
    }

    /** Bytes received and verified, all flows. */
    long bytesVerified() {
        long n = 0;
        for (Flow f : flows) {
            n += f.verifier.bytes();
        }
        return n;
    }

    private void receiveLoop(Flow a, Flow b) {
        while (!stop) {
            int n = 0;
            for (Flow f : new Flow[] {a, b}) {
                f.lock.lock();
                try {
                    n += Math.max(0, receiveOnce(f, Duration.ofMillis(1)));
                    refillHeld(f, false);
                } catch (RuntimeException e) {
                    violations.add("flow " + f.index + " receive: " + e);
                    Soak.sleepMillis(10);
                } finally {
                    f.lock.unlock();
                }
            }
            if (n > 0) {
                lastData = System.nanoTime();
            }
        }
    }

    /**
     * One receive call on {@code f}; caller holds its lock. Returns the bytes received, or {@link #NO_ROOM}
     * when {@code recvZc} found no room (completion ring full, no free buffer) and data may be waiting.
     */
    private int receiveOnce(Flow f, Duration timeout) {
        if (f.mode == Flow.Mode.ZC) {
            return receiveZc(f, timeout);
        }
        f.records.clear();
        int flags = f.mode == Flow.Mode.DEVMEM ? DevmemSocket.MSG_SOCK_DEVMEM : 0;
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
                TokenLedger.Gen g = ledger.gen(d.dmabufId());
                if (g == null) {
                    violations.add("flow " + f.index + ": a record of unknown dma-buf binding " + d.dmabufId());
                    continue;
                }
                long key = ledger.held(f.index, d);
                f.verifier.feed(g.binding.dmabuf().segment(), d.fragOffset(), d.fragSize());
                lateFrees.hold(new LateFrees.Held(f, d.fragToken(), key, g,
                        System.nanoTime() + f.random.nextLong(LateFrees.MAX_FREE_DELAY_NS)));
            }
        }
        return n;
    }

    /** {@code recvZc} on {@code f}, then every completion verified and held for a late refill; {@link #NO_ROOM} as above. */
    private int receiveZc(Flow f, Duration timeout) {
        int n;
        try {
            n = IoUringZcrx.recvZc(f.sock, f.ifq, timeout);
        } catch (ErrnoException e) {
            if (e.errno() != Errno.ENOSPC && e.errno() != Errno.ENOMEM) {
                throw e;
            }
            f.lastNoRoom = e.errno();
            n = NO_ROOM; // the completion ring is full or no buffer is free: poll and refill first
        }
        f.ring.poll((off, len, flags) -> {
            f.verifier.feed(f.ring.data(off, len), 0, len);
            f.heldCqes.add(new long[] {off, len, System.nanoTime() + f.random.nextLong(LateFrees.MAX_FREE_DELAY_NS)});
        });
        return n;
    }

    /**
     * Receives until the socket is empty three times in a row; caller holds the flow's lock. A {@code recvZc}
     * without room counts as empty when {@code untilRoom} is false (an unbind: its queue runs on host pages
     * now and the refill ring is no longer consumed, so the copy fallback runs dry; what is left is received
     * by copy). With {@code untilRoom} (the soak's end: receivers stopped, a late refill tests nothing) every
     * held completion is refilled at once and the call retried, for at most 2 s.
     */
    void drain(Flow f, boolean untilRoom) {
        long giveUp = System.nanoTime() + 2_000_000_000L;
        for (int empty = 0; empty < 3; ) {
            int n = receiveOnce(f, Duration.ofMillis(2));
            if (n == NO_ROOM && untilRoom) {
                if (System.nanoTime() - giveUp > 0) {
                    violations.add("flow " + f.index + ": recvZc found no room for 2 s at the end (" + f.lastNoRoom
                            + ", area " + f.ifq.area().freeCount() + " of " + f.ifq.area().niovs().numNiovs()
                            + " free, " + f.sock.queuedBytes() + " bytes queued)");
                    return;
                }
                refillHeld(f, true);
                Soak.sleepMillis(1); // the queue takes the refills on its next allocation
                continue;
            }
            if (n <= 0) {
                empty++;
            } else {
                empty = 0;
            }
            refillHeld(f, false);
        }
    }

    /**
     * Refills the user ring with the held completions that are due (all of them with {@code all}),
     * shuffled; caller holds the flow's lock.
     */
    void refillHeld(Flow f, boolean all) {
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
}
