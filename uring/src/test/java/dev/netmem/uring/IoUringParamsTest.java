package dev.netmem.uring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class IoUringParamsTest {

    private static String rejected(Runnable r) {
        return assertThrows(IllegalArgumentException.class, r::run).getMessage();
    }

    @Test
    void shouldRejectBadSizesAndFlagsWithExactMessages() {
        assertEquals("sqEntries must be a power of two in [1, 32768]: sqEntries=3", rejected(() -> IoUringParams.of(3, 8)));
        assertEquals("sqEntries must be a power of two in [1, 32768]: sqEntries=65536",
                rejected(() -> IoUringParams.of(65536, 65536)));
        assertEquals("cqEntries must be a power of two in [sqEntries, 65536]: cqEntries=4, sqEntries=8",
                rejected(() -> IoUringParams.of(8, 4)));
        assertEquals("unsupported setup flags: 0x2",
                rejected(() -> new IoUringParams(8, 8, IoUringDescriptor.IORING_SETUP_SQPOLL)));
        assertEquals("IORING_SETUP_DEFER_TASKRUN needs IORING_SETUP_SINGLE_ISSUER",
                rejected(() -> new IoUringParams(8, 8, IoUringDescriptor.IORING_SETUP_DEFER_TASKRUN)));
    }

    @Test
    void shouldAlwaysAskForCqSize() {
        assertEquals(IoUringDescriptor.IORING_SETUP_CQSIZE, new IoUringParams(8, 16, 0).setupFlags());
        assertEquals(0x13088, IoUringParams.of(8, 16).setupFlags());
    }
}
