package dev.netmem.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * The emulated IOMMU table against a model (a sorted map of live mappings), over seeded random maps,
 * unmaps (good and bad) and syncs inside, across and outside mappings: live count, isMapped, the
 * unmapped-sync count and the errors agree, through many compactions of the table.
 */
class DmaDeviceModelTest {
    @Test
    void shouldAgreeWithASortedMapOfLiveMappings() {
        long seed = Long.getLong("netmem.seed", System.nanoTime());
        System.out.println("DmaDeviceModelTest seed " + seed + " (-Dnetmem.seed=" + seed + " repeats it)");
        SplittableRandom r = new SplittableRandom(seed);
        DmaDevice d = new DmaDevice("model", false);
        TreeMap<Long, Long> model = new TreeMap<>();
        List<Long> ever = new ArrayList<>();
        long unmappedSyncs = 0;
        for (int step = 0; step < 50_000; step++) {
            int op = r.nextInt(10);
            String at = "seed " + seed + ", step " + step;
            if (op < 4 || model.isEmpty()) {
                long len = 1 + r.nextInt(3 * NetIov.PAGE_SIZE);
                long iova = d.map(len, DmaDirection.FROM_DEVICE);
                model.put(iova, len);
                ever.add(iova);
            } else if (op < 7) {
                List<Long> live = new ArrayList<>(model.keySet());
                long iova = live.get(r.nextInt(live.size()));
                d.unmap(iova, model.remove(iova), DmaDirection.FROM_DEVICE);
            } else if (op < 8) {
                long iova = ever.get(r.nextInt(ever.size()));
                Long len = model.get(iova);
                if (len == null) {
                    assertThrows(IllegalStateException.class, () -> d.unmap(iova, 1, DmaDirection.FROM_DEVICE), at);
                } else {
                    assertThrows(IllegalStateException.class, () -> d.unmap(iova, len + 1, DmaDirection.FROM_DEVICE), at);
                }
            } else {
                long base = ever.get(r.nextInt(ever.size()));
                long iova = base + r.nextInt(2 * NetIov.PAGE_SIZE);
                long len = 1 + r.nextInt(NetIov.PAGE_SIZE);
                Map.Entry<Long, Long> m = model.floorEntry(iova);
                if (m == null || iova + len > m.getKey() + m.getValue()) {
                    unmappedSyncs++;
                }
                d.syncForDevice(iova, len, DmaDirection.FROM_DEVICE);
            }
            assertEquals(model.size(), d.liveMappings(), at);
            assertEquals(unmappedSyncs, d.unmappedSyncs(), at);
            long probe = ever.get(r.nextInt(ever.size()));
            assertEquals(model.containsKey(probe), d.isMapped(probe), at);
        }
    }

    /**
     * IOVAs are size-aligned, as the IOMMU DMA layer allocates them: each mapping starts on a multiple
     * of its length in pages rounded up to a power of two, and never overlaps an earlier one (a
     * dma-buf binding relies on it: its net_iovs must be aligned to their size).
     */
    @Test
    void shouldAlignEachIovaToItsLengthInPagesRoundedUpToAPowerOfTwo() {
        long seed = Long.getLong("netmem.seed", System.nanoTime());
        System.out.println("DmaDeviceModelTest size-aligned seed " + seed + " (-Dnetmem.seed=" + seed + " repeats it)");
        SplittableRandom r = new SplittableRandom(seed);
        DmaDevice d = new DmaDevice("aligned", true);
        long end = 0;
        for (int step = 0; step < 10_000; step++) {
            long len = 1 + r.nextLong(r.nextBoolean() ? 3L * NetIov.PAGE_SIZE : 1L << 22);
            long pages = (len + NetIov.PAGE_SIZE - 1) / NetIov.PAGE_SIZE;
            long align = NetIov.PAGE_SIZE;
            while (align < pages * NetIov.PAGE_SIZE) {
                align <<= 1;
            }
            long iova = d.map(len, DmaDirection.FROM_DEVICE);
            String at = "seed " + seed + ", step " + step + ": " + len + " bytes at 0x" + Long.toHexString(iova);
            assertEquals(0, iova % align, at + " is not aligned to " + align);
            assertTrue(iova >= end, at + " overlaps the previous mapping ending at 0x" + Long.toHexString(end));
            end = iova + len;
            if (r.nextBoolean()) {
                d.unmap(iova, len, DmaDirection.FROM_DEVICE);
            }
        }
    }
}
