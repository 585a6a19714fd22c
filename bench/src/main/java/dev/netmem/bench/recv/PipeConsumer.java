package dev.netmem.bench.recv;

import dev.netmem.demo.StreamPattern;
import java.lang.foreign.MemorySegment;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;

/**
 * The consumer JVM of path (b): connects to the receiver's Unix socket, reads every byte into a
 * direct buffer and verifies it; prints {@code "<bytes> <verified> <cpuNanos>"} at the end, the CPU
 * time since it connected (the receiver's clock starts at the connection; start-up is not counted).
 */
public final class PipeConsumer {
    private PipeConsumer() {
    }

    /** {@code PipeConsumer <socket-path> <pattern|sha256> <bytes>}. */
    public static void main(String[] args) throws Exception {
        warmUp(args[1]);
        try (SocketChannel ch = SocketChannel.open(UnixDomainSocketAddress.of(Path.of(args[0])))) {
            long c0 = NioPaths.cpuNanos(); // connected: the receiver's clock starts now
            NioPaths.Verifier v = new NioPaths.Verifier(args[1]);
            ByteBuffer buf = ByteBuffer.allocateDirect(NioPaths.BUF);
            MemorySegment seg = MemorySegment.ofBuffer(buf);
            int n;
            while ((n = ch.read(buf)) >= 0) {
                if (n > 0) {
                    v.chunk(seg, buf, n);
                }
                buf.clear();
            }
            boolean ok = v.ok(Long.parseLong(args[2]));
            System.out.println(v.pos + " " + ok + " " + (NioPaths.cpuNanos() - c0));
        }
    }

    /**
     * Runs the verifier over the pattern until the JIT has compiled it, before connecting (as the
     * demo's consumer JVM does before it says ready), so neither side's figure includes a cold JIT.
     */
    private static void warmUp(String verify) {
        ByteBuffer buf = ByteBuffer.allocateDirect(4096);
        MemorySegment seg = MemorySegment.ofBuffer(buf);
        NioPaths.Verifier w = new NioPaths.Verifier(verify);
        for (int i = 0; i < 20_000; i++) {
            buf.clear();
            buf.put(StreamPattern.slice(w.pos, 4096)); // as after a read: position = bytes read
            w.chunk(seg, buf, 4096);
        }
        if (!w.ok(w.pos)) {
            throw new IllegalStateException("the verifier fails on the pattern itself");
        }
    }
}
