package dev.netmem.rxqueue.wire;

import dev.netmem.rxqueue.nic.NetDevice;
import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.concurrent.locks.LockSupport;

/** The thread and the send-with-retry loop the wires share. */
abstract class WireThread {
    private final Thread thread;
    final NetDevice device;
    final int srcPort;
    final int dstPort;
    volatile boolean stop;
    volatile long packets;
    volatile long bytes;
    /** Set by the wire thread when the source failed. */
    volatile Throwable failure;

    WireThread(NetDevice device, int srcPort, int dstPort, String name) {
        this.device = device;
        this.srcPort = srcPort;
        this.dstPort = dstPort;
        this.thread = Thread.ofPlatform().daemon().name(name).unstarted(this::runSafely);
    }

    final void start() {
        thread.start();
    }

    private void runSafely() {
        try {
            run();
        } catch (RuntimeException | java.io.IOException e) {
            failure = e;
        }
    }

    abstract void run() throws java.io.IOException;

    /**
     * Offers one packet; when {@code reliable}, retries (like a TCP sender waiting for the window
     * or retransmitting) until the device takes it or the wire is closed.
     */
    final boolean send(MemorySegment payload, boolean reliable) {
        while (!stop) {
            if (device.receive(srcPort, dstPort, payload)) {
                packets = packets + 1;
                bytes = bytes + payload.byteSize();
                return true;
            }
            if (!reliable) {
                return false;
            }
            LockSupport.parkNanos(20_000L);
        }
        return false;
    }

    final boolean awaitThread(Duration timeout) throws InterruptedException {
        return thread.join(timeout);
    }

    final void stopThread() {
        stop = true;
        LockSupport.unpark(thread);
        try {
            if (!thread.join(Duration.ofSeconds(5))) {
                throw new IllegalStateException(thread.getName() + " did not stop");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
