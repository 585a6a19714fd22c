package dev.netmem.demo;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.SplittableRandom;

/**
 * The stream every sender of the demo and of the receive benchmark writes, and every receiver checks:
 * seeded random bytes repeating every {@link #PERIOD} bytes (not a power of two, so no read or frag
 * size lines up with it). The period is stored twice over, so the expected bytes of any chunk up to
 * {@code PERIOD} long are one contiguous slice: sending is a write of that slice, and checking is one
 * vectorised {@link MemorySegment#mismatch} per chunk, whatever the chunk's boundaries.
 */
public final class StreamPattern {
    /** The period: 1 MiB + 7 bytes. */
    public static final int PERIOD = (1 << 20) + 7;
    private static final long SEED = 0x6e65746d656dL; // "netmem"
    private static final MemorySegment PAT = build();

    private StreamPattern() {
    }

    private static MemorySegment build() {
        byte[] period = new byte[PERIOD];
        new SplittableRandom(SEED).nextBytes(period);
        MemorySegment s = Arena.global().allocate(2L * PERIOD, 64);
        MemorySegment.copy(period, 0, s, ValueLayout.JAVA_BYTE, 0, PERIOD);
        MemorySegment.copy(period, 0, s, ValueLayout.JAVA_BYTE, PERIOD, PERIOD);
        return s;
    }

    /** The {@code n} bytes ({@code n <= PERIOD}) the stream holds from offset {@code streamOff}, as a read-only direct buffer. */
    public static ByteBuffer slice(long streamOff, int n) {
        if (n < 0 || n > PERIOD) {
            throw new IllegalArgumentException("slice length must be in [0, " + PERIOD + "]: " + n);
        }
        return PAT.asSlice(streamOff % PERIOD, n).asByteBuffer().asReadOnlyBuffer();
    }

    /** Whether {@code n} bytes of {@code data} from {@code off} equal the stream from {@code streamOff}. */
    public static boolean matches(MemorySegment data, long off, long n, long streamOff) {
        long done = 0;
        while (done < n) {
            long p = (streamOff + done) % PERIOD;
            long len = Math.min(n - done, PERIOD);
            if (MemorySegment.mismatch(data, off + done, off + done + len, PAT, p, p + len) != -1) {
                return false;
            }
            done += len;
        }
        return true;
    }

    /**
     * How many of the {@code n} bytes of {@code data} from {@code off} differ from the stream at
     * {@code streamOff}: 0 after one {@link #matches} when they are equal, counted byte by byte only
     * when they are not.
     */
    public static long errors(MemorySegment data, long off, long n, long streamOff) {
        if (matches(data, off, n, streamOff)) {
            return 0;
        }
        long bad = 0;
        for (long i = 0; i < n; i++) {
            if (data.get(ValueLayout.JAVA_BYTE, off + i) != PAT.get(ValueLayout.JAVA_BYTE, (streamOff + i) % PERIOD)) {
                bad++;
            }
        }
        return bad;
    }

    /** Feeds {@code md} the {@code n} stream bytes from {@code streamOff}. */
    public static void update(MessageDigest md, long streamOff, long n) {
        for (long done = 0; done < n; ) {
            int len = (int) Math.min(1 << 20, n - done);
            md.update(slice(streamOff + done, len));
            done += len;
        }
    }

    /** The SHA-256 of the first {@code total} bytes of the stream. */
    public static byte[] sha256(long total) {
        MessageDigest md = newSha256();
        update(md, 0, total);
        return md.digest();
    }

    /** A new SHA-256 digest (every JDK has one). */
    public static MessageDigest newSha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
