package dev.netmem.demo;


/**
 * The demo stream's content: the little-endian 8-byte word at stream offset {@code 8q} is
 * {@code mix(q ^ seed)} (the splitmix64 finalizer), so any byte of the stream can be checked from
 * its position alone, whatever the segment and frag boundaries.
 */
final class PayloadPattern {
    private final long seed;

    PayloadPattern(long seed) {
        this.seed = seed;
    }

    /** The word at stream offset {@code 8 * q}. */
    long word(long q) {
        long z = (q ^ seed) + 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** The byte at stream offset {@code pos}. */
    byte at(long pos) {
        return (byte) (word(pos >>> 3) >>> ((pos & 7) << 3));
    }

    /** Fills {@code buf[0..len)} with the stream from {@code pos} (any alignment). */
    void fill(byte[] buf, int len, long pos) {
        int i = 0;
        while (i < len && ((pos + i) & 7) != 0) {
            buf[i] = at(pos + i);
            i++;
        }
        for (; i + 8 <= len; i += 8) {
            long w = word((pos + i) >>> 3);
            for (int b = 0; b < 8; b++) {
                buf[i + b] = (byte) (w >>> (b << 3));
            }
        }
        for (; i < len; i++) {
            buf[i] = at(pos + i);
        }
    }
}
