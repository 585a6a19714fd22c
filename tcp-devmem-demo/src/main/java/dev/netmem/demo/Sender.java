package dev.netmem.demo;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.channels.WritableByteChannel;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.concurrent.locks.LockSupport;

/**
 * The built-in sender ({@code ./netmem demo send}): writes the {@link StreamPattern} stream over a
 * real TCP connection and hashes what it sent.
 */
final class Sender {
    private static final int CHUNK = 1 << 20;

    /** What was sent. */
    record Result(long bytes, String sha256, double seconds) {
    }

    private Sender() {
    }

    /** Connects to {@code host:port} and sends {@code bytes}, or sends until {@code seconds} pass when bytes is 0. */
    static Result send(String host, int port, long bytes, double seconds) throws IOException {
        return send(host, port, bytes, seconds, true, 0);
    }

    /**
     * As {@link #send(String, int, long, double)}; without {@code hash} the SHA-256 is not computed (null);
     * paced to {@code rate} bytes per second when it is positive (see
     * {@link #send(WritableByteChannel, long, double, boolean, long)}).
     */
    static Result send(String host, int port, long bytes, double seconds, boolean hash, long rate) throws IOException {
        try (SocketChannel ch = SocketChannel.open()) {
            ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
            ch.socket().connect(new InetSocketAddress(host, port), 10_000);
            return send(ch, bytes, seconds, hash, rate);
        }
    }

    /** The connection failed after {@link #bytes()} bytes were written to it. */
    static final class Stopped extends IOException {
        private static final long serialVersionUID = 1L;
        private final long bytes;

        Stopped(long bytes, IOException cause) {
            super(cause.getMessage() != null ? cause.getMessage() : cause.getClass().getSimpleName(), cause);
            this.bytes = bytes;
        }

        /** Bytes written before the failure. */
        long bytes() {
            return bytes;
        }
    }

    /**
     * Writes the stream to {@code ch} straight from {@link StreamPattern}'s slices (nothing is
     * generated or copied per write), as the receive benchmark's NIO sender does: {@code bytes}, or
     * for {@code seconds} when bytes is 0; the SHA-256 only with {@code hash}. With a positive
     * {@code rate} the writes are paced so that by any instant at most {@code rate} bytes per second since the start
     * plus one write have gone out: writes of about 10 ms of the rate (4 KiB to 1 MiB), each waiting
     * for its turn.
     */
    static Result send(WritableByteChannel ch, long bytes, double seconds, boolean hash, long rate)
            throws IOException {
        if (rate < 0) {
            throw new IllegalArgumentException("rate must be positive, or 0 for none: " + rate);
        }
        MessageDigest sha = hash ? StreamPattern.newSha256() : null;
        long start = System.nanoTime();
        long deadline = seconds > 0 ? start + (long) (seconds * 1e9) : Long.MAX_VALUE;
        int chunk = rate > 0 ? Math.clamp(rate / 100, 4096, CHUNK) : CHUNK;
        long pos = 0;
        try {
            while (bytes > 0 ? pos < bytes : System.nanoTime() < deadline) {
                if (rate > 0 && !awaitTurn(start, pos, rate, bytes == 0, deadline)) {
                    break; // the run's time ran out while waiting
                }
                int n = (int) (bytes > 0 ? Math.min(chunk, bytes - pos) : chunk);
                ByteBuffer b = StreamPattern.slice(pos, n);
                while (b.hasRemaining()) {
                    pos += ch.write(b);
                }
                if (sha != null) {
                    StreamPattern.update(sha, pos - n, n);
                }
            }
        } catch (IOException e) {
            throw new Stopped(pos, e);
        }
        return new Result(pos, hash ? HexFormat.of().formatHex(sha.digest()) : null, (System.nanoTime() - start) / 1e9);
    }

    /**
     * Waits until {@code pos} bytes are due at {@code rate} bytes per second since {@code start}; false if
     * {@code deadline} comes first (only when {@code timed}).
     */
    private static boolean awaitTurn(long start, long pos, long rate, boolean timed, long deadline) {
        long due = start + (long) (pos * 1e9 / rate);
        while (true) {
            long now = System.nanoTime();
            if (now - due >= 0) {
                return true;
            }
            if (timed && now - deadline >= 0) {
                return false;
            }
            LockSupport.parkNanos(timed ? Math.min(due - now, deadline - now) : due - now);
        }
    }
}
