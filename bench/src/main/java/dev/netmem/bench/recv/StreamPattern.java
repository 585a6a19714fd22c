package dev.netmem.bench.recv;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.SplittableRandom;

/**
 * The stream the NIO and Netty paths send: seeded random bytes repeating every {@link #PERIOD}
 * bytes (not a power of two, so no read size lines up with it). Stored twice over, so the expected
 * bytes of any chunk up to {@code PERIOD} long are one contiguous slice, and verification is one
 * vectorised {@link MemorySegment#mismatch} per chunk.
 */
final class StreamPattern {
    /** The period: 1 MiB + 7 bytes. */
    static final int PERIOD = (1 << 20) + 7;
    private static final MemorySegment PAT = build();

    private StreamPattern() {
    }

    private static MemorySegment build() {
        MemorySegment s = Arena.global().allocate(2L * PERIOD, 64);
        SplittableRandom r = new SplittableRandom(0x6e65746d656dL);
        for (long i = 0; i < PERIOD; i++) {
            byte b = (byte) r.nextInt();
            s.set(ValueLayout.JAVA_BYTE, i, b);
            s.set(ValueLayout.JAVA_BYTE, i + PERIOD, b);
        }
        return s;
    }

    /** The {@code n} bytes ({@code n <= PERIOD}) the stream holds from offset {@code streamOff}, as a direct buffer. */
    static ByteBuffer slice(long streamOff, int n) {
        return PAT.asSlice(streamOff % PERIOD, n).asByteBuffer();
    }

    /** Whether {@code n} bytes of {@code data} from {@code off} equal the stream from {@code streamOff}. */
    static boolean matches(MemorySegment data, long off, int n, long streamOff) {
        int done = 0;
        while (done < n) {
            long p = (streamOff + done) % PERIOD;
            int len = Math.min(n - done, PERIOD);
            if (MemorySegment.mismatch(data, off + done, off + done + len, PAT, p, p + len) != -1) {
                return false;
            }
            done += len;
        }
        return true;
    }

    /** The SHA-256 of the first {@code total} bytes of the stream. */
    static byte[] sha256(long total) {
        MessageDigest md = newSha256();
        for (long off = 0; off < total; ) {
            int n = (int) Math.min(1 << 20, total - off);
            md.update(slice(off, n));
            off += n;
        }
        return md.digest();
    }

    static MessageDigest newSha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
