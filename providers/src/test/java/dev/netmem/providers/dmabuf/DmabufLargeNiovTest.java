package dev.netmem.providers.dmabuf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.netmem.api.DmaDevice;
import dev.netmem.api.DmaDirection;
import dev.netmem.api.NetIov;
import dev.netmem.api.PagePool;
import dev.netmem.testsupport.StubQueue;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A devmem binding with net_iovs larger than a page ({@code niov_shift > PAGE_SHIFT}, the net-next
 * series "net: devmem: allow rx-buf-size &gt; PAGE_SIZE per dmabuf binding", not in 6.18): the dma-buf
 * carved into {@code size >> niov_shift} net_iovs at {@code base + (i << niov_shift)}, the
 * scatterlist alignment check, {@code mp_dmabuf_devmem_init}'s order check and whole net_iovs going
 * back to the genpool. The bind-rx attribute and the queues: rxqueue's {@code DmabufRxBufSizeTest}.
 */
class DmabufLargeNiovTest {
    private static final int NIOVS = 8;

    @TempDir
    Path dir;
    private final DmaDevice device = new DmaDevice("devmem-large", false);

    private PagePool pool(DmabufBinding b, int order) {
        return PagePool.create(StubQueue.poolParams(b, device).order(order).build());
    }

    @ParameterizedTest(name = "niov_shift {0}")
    @ValueSource(ints = {14, 16})
    void shouldCarveTheDmabufIntoNiovSizedNetIovsAtBasePlusIndexShifted(int shift) {
        int niovSize = 1 << shift;
        try (Dmabuf dmabuf = Dmabuf.create(dir, (long) NIOVS * niovSize)) {
            DmabufBinding b = DmabufBinding.bind(dmabuf, device, shift, q -> { }, null);
            assertEquals(shift, b.niovShift());
            assertEquals(niovSize, b.niovSize());
            assertEquals(NIOVS, b.area().numNiovs(), "num_niovs = len >> niov_shift");
            assertEquals(niovSize, b.area().chunkSize());
            assertEquals(0, b.dmaBase() % niovSize, "the dma-buf is mapped at an address aligned to the niov size");
            PagePool pool = pool(b, shift - NetIov.PAGE_SHIFT);
            assertEquals(niovSize, pool.params().bufferSize());
            List<NetIov> got = new ArrayList<>();
            for (int i = 0; i < NIOVS; i++) {
                NetIov n = pool.alloc();
                long at = (long) n.index() << shift;
                assertEquals(at, n.virtualAddress(), "net_iov " + n.index() + ": dma-buf offset idx << niov_shift");
                assertEquals(b.dmaBase() + at, n.dmaAddr(), "net_iov " + n.index() + ": DMA address base + offset");
                assertEquals(niovSize, n.size());
                assertEquals(niovSize, n.segment().byteSize());
                // the net_iov's last byte is the dma-buf's byte at its offset + size - 1
                n.segment().set(ValueLayout.JAVA_BYTE, niovSize - 1, (byte) (0x40 | n.index()));
                assertEquals((byte) (0x40 | n.index()),
                        dmabuf.segment().get(ValueLayout.JAVA_BYTE, n.virtualAddress() + niovSize - 1));
                got.add(n);
            }
            assertNull(pool.alloc(), "the genpool holds size / niov size net_iovs, no more");
            for (NetIov n : got) {
                pool.putNetmem(n, -1, false);
            }
            pool.destroy();
            b.unbind();
            assertTrue(b.isFreed());
            assertEquals(0, device.liveMappings());
        }
    }

    @Test
    void shouldInitOnlyAPoolOfTheNiovOrderAndRefuseEveryOtherOrderWithE2big() {
        try (Dmabuf dmabuf = Dmabuf.create(dir, NIOVS * (64L << 10))) {
            DmabufBinding b = DmabufBinding.bind(dmabuf, device, 16, q -> { }, null);
            for (int order : new int[] {0, 1, 2, 3, 5, 6}) {
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> pool(b, order));
                assertEquals("E2BIG: devmem binding " + b.idString() + " serves order-4 buffers only, got order "
                        + order, e.getMessage());
                assertEquals(0, b.poolCount(), "order " + order);
                assertEquals(1, b.refCount(), "order " + order + ": no pool reference taken");
            }
            PagePool pool = pool(b, 4); // pool->p.order == niov_shift - PAGE_SHIFT
            assertEquals(1, b.poolCount());
            assertEquals(2, b.refCount());
            pool.destroy();
            b.unbind();
            assertTrue(b.isFreed());
        }
    }

    @Test
    void shouldRefuseADmabufWhoseSizeIsNotAMultipleOfTheNiovSizeWithEinvalAndUndoTheImport() {
        long size = 48L << 10; // 12 pages, 3 net_iovs of 16 KiB, 0.75 of 64 KiB
        try (Dmabuf dmabuf = Dmabuf.create(dir, size)) {
            // IOVAs only grow and are size-aligned: after a 48 KiB probe the binding's map lands 64 KiB later
            long probe = device.map(size, DmaDirection.FROM_DEVICE);
            device.unmap(probe, size, DmaDirection.FROM_DEVICE);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> DmabufBinding.bind(dmabuf, device, 16, q -> { }, null));
            assertEquals("EINVAL: dmabuf sg entry (addr=0x" + String.format("%016x", probe + (64 << 10))
                    + ", len=49152) not aligned to niov size 65536", e.getMessage());
            assertEquals(1, dmabuf.refCount(), "the binding's dma-buf reference was dropped");
            assertEquals(0, device.liveMappings(), "and its mapping undone");
            assertEquals(2, device.unmaps());

            DmabufBinding b = DmabufBinding.bind(dmabuf, device, 14, q -> { }, null); // 16 KiB divides it
            assertEquals(3, b.area().numNiovs());
            b.unbind();
            assertTrue(b.isFreed());
        }
    }

    @Test
    void shouldRefuseAScatterlistEntryWhoseDmaAddressIsNotAlignedToTheNiovSize() {
        // the model's IOMMU maps size-aligned, so a whole dma-buf never lands misaligned: the check alone
        assertNull(DmabufBinding.checkSgEntry(0x1_0001_0000L, 64 << 10, 16));
        assertEquals("EINVAL: dmabuf sg entry (addr=0x0000000100004000, len=65536) not aligned to niov size 65536",
                DmabufBinding.checkSgEntry(0x1_0000_4000L, 64 << 10, 16));
        assertEquals("EINVAL: dmabuf sg entry (addr=0x0000000100010000, len=20480) not aligned to niov size 16384",
                DmabufBinding.checkSgEntry(0x1_0001_0000L, 20 << 10, 14));
        assertNull(DmabufBinding.checkSgEntry(0x1_0000_1000L, 4096, NetIov.PAGE_SHIFT), "pages: any page address");
    }

    @Test
    void shouldRefuseANiovShiftOutsideTheModelsRangeAndANiovAboveFourMibAfterTheAlignmentCheck() {
        try (Dmabuf dmabuf = Dmabuf.create(dir, 8L << 20)) {
            for (int shift : new int[] {11, 32}) {
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                        () -> DmabufBinding.bind(dmabuf, device, shift, q -> { }, null));
                assertEquals("niovShift must be in [12, 31]: " + shift, e.getMessage());
            }
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> DmabufBinding.bind(dmabuf, device, 23, q -> { }, null));
            assertEquals("niov size 8388608 is above netmem's largest net_iov, 4194304 (PAGE_SIZE << MAX_PAGE_ORDER)",
                    e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> DmabufBinding.bind(dmabuf, device, 24, q -> { }, null));
            assertTrue(e.getMessage().startsWith("EINVAL: dmabuf sg entry (addr=0x"), "16 MiB does not divide 8 MiB: "
                    + e.getMessage());
            assertEquals(1, dmabuf.refCount());
            assertEquals(0, device.liveMappings());
        }
    }

    @Test
    void shouldReturnEachWholeNetIovToTheGenpoolOnFree() {
        int shift = 16;
        try (Dmabuf dmabuf = Dmabuf.create(dir, NIOVS * (1L << shift))) {
            DmabufBinding b = DmabufBinding.bind(dmabuf, device, shift, q -> { }, null);
            for (int round = 0; round < 2; round++) {
                PagePool pool = pool(b, shift - NetIov.PAGE_SHIFT);
                List<NetIov> got = new ArrayList<>();
                BitSet seen = new BitSet();
                for (NetIov n; (n = pool.alloc()) != null; ) {
                    assertFalse(seen.get(n.index()), "net_iov " + n.index() + " handed out twice");
                    seen.set(n.index());
                    got.add(n);
                }
                assertEquals(NIOVS, got.size(), "round " + round + ": every net_iov, whole");
                assertEquals(NIOVS, b.chunksOut());
                assertEquals(0, b.chunksAvail());
                for (NetIov n : got) {
                    pool.putNetmem(n, -1, false);
                }
                pool.destroy(); // the release path gives each net_iov back to the genpool
                assertEquals(PagePool.State.RELEASED, pool.state());
                assertEquals(0, b.chunksOut(), "round " + round);
                assertEquals(dmabuf.size(), (long) b.chunksAvail() << shift, "the genpool holds every byte again");
                assertEquals(0, b.releaseErrors());
            }
            assertEquals(Optional.of(b), DmabufBinding.byId(b.id()));
            b.unbind();
            assertTrue(b.isFreed());
        }
    }
}
