package dev.netmem.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** DMA mapping, syncing and the scrub: {@code dma_mapped}, {@code page_pool_scrub} (checklist 30-32, 36). */
class PagePoolDmaTest {
    private static final int PAGES = 8;
    private static final int OFFSET = 256;
    private static final int MAX_LEN = 1024;

    private final DmaDevice device = new DmaDevice("dma-test", false);
    private final TestPages pages = new TestPages(PAGES, 1, 0, true);

    private PagePool pool() {
        return PagePool.create(PagePoolParams.builder().hostPages(pages).device(device).offset(OFFSET).maxLen(MAX_LEN)
                .flags(PagePoolParams.PP_FLAG_DMA_MAP | PagePoolParams.PP_FLAG_DMA_SYNC_DEV).build());
    }

    @Test
    void shouldSyncMinOfSizeAndMaxLenAtDmaPlusOffset() {
        PagePool pool = pool();
        NetIov n = pool.alloc();
        assertTrue(device.isMapped(n.dmaAddr()));
        pool.recycleDirect(n);
        assertEquals(new DmaDevice.Sync(n.dmaAddr() + OFFSET, MAX_LEN), device.lastSync());
        NetIov m = pool.alloc();
        pool.putNetmem(m, 100, true);
        assertEquals(new DmaDevice.Sync(m.dmaAddr() + OFFSET, 100), device.lastSync());
        assertEquals(0, device.unmappedSyncs());
        pool.destroy();
    }

    /**
     * The first release pass unmaps every buffer the pool mapped, in flight or not, and turns syncs
     * off: right after destroy no mapping is live although buffers are still held; their late puts
     * never unmap again.
     */
    @Test
    void shouldLeaveNoLiveMappingRightAfterDestroyWhileBuffersAreStillHeld() {
        PagePool pool = pool();
        List<NetIov> held = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            held.add(pool.alloc());
        }
        assertEquals(PAGES, device.liveMappings(), "the bulk slow path mapped every page");
        pool.destroy();
        assertEquals(PagePool.State.DESTROYING, pool.state());
        assertEquals(0, device.liveMappings(), "nothing stays mapped after the device's pool is destroyed");
        assertEquals(device.maps(), device.unmaps());
        for (NetIov n : held) {
            assertEquals(0, n.dmaAddr(), "the scrub cleared the address of a buffer still out");
        }
        long syncs = device.syncs();
        for (NetIov n : held) {
            pool.putFullPage(n, false); // DmaDevice throws on a second unmap of one IOVA
        }
        assertEquals(PagePool.State.RELEASED, pool.state());
        assertEquals(device.maps(), device.unmaps(), "a late put never unmaps twice");
        assertEquals(syncs, device.syncs(), "syncs are off once scrubbed");
        assertEquals(0, device.unmappedSyncs());
        assertEquals(PAGES, pages.freePages());
    }

    @Test
    void shouldUnmapEachBufferOnceWhenItLeavesAnActivePool() {
        PagePool pool = pool();
        NetIov n = pool.alloc();
        n.getPage();
        long iova = n.dmaAddr();
        pool.putFullPage(n, false); // an extra page reference: released, unmapped now
        assertEquals(false, device.isMapped(iova));
        assertEquals(PAGES - 1, device.liveMappings());
        n.putPage();
        pool.destroy();
        assertEquals(0, device.liveMappings());
        assertEquals(device.maps(), device.unmaps());
    }
}
