package dev.netmem.uring;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * A pseudo-random byte stream: the 8 bytes at stream position {@code 8k} are splitmix64(seed + k),
 * little endian. Any byte can be recomputed from its position, so a receiver verifies in order
 * without keeping what was sent.
 */
final class Pattern {
    private static final ValueLayout.OfLong LONG_LE = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final long seed;

    Pattern(long seed) {
        this.seed = seed;
    }

    long seed() {
        return seed;
    }

    long word(long k) {
        long z = seed + k * 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    byte byteAt(long pos) {
        return (byte) (word(pos >>> 3) >>> ((pos & 7) << 3));
    }

    /** Fills {@code buf} (position to limit, a multiple of 8) with the stream from {@code pos} (a multiple of 8). */
    void fill(ByteBuffer buf, long pos) {
        buf.order(ByteOrder.LITTLE_ENDIAN);
        long k = pos >>> 3;
        while (buf.remaining() >= 8) {
            buf.putLong(word(k++));
        }
    }

    /**
     * Checks {@code len} bytes of {@code seg} at {@code off} against the stream at {@code pos}; returns
     * the stream position of the first wrong byte, or -1.
     */
    long verify(MemorySegment seg, long off, int len, long pos) {
        int i = 0;
        while (i < len && ((pos + i) & 7) != 0) {
            if (seg.get(ValueLayout.JAVA_BYTE, off + i) != byteAt(pos + i)) {
                return pos + i;
            }
            i++;
        }
        while (len - i >= 8) {
            if (seg.get(LONG_LE, off + i) != word((pos + i) >>> 3)) {
                break; // find the byte below
            }
            i += 8;
        }
        for (; i < len; i++) {
            if (seg.get(ValueLayout.JAVA_BYTE, off + i) != byteAt(pos + i)) {
                return pos + i;
            }
        }
        return -1;
    }
}
