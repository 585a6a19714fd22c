package dev.netmem.providers.zcrx;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.foreign.StructLayout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/** The layouts against the kernel uapi (include/uapi/linux/io_uring/zcrx.h, io_uring.h) on x86-64. */
class ZcrxRegionDescriptorTest {
    private static long off(StructLayout l, String... path) {
        return switch (path.length) {
            case 1 -> l.byteOffset(groupElement(path[0]));
            case 2 -> l.byteOffset(groupElement(path[0]), groupElement(path[1]));
            default -> throw new IllegalArgumentException();
        };
    }

    @Test
    void shouldLayOutTheRefillEntryLikeStructIoUringZcrxRqe() {
        assertEquals(0, off(ZcrxRegionDescriptor.RQE, "off"));
        assertEquals(8, off(ZcrxRegionDescriptor.RQE, "len"));
        assertEquals(12, off(ZcrxRegionDescriptor.RQE, "__pad"));
        assertEquals(16, ZcrxRegionDescriptor.RQE.byteSize());
    }

    @Test
    void shouldLayOutTheCompletionLikeA32ByteCqeCarryingStructIoUringZcrxCqe() {
        assertEquals(0, off(ZcrxRegionDescriptor.ZCRX_CQE, "off"));
        assertEquals(8, off(ZcrxRegionDescriptor.ZCRX_CQE, "__pad"));
        assertEquals(16, ZcrxRegionDescriptor.ZCRX_CQE.byteSize());
        assertEquals(0, off(ZcrxRegionDescriptor.CQE32, "user_data"));
        assertEquals(8, off(ZcrxRegionDescriptor.CQE32, "res"));
        assertEquals(12, off(ZcrxRegionDescriptor.CQE32, "flags"));
        assertEquals(16, off(ZcrxRegionDescriptor.CQE32, "big_cqe"));
        assertEquals(16, off(ZcrxRegionDescriptor.CQE32, "big_cqe", "off"));
        assertEquals(32, ZcrxRegionDescriptor.CQE32.byteSize());
    }

    @Test
    void shouldPutHeadTailAndRqesAtTheIoUringZcrxOffsetsValues() {
        StructLayout region = ZcrxRegionDescriptor.regionLayout(64, 64);
        long rq = ZcrxRegionDescriptor.offsetOf(region, "rq");
        // io_uring_zcrx_offsets: head = 0, tail = 4, rqes = ALIGN(sizeof(struct io_uring), L1_CACHE_BYTES) = 64
        assertEquals(0, off(ZcrxRegionDescriptor.RING_HEADER, "head"));
        assertEquals(4, off(ZcrxRegionDescriptor.RING_HEADER, "tail"));
        assertEquals(64, ZcrxRegionDescriptor.offsetOf(region, "rqes") - rq);
        assertEquals(64, ZcrxRegionDescriptor.RING_HEADER.byteSize());
        assertEquals(64, ZcrxRegionDescriptor.REGION_HEADER.byteSize());
        assertEquals(48, ZcrxArea.IORING_ZCRX_AREA_SHIFT);
        assertEquals(0xFFFF_0000_0000_0000L, ZcrxArea.IORING_ZCRX_AREA_MASK);
        assertEquals(2, ZcrxIfq.IORING_CQE_F_MORE);
    }

    @ParameterizedTest(name = "rq_entries={0}")
    @CsvSource({"1, 192", "2, 192", "4, 192", "8, 256", "64, 1152"})
    void shouldAlignTheCompletionRingHeaderToACacheLine(int rqEntries, long cqOffset) {
        StructLayout region = ZcrxRegionDescriptor.regionLayout(rqEntries, 4);
        assertEquals(cqOffset, ZcrxRegionDescriptor.offsetOf(region, "cq"));
        assertEquals(cqOffset + 64, ZcrxRegionDescriptor.offsetOf(region, "cqes"));
        assertEquals(cqOffset + 64 + 4 * 32, region.byteSize());
    }
}
