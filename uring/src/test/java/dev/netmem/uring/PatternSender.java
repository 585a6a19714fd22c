package dev.netmem.uring;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.util.concurrent.CountDownLatch;

/**
 * A Java NIO client thread that connects to 127.0.0.1:port and sends {@code total} bytes of a
 * {@link Pattern}, then closes (EOF), or resets the connection ({@code SO_LINGER 0}) once
 * {@code resetGate} opens.
 */
final class PatternSender extends Thread {
    private static final int CHUNK = 1 << 20;

    private final int port;
    private final long total;
    private final Pattern pattern;
    private final CountDownLatch resetGate;
    private volatile Throwable failure;
    private volatile long sent;

    PatternSender(int port, long total, Pattern pattern, CountDownLatch resetGate) {
        super("pattern-sender");
        setDaemon(true);
        this.port = port;
        this.total = total;
        this.pattern = pattern;
        this.resetGate = resetGate;
    }

    @Override
    public void run() {
        try (SocketChannel ch = SocketChannel.open(new InetSocketAddress("127.0.0.1", port))) {
            ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
            ByteBuffer buf = ByteBuffer.allocateDirect(CHUNK);
            long pos = 0;
            while (pos < total) {
                int n = (int) Math.min(CHUNK, total - pos);
                buf.clear().limit(n);
                pattern.fill(buf, pos);
                buf.flip();
                while (buf.hasRemaining()) {
                    ch.write(buf);
                }
                pos += n;
                sent = pos;
            }
            if (resetGate != null) {
                resetGate.await();
                ch.setOption(StandardSocketOptions.SO_LINGER, 0);
            }
        } catch (IOException | InterruptedException | RuntimeException e) {
            failure = e;
        }
    }

    long sent() {
        return sent;
    }

    Throwable failure() {
        return failure;
    }
}
