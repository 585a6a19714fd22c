package dev.netmem.rxqueue.wire;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The byte at each offset of a synthetic stream, so a receiver can verify payload without a copy of
 * what was sent.
 */
@FunctionalInterface
public interface PayloadPattern {
    /** The byte at stream offset {@code offset}. */
    byte at(long offset);

    /**
     * Writes the stream from {@code offset} into all of {@code dst}: byte {@code i} is
     * {@code at(offset + i)}. This default calls {@link #at} per byte; a pattern that can make a run
     * of bytes more cheaply (a wire sends thousands of packets a second) overrides it.
     */
    default void fill(MemorySegment dst, long offset) {
        for (long i = 0; i < dst.byteSize(); i++) {
            dst.set(ValueLayout.JAVA_BYTE, i, at(offset + i));
        }
    }

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
