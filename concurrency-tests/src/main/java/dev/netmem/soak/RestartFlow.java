package dev.netmem.soak;

import dev.netmem.rxqueue.nic.AllocFailPolicy;
import dev.netmem.rxqueue.nic.NetDevice;
import dev.netmem.rxqueue.stack.DevmemRecord;
import dev.netmem.rxqueue.stack.DevmemSocket;
import dev.netmem.rxqueue.stack.NetStack;
import dev.netmem.rxqueue.wire.PayloadPattern;
import dev.netmem.rxqueue.wire.SyntheticWire;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The soak's restart-under-faults flow (issue 14's data-loss report, as a user met it): a second device
 * with one queue on host pages and header split off, a wire streaming packets of 64 to 256 bytes of a
 * repeating pattern, page-pool allocations failing every 511th ({@code pp_alloc_fail.py}'s interval),
 * and queue 0 restarted by the chaos thread while the wire runs. Every received byte is compared with
 * the pattern at its stream offset, so a packet the NIC accepted and a restart lost (or delivered
 * twice) shifts the stream and is a violation; at the end every byte the wire sent must have arrived.
 *
 * <p>Threads: the wire, the device's NAPI, one receiver; {@link #restart} on the chaos thread; the rest
 * on the soak's main thread.
 */
final class RestartFlow {
    static final PayloadPattern PATTERN = PayloadPattern.repeating(251);
    private static final int PORT = 7100;
    private static final long PPS = 10_000;

    private final NetDevice dev;
    private final DevmemSocket sock;
    private final Violations violations;
    private final MemorySegment iov = Arena.ofAuto().allocate(64 << 10);
    private final List<DevmemRecord> records = new ArrayList<>();
    private SyntheticWire wire;
    private Thread receiver;
    private volatile boolean stop;
    /** Receiver thread while it runs, then the main thread after joining it. */
    private long got;
    private boolean broken;
    /** Chaos thread. */
    private volatile long restarts;

    private RestartFlow(NetDevice dev, Violations violations) {
        this.dev = dev;
        this.sock = NetStack.of(dev).openSocket(PORT);
        this.violations = violations;
    }

    /** Builds and opens the device, with the fault policy set, and opens the socket. */
    static RestartFlow create(Violations violations) {
        NetDevice dev = NetDevice.builder("soak1").ringSize(Soak.RING).headerSplit(false, 0).build();
        try {
            dev.open();
            dev.setAllocFailPolicy(AllocFailPolicy.everyNth(511));
            return new RestartFlow(dev, violations);
        } catch (RuntimeException | Error e) {
            dev.unregister();
            throw e;
        }
    }

    /** Starts the receiver and the wire. */
    void start(long seed) {
        receiver = Thread.ofPlatform().name("soak-rx-restart").start(this::receiveLoop);
        wire = SyntheticWire.builder(dev, 41000, PORT).sizes(64, 256).pattern(PATTERN).ratePps(PPS).seed(seed)
                .start();
    }

    /** {@code restartQueue(0)} while the wire runs. Chaos thread. */
    void restart() {
        dev.restartQueue(0);
        restarts++;
    }

    private void receiveLoop() {
        while (!stop) {
            receiveOnce(Duration.ofMillis(2));
        }
    }

    private int receiveOnce(Duration timeout) {
        records.clear();
        int n;
        try {
            n = sock.recvmsg(iov, records, 0, timeout);
        } catch (RuntimeException e) {
            violations.add("restart flow receive: " + e);
            stop = true;
            return 0;
        }
        if (!broken) {
            for (int i = 0; i < n; i++) {
                byte b = iov.get(ValueLayout.JAVA_BYTE, i);
                if (b != PATTERN.at(got + i)) {
                    broken = true; // one report: every later byte is off too
                    violations.add("restart flow: stream offset " + (got + i) + " is " + b + ", expected "
                            + PATTERN.at(got + i) + " after " + restarts + " restart(s): a packet the NIC accepted was"
                            + " lost or delivered twice");
                    break;
                }
            }
        }
        got += n;
        return n;
    }

    /**
     * Stops the wire, receives what is left (at most 10 s) and checks that every byte the device took
     * arrived, in order, and nothing was dropped. Chaos stopped.
     */
    void finish() throws InterruptedException {
        wire.close();
        stop = true;
        receiver.join();
        long sent = wire.bytesSent();
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (got < sent && System.nanoTime() < deadline) {
            receiveOnce(Duration.ofMillis(20));
        }
        if (got != sent) {
            violations.add("restart flow: the wire sent " + sent + " bytes the device accepted, " + got + " arrived");
        }
        if (dev.rxQueue(0).rxDropped() != 0) {
            violations.add("restart flow: " + dev.rxQueue(0).rxDropped() + " packets dropped");
        }
    }

    /** Closes the socket and unregisters the device. */
    void close() {
        stop = true;
        sock.close();
        dev.unregister();
    }

    /** One line for the soak's log. */
    String summary() {
        return String.format(java.util.Locale.ROOT, "restart flow: %d restarts of a 1-queue device (no header split, "
                + "alloc fail every 511th: rxAllocFail %d, rxMissed %d), %,d bytes verified in order", restarts,
                dev.rxQueue(0).rxAllocFail(), dev.rxQueue(0).rxMissed(), got);
    }

    /** Restarts so far. */
    long restarts() {
        return restarts;
    }
}
