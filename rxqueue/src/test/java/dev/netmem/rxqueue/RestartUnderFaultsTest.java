package dev.netmem.rxqueue;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.netmem.rxqueue.nic.AllocFailPolicy;
import dev.netmem.rxqueue.nic.NetDevice;
import dev.netmem.rxqueue.stack.DevmemSocket;
import dev.netmem.rxqueue.stack.NetStack;
import dev.netmem.rxqueue.wire.PayloadPattern;
import dev.netmem.rxqueue.wire.SyntheticWire;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.time.Duration;
import java.util.ArrayList;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The RX engine's promise across a queue restart: a packet the NIC accepted is delivered exactly
 * once and in order, also while allocations fail ({@code pp_alloc_fail.py}'s interval 511) and the
 * reliable wire retries what the NIC misses. Seeded ({@code -Dnetmem.seed=N} reruns one seed).
 */
@Timeout(120)
class RestartUnderFaultsTest extends DeviceTestBase {
    private static final PayloadPattern P = PayloadPattern.repeating(251);
    private static final Duration T = Duration.ofSeconds(10);

    @Test
    void shouldDeliverTheStreamOnceAndInOrderAcrossRestartsUnderAllocationFaults() throws Exception {
        long seed = Long.getLong("netmem.seed", System.nanoTime());
        System.out.println("RestartUnderFaultsTest seed " + seed);
        SplittableRandom rnd = new SplittableRandom(seed);
        int runs = Integer.getInteger("netmem.restart.runs", 40);
        for (int run = 0; run < runs; run++) {
            oneRun(run, rnd.nextLong(), seed);
        }
    }

    /** One device, one socket, a wire streaming the pattern, restarts of queue 0 while it runs. */
    private void oneRun(int run, long wireSeed, long seed) throws Exception {
        NetDevice dev = device(NetDevice.builder("rstf" + run).ringSize(256).headerSplit(false, 0));
        dev.open();
        dev.setAllocFailPolicy(AllocFailPolicy.everyNth(511));
        MemorySegment iov = Arena.ofAuto().allocate(64 * 1024);
        try (DevmemSocket sock = NetStack.of(dev).openSocket(80);
             SyntheticWire w = SyntheticWire.builder(dev, 4000, 80).sizes(64, 256).pattern(P).seed(wireSeed)
                     .start()) {
            long got = 0;
            long nextRestart = 64 * 1024;
            int restarts = 0;
            long deadline = System.nanoTime() + T.toNanos();
            while (restarts < 3 || got < nextRestart) {
                if (System.nanoTime() > deadline) {
                    fail("run " + run + " (seed " + seed + "): timed out at " + got + " bytes, " + restarts
                            + " restarts");
                }
                int n = sock.recvmsg(iov, new ArrayList<>(), 0, Duration.ofMillis(20));
                int bad = firstMismatch(iov, n, got);
                if (bad >= 0) {
                    fail("run " + run + " (seed " + seed + "): stream offset " + (got + bad) + " after " + restarts
                            + " restart(s) is " + iov.get(ValueLayout.JAVA_BYTE, bad) + ", expected "
                            + P.at(got + bad) + " (" + dev.rxQueue(0).rxAllocFail() + " alloc fails, "
                            + dev.rxQueue(0).rxMissed() + " missed, " + dev.rxQueue(0).rxDropped() + " dropped)");
                }
                got += n;
                if (got >= nextRestart && restarts < 3) {
                    dev.restartQueue(0); // the application thread restarts while the wire runs
                    restarts++;
                    nextRestart = got + 64 * 1024;
                }
            }
            assertEquals(0, dev.rxQueue(0).rxDropped(), "run " + run + ": nothing dropped past the window");
            assertTrue(w.packetsSent() > 0);
        }
        dev.close();
    }

    private static int firstMismatch(MemorySegment iov, int n, long from) {
        for (int i = 0; i < n; i++) {
            if (iov.get(ValueLayout.JAVA_BYTE, i) != P.at(from + i)) {
                return i;
            }
        }
        return -1;
    }
}
