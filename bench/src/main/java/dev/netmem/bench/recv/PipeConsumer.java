package dev.netmem.bench.recv;

import java.lang.foreign.MemorySegment;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;

/**
 * The consumer JVM of path (b): connects to the receiver's Unix socket, reads every byte into a
 * direct buffer and verifies it; prints {@code "<bytes> <verified> <cpuNanos>"} at the end.
 */
public final class PipeConsumer {
    private PipeConsumer() {
    }

    /** {@code PipeConsumer <socket-path> <pattern|sha256> <bytes>}. */
    public static void main(String[] args) throws Exception {
        try (SocketChannel ch = SocketChannel.open(UnixDomainSocketAddress.of(Path.of(args[0])))) {
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
            System.out.println(v.pos + " " + ok + " " + NioPaths.cpuNanos());
        }
    }
}
