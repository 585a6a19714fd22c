package dev.netmem.rxqueue;

import static dev.netmem.testsupport.base.Await.await;

import dev.netmem.rxqueue.netdev.Netdev;
import dev.netmem.rxqueue.netdev.PagePoolInfo;
import dev.netmem.rxqueue.nic.NetDevice;
import dev.netmem.rxqueue.wire.PayloadPattern;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * What the rxqueue tests share beyond test-support: payloads, sending through a device, a device's
 * inflight.
 */
final class TestSupport {
    private TestSupport() {
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
}
