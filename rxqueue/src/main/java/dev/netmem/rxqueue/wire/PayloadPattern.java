package dev.netmem.rxqueue.wire;

/**
 * The byte at each offset of a synthetic stream, so a receiver can verify payload without a copy of
 * what was sent.
 */
@FunctionalInterface
public interface PayloadPattern {
    /** The byte at stream offset {@code offset}. */
    byte at(long offset);

    /**
     * ncdevmem's validation pattern ({@code -v N}): {@code 0, 1, ..., period-1, 0, 1, ...}.
     *
     * @throws IllegalArgumentException if {@code period} is not in {@code [1, 256]}
     */
    static PayloadPattern repeating(int period) {
        if (period < 1 || period > 256) {
            throw new IllegalArgumentException("period must be in [1, 256]: " + period);
        }
        return offset -> (byte) (offset % period);
    }
}
