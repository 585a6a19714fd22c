package dev.netmem.rxqueue.wire;

import dev.netmem.rxqueue.nic.NetDevice;

/**
 * A packet source feeding a {@link NetDevice}: a {@link SyntheticWire} generator, or a
 * {@link StreamWire} that segments bytes read from a real stream (a TCP socket) into packets.
 * Each wire runs one daemon thread; {@link #close()} stops it and waits for it.
 */
public sealed interface Wire extends AutoCloseable permits SyntheticWire, StreamWire {
    /** Packets the device accepted. */
    long packetsSent();

    /** Payload bytes the device accepted. */
    long bytesSent();

    /**
     * Waits until the source is exhausted (count reached, or end of stream).
     *
     * @return whether it finished within {@code timeout}
     */
    boolean await(java.time.Duration timeout) throws InterruptedException;

    /** Stops the thread and waits for it. Idempotent. */
    @Override
    void close();
}
