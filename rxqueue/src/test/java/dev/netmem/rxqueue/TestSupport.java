package dev.netmem.rxqueue;

import static org.junit.jupiter.api.Assertions.fail;

import dev.netmem.api.NetdevRxQueue;
import dev.netmem.api.spi.MemoryProvider;
import dev.netmem.rxqueue.netdev.Netdev;
import dev.netmem.rxqueue.netdev.PagePoolInfo;
import dev.netmem.rxqueue.nic.NetDevice;
import dev.netmem.rxqueue.wire.PayloadPattern;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.time.Duration;
import java.util.function.BooleanSupplier;

/** Polling helpers with bounded waits. */
final class TestSupport {
    private TestSupport() {
    }

    static void await(String what, Duration timeout, BooleanSupplier cond) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!cond.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                fail("timed out after " + timeout + " waiting for: " + what);
            }
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                fail("interrupted waiting for: " + what);
            }
        }
    }

    static void await(String what, BooleanSupplier cond) {
        await(what, Duration.ofSeconds(5), cond);
    }

    /** A payload of {@code len} bytes following {@code pattern} from stream offset {@code from}. */
    static MemorySegment payload(PayloadPattern pattern, long from, int len) {
        MemorySegment s = Arena.ofAuto().allocate(len);
        for (int i = 0; i < len; i++) {
            s.set(ValueLayout.JAVA_BYTE, i, pattern.at(from + i));
        }
        return s;
    }

    /** Sends one packet, retrying while the device refuses it (bounded). */
    static void send(NetDevice dev, int src, int dst, MemorySegment payload) {
        await("device accepts a packet", () -> dev.receive(src, dst, payload));
    }

    static long inflight(NetDevice dev) {
        return Netdev.pagePoolDump(dev.ifindex()).stream().mapToLong(PagePoolInfo::inflight).sum();
    }

    /** A queue of no device (ifindex 1) bound to {@code mp}, for pools outside a NetDevice. */
    static NetdevRxQueue stubQueue(MemoryProvider mp) {
        return new StubQueue(0, 1, mp);
    }

    /** A bare {@link NetdevRxQueue}. */
    record StubQueue(int queueIndex, int ifindex, MemoryProvider memoryProvider) implements NetdevRxQueue {
    }
}
