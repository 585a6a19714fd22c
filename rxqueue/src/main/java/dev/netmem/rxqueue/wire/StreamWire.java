package dev.netmem.rxqueue.wire;

import dev.netmem.rxqueue.nic.NetDevice;
import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.MemorySegment;
import java.net.Socket;
import java.time.Duration;
import java.util.Objects;

/**
 * A stream source: reads bytes from an {@link InputStream} (typically a real TCP socket) and
 * segments them into packets of at most {@code mss} payload bytes for one flow of a device. Sends
 * are reliable: a refused segment (zero window, no posted descriptor, device down) is retried, so
 * the bytes arrive in order; a packet the NIC took is never dropped by the RX engine for a sender
 * that respects the window.
 */
public final class StreamWire implements Wire {
    private final Reader reader;

    private StreamWire(NetDevice device, InputStream in, int srcPort, int dstPort, int mss) {
        reader = new Reader(device, in, srcPort, dstPort, mss);
    }

    /**
     * Starts segmenting {@code in} into packets {@code srcPort → dstPort} of {@code device}.
     *
     * @throws IllegalArgumentException if {@code mss} is not in {@code [1, 65536]}
     */
    public static StreamWire start(NetDevice device, InputStream in, int srcPort, int dstPort, int mss) {
        Objects.requireNonNull(device, "device");
        Objects.requireNonNull(in, "in");
        if (mss < 1 || mss > 65536) {
            throw new IllegalArgumentException("mss must be in [1, 65536]: " + mss);
        }
        StreamWire w = new StreamWire(device, in, srcPort, dstPort, mss);
        w.reader.start();
        return w;
    }

    /** Feeds the bytes received on {@code socket}, keeping its ports as the flow. */
    public static StreamWire fromSocket(NetDevice device, Socket socket, int mss) throws IOException {
        return start(device, socket.getInputStream(), socket.getPort(), socket.getLocalPort(), mss);
    }

    @Override
    public long packetsSent() {
        return reader.packets;
    }

    @Override
    public long bytesSent() {
        return reader.bytes;
    }

    /** The exception that ended the stream early, or {@code null}. */
    public Throwable failure() {
        return reader.failure;
    }

    @Override
    public boolean await(Duration timeout) throws InterruptedException {
        return reader.awaitThread(timeout);
    }

    /** Stops the thread (closing the input stream to unblock it) and waits for it. */
    @Override
    public void close() {
        try {
            reader.in.close();
        } catch (IOException e) {
            reader.failure = e;
        }
        reader.stopThread();
    }

    private static final class Reader extends WireThread {
        private final InputStream in;
        private final int mss;

        Reader(NetDevice device, InputStream in, int srcPort, int dstPort, int mss) {
            super(device, srcPort, dstPort, "stream-" + device.name() + "-" + srcPort + ">" + dstPort);
            this.in = in;
            this.mss = mss;
        }

        @Override
        void run() throws IOException {
            byte[] buf = new byte[mss];
            MemorySegment seg = MemorySegment.ofArray(buf);
            int n;
            while (!stop && (n = in.read(buf, 0, mss)) > 0) {
                if (!send(seg.asSlice(0, n), true)) {
                    return;
                }
            }
        }
    }
}
