package dev.netmem.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * {@link ShmHandoff}, the receive benchmark's conventional shared-memory path: NIO reads into a file
 * that a consumer JVM verifies in place.
 */
class ShmHandoffTest {
    /** More than the 64 MiB file, and not a multiple of anything, so the byte ring wraps mid-read. */
    private static final long BYTES = ShmHandoff.REGION_BYTES + (16L << 20) + 12_345;

    @Test
    void shouldVerifyEveryByteInPlaceAcrossTheRingsWrapAndRemoveItsFiles() throws Exception {
        ShmHandoff.Outcome o = run("both", BYTES, -1);
        assertEquals(BYTES, o.bytesVerified());
        assertEquals(0, o.patternErrors());
        assertEquals(HexFormat.of().formatHex(StreamPattern.sha256(BYTES)), o.sha256());
        assertTrue(o.verified(BYTES));
        assertTrue(o.consumerCpuNanos() > 0, "the consumer reports its CPU time: " + o.consumerCpuNanos());
        try (Stream<Path> left = Files.list(Path.of("/dev/shm"))) {
            String pid = "-" + ProcessHandle.current().pid() + "-";
            assertEquals(0, left.map(Path::toString)
                    .filter(p -> (p.contains("netmem-shm") || p.contains("netmem-handoff")) && p.contains(pid)).count());
        }
    }

    @Test
    void shouldCountAByteThatDiffersFromThePattern() throws Exception {
        long bad = (40L << 20) + 777;
        ShmHandoff.Outcome o = run("pattern", BYTES, bad);
        assertEquals(BYTES, o.bytesVerified());
        assertEquals(1, o.patternErrors());
        assertFalse(o.verified(BYTES));
    }

    @Test
    void shouldNotCallAShortOrMisHashedStreamVerified() {
        String sha = HexFormat.of().formatHex(StreamPattern.sha256(4096));
        assertTrue(new ShmHandoff.Outcome(4096, 0, sha, 1).verified(4096));
        assertTrue(new ShmHandoff.Outcome(4096, 0, "", 1).verified(4096));
        assertFalse(new ShmHandoff.Outcome(4095, 0, "", 1).verified(4096));
        assertFalse(new ShmHandoff.Outcome(4096, 0, HexFormat.of().formatHex(StreamPattern.sha256(4095)), 1)
                .verified(4096));
    }

    @Test
    void shouldRejectAnUnknownVerification() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ShmHandoff.start("crc"));
        assertEquals("verify must be pattern, sha256 or both: crc", e.getMessage());
    }

    /** Sends {@code bytes} of the pattern, with the byte at {@code flip} inverted when it is not negative. */
    private static ShmHandoff.Outcome run(String verify, long bytes, long flip) throws Exception {
        try (ServerSocketChannel ss = ServerSocketChannel.open();
             ShmHandoff h = ShmHandoff.start(verify)) {
            ss.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            int port = ((InetSocketAddress) ss.getLocalAddress()).getPort();
            AtomicReference<IOException> failed = new AtomicReference<>();
            Thread sender = Thread.ofPlatform().start(() -> {
                try (SocketChannel ch = SocketChannel.open(new InetSocketAddress(InetAddress.getLoopbackAddress(), port))) {
                    for (long off = 0; off < bytes; ) {
                        int n = (int) Math.min(1 << 20, bytes - off);
                        ByteBuffer b = StreamPattern.slice(off, n);
                        if (flip >= off && flip < off + n) {
                            ByteBuffer copy = ByteBuffer.allocate(n).put(b).flip();
                            int at = (int) (flip - off);
                            copy.put(at, (byte) ~copy.get(at));
                            b = copy;
                        }
                        while (b.hasRemaining()) {
                            ch.write(b);
                        }
                        off += n;
                    }
                } catch (IOException e) {
                    failed.set(e);
                }
            });
            long got;
            try (SocketChannel ch = ss.accept()) {
                got = h.receive(ch);
            }
            sender.join();
            if (failed.get() != null) {
                throw failed.get();
            }
            assertEquals(bytes, got);
            return h.finish(got);
        }
    }
}
