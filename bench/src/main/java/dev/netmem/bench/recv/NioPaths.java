package dev.netmem.bench.recv;

import dev.netmem.demo.ShmHandoff;
import dev.netmem.demo.StreamPattern;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.foreign.MemorySegment;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Paths (a), (b) and (f): plain NIO receive, verified in this JVM, piped to a consumer JVM over a Unix
 * socket, or read into shared memory that a consumer JVM verifies in place.
 */
final class NioPaths {
    static final int BUF = 1 << 20;

    private NioPaths() {
    }

    /** The sender every NIO and Netty run uses: a thread writing {@code bytes} of the pattern. */
    static Thread sender(int port, long bytes) {
        return Thread.ofPlatform().daemon().name("recv-sender").start(() -> {
            try (SocketChannel ch = SocketChannel.open(new InetSocketAddress(InetAddress.getLoopbackAddress(), port))) {
                for (long off = 0; off < bytes; ) {
                    int n = (int) Math.min(BUF, bytes - off);
                    ByteBuffer b = StreamPattern.slice(off, n);
                    while (b.hasRemaining()) {
                        ch.write(b);
                    }
                    off += n;
                }
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
    }

    static long cpuNanos() {
        return ProcessHandle.current().info().totalCpuDuration().map(java.time.Duration::toNanos).orElse(0L);
    }

    /** (a): read into a 1 MiB direct buffer and verify each read in place. */
    static RecvBench.Result nio(long bytes, String verify) throws Exception {
        try (ServerSocketChannel ss = ServerSocketChannel.open()) {
            ss.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            long t0 = System.nanoTime();
            long c0 = cpuNanos();
            Thread s = sender(((InetSocketAddress) ss.getLocalAddress()).getPort(), bytes);
            boolean ok;
            long got;
            try (SocketChannel ch = ss.accept()) {
                Verifier v = new Verifier(verify);
                ByteBuffer buf = ByteBuffer.allocateDirect(BUF);
                MemorySegment seg = MemorySegment.ofBuffer(buf);
                int n;
                while ((n = ch.read(buf)) >= 0) {
                    v.chunk(seg, buf, n);
                    buf.clear();
                }
                got = v.pos;
                ok = v.ok(bytes);
            }
            double secs = (System.nanoTime() - t0) / 1e9;
            s.join();
            return new RecvBench.Result(got, secs, (cpuNanos() - c0) / 1e9, ok);
        }
    }

    /** (b): read as (a), write every chunk to a consumer JVM over a Unix socket; it verifies. */
    static RecvBench.Result nioPipe(long bytes, String verify) throws Exception {
        Path sock = Files.createTempFile(Path.of("/dev/shm"), "netmem-recv-", ".sock");
        Files.delete(sock);
        Process consumer = null;
        try (ServerSocketChannel us = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
             ServerSocketChannel ss = ServerSocketChannel.open()) {
            us.bind(UnixDomainSocketAddress.of(sock));
            ss.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            List<String> cmd = List.of(ProcessHandle.current().info().command().orElse("java"), "-Xmx256m",
                    "-XX:+UseSerialGC", "-cp", System.getProperty("java.class.path"), PipeConsumer.class.getName(),
                    sock.toString(), verify, Long.toString(bytes));
            consumer = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
            try (SocketChannel toConsumer = us.accept()) { // connected: the consumer is ready
                long t0 = System.nanoTime();
                long c0 = cpuNanos();
                Thread s = sender(((InetSocketAddress) ss.getLocalAddress()).getPort(), bytes);
                try (SocketChannel ch = ss.accept()) {
                    ByteBuffer buf = ByteBuffer.allocateDirect(BUF);
                    while (ch.read(buf) >= 0) {
                        buf.flip();
                        while (buf.hasRemaining()) {
                            toConsumer.write(buf);
                        }
                        buf.clear();
                    }
                }
                toConsumer.shutdownOutput();
                BufferedReader r = new BufferedReader(new InputStreamReader(consumer.getInputStream(),
                        StandardCharsets.UTF_8));
                String line = r.readLine(); // "<bytes> <ok> <cpuNanos>" once every byte is verified
                double secs = (System.nanoTime() - t0) / 1e9;
                s.join();
                String[] f = line == null ? new String[] {"0", "false", "0"} : line.split(" ");
                long got = Long.parseLong(f[0]);
                return new RecvBench.Result(got, secs, (cpuNanos() - c0 + Long.parseLong(f[2])) / 1e9,
                        Boolean.parseBoolean(f[1]) && got == bytes);
            }
        } finally {
            if (consumer != null) {
                consumer.waitFor(30, TimeUnit.SECONDS);
                consumer.destroyForcibly();
            }
            Files.deleteIfExists(sock);
        }
    }

    /**
     * (f): read as (a), but straight into a shared-memory file, each read verified in place by a
     * consumer JVM ({@link ShmHandoff}): netmem's data movement with nothing of netmem, the
     * conventional design to hold its cross-process paths against.
     */
    static RecvBench.Result nioShm(long bytes, String verify) throws Exception {
        try (ServerSocketChannel ss = ServerSocketChannel.open();
             ShmHandoff h = ShmHandoff.start(verify)) { // returns once the consumer is ready
            ss.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            long t0 = System.nanoTime();
            long c0 = cpuNanos();
            Thread s = sender(((InetSocketAddress) ss.getLocalAddress()).getPort(), bytes);
            long got;
            try (SocketChannel ch = ss.accept()) {
                got = h.receive(ch);
            }
            ShmHandoff.Outcome o = h.finish(got);
            double secs = (System.nanoTime() - t0) / 1e9;
            long cpu = cpuNanos() - c0;
            s.join();
            return new RecvBench.Result(got, secs, (cpu + o.consumerCpuNanos()) / 1e9, got == bytes && o.verified(bytes));
        }
    }

    /** Checks the stream chunk by chunk, by pattern or by SHA-256. */
    static final class Verifier {
        private final boolean pattern;
        private final MessageDigest md;
        long pos;
        boolean mismatch;

        Verifier(String verify) {
            pattern = verify.equals("pattern");
            md = pattern ? null : StreamPattern.newSha256();
        }

        /** {@code n} bytes at the start of {@code seg} (the contents of {@code buf} after a read). */
        void chunk(MemorySegment seg, ByteBuffer buf, int n) {
            if (pattern) {
                mismatch |= !StreamPattern.matches(seg, 0, n, pos);
            } else {
                buf.flip();
                md.update(buf);
            }
            pos += n;
        }

        void chunk(MemorySegment seg, long off, int n) {
            if (pattern) {
                mismatch |= !StreamPattern.matches(seg, off, n, pos);
            } else {
                md.update(seg.asSlice(off, n).asByteBuffer());
            }
            pos += n;
        }

        boolean ok(long expected) {
            if (pos != expected || mismatch) {
                return false;
            }
            return pattern || Arrays.equals(md.digest(), StreamPattern.sha256(expected));
        }
    }
}
