package dev.netmem.rxqueue;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.netmem.rxqueue.wire.PayloadPattern;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.junit.jupiter.api.Test;

/** {@link PayloadPattern}: ncdevmem's repeating pattern, and the default fill that writes what {@code at} gives. */
class PayloadPatternTest {

    @Test
    void shouldFillFromAnyOffsetWithTheBytesOfAt() {
        PayloadPattern p = PayloadPattern.repeating(7);
        MemorySegment run = Arena.ofAuto().allocate(100);
        p.fill(run, 1_000_003);
        for (int i = 0; i < 100; i++) {
            assertEquals((byte) ((1_000_003 + i) % 7), run.get(ValueLayout.JAVA_BYTE, i), "byte " + i);
            assertEquals(p.at(1_000_003 + i), run.get(ValueLayout.JAVA_BYTE, i), "byte " + i);
        }
        p.fill(run.asSlice(0, 0), 5); // an empty run writes nothing
    }

    @Test
    void shouldRejectAPeriodOutsideOneTo256() {
        assertEquals("period must be in [1, 256]: 0",
                assertThrows(IllegalArgumentException.class, () -> PayloadPattern.repeating(0)).getMessage());
        assertEquals("period must be in [1, 256]: 257",
                assertThrows(IllegalArgumentException.class, () -> PayloadPattern.repeating(257)).getMessage());
    }
}
