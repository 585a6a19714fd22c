package dev.netmem.demo;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.security.MessageDigest;
import java.util.HexFormat;

/**
 * The built-in sender ({@code ./netmem demo send}): writes the {@link PayloadPattern} stream over a
 * real TCP connection and hashes what it sent.
 */
final class Sender {
    static final long SEED = 0x6e65746d656dL; // "netmem"
    private static final int CHUNK = 64 << 10;

    /** What was sent. */
    record Result(long bytes, String sha256, double seconds) {
    }

    private Sender() {
    }

    /** Connects to {@code host:port} and sends {@code bytes}, or sends until {@code seconds} pass when bytes is 0. */
    static Result send(String host, int port, long bytes, double seconds) throws IOException {
        return send(host, port, bytes, seconds, true);
    }

    /** As {@link #send(String, int, long, double)}; without {@code hash} the SHA-256 is not computed (null). */
    static Result send(String host, int port, long bytes, double seconds, boolean hash) throws IOException {
        try (Socket s = new Socket()) {
            s.setTcpNoDelay(true);
            s.connect(new InetSocketAddress(host, port), 10_000);
            return send(s.getOutputStream(), bytes, seconds, hash);
        }
    }

    /** The connection failed after {@link #bytes()} bytes were written to it. */
    static final class Stopped extends IOException {
        private static final long serialVersionUID = 1L;
        private final long bytes;

        Stopped(long bytes, IOException cause) {
            super(cause.getMessage(), cause);
            this.bytes = bytes;
        }

        /** Bytes written before the failure. */
        long bytes() {
            return bytes;
        }
    }

    static Result send(OutputStream out, long bytes, double seconds) throws IOException {
        return send(out, bytes, seconds, true);
    }

    static Result send(OutputStream out, long bytes, double seconds, boolean hash) throws IOException {
        MessageDigest sha = sha256();
        PayloadPattern p = new PayloadPattern(SEED);
        byte[] buf = new byte[CHUNK];
        long start = System.nanoTime();
        long deadline = seconds > 0 ? start + (long) (seconds * 1e9) : Long.MAX_VALUE;
        long pos = 0;
        try {
            while (bytes > 0 ? pos < bytes : System.nanoTime() < deadline) {
                int n = (int) (bytes > 0 ? Math.min(CHUNK, bytes - pos) : CHUNK);
                p.fill(buf, n, pos);
                out.write(buf, 0, n);
                if (hash) {
                    sha.update(buf, 0, n);
                }
                pos += n;
            }
            out.flush();
        } catch (IOException e) {
            throw new Stopped(pos, e);
        }
        return new Result(pos, hash ? HexFormat.of().formatHex(sha.digest()) : null, (System.nanoTime() - start) / 1e9);
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
