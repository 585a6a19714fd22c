package dev.netmem.api;

import static dev.netmem.api.PagePoolParams.PP_FLAG_ALLOW_UNREADABLE_NETMEM;
import static dev.netmem.api.PagePoolParams.PP_FLAG_DMA_MAP;
import static dev.netmem.api.PagePoolParams.PP_FLAG_DMA_SYNC_DEV;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class PagePoolParamsTest {
    private static final DmaDevice DEV = new DmaDevice("test", true);

    private static String rejected(PagePoolParams.Builder b) {
        return assertThrows(IllegalArgumentException.class, b::build).getMessage();
    }

    @Test
    void shouldRejectUnknownFlags() {
        assertEquals("unknown page pool flags: 0x10", rejected(PagePoolParams.builder().flags(0x10)));
        assertEquals("unknown page pool flags: 0x80000000", rejected(PagePoolParams.builder().flags(0x80000000)));
    }

    @Test
    void shouldRequireDmaMapForSyncDev() {
        assertEquals("PP_FLAG_DMA_SYNC_DEV requires PP_FLAG_DMA_MAP",
                rejected(PagePoolParams.builder().flags(PP_FLAG_DMA_SYNC_DEV).maxLen(4096)));
    }

    @Test
    void shouldRequireMaxLenForSyncDev() {
        assertEquals("PP_FLAG_DMA_SYNC_DEV requires maxLen > 0",
                rejected(PagePoolParams.builder().flags(PP_FLAG_DMA_MAP | PP_FLAG_DMA_SYNC_DEV).device(DEV)));
    }

    @Test
    void shouldRequireFromDeviceOrBidirectionalForDmaMap() {
        assertEquals("PP_FLAG_DMA_MAP requires dmaDir FROM_DEVICE or BIDIRECTIONAL: TO_DEVICE",
                rejected(PagePoolParams.builder().flags(PP_FLAG_DMA_MAP).device(DEV).dmaDir(DmaDirection.TO_DEVICE)));
        assertEquals("PP_FLAG_DMA_MAP requires dmaDir FROM_DEVICE or BIDIRECTIONAL: NONE",
                rejected(PagePoolParams.builder().flags(PP_FLAG_DMA_MAP).device(DEV).dmaDir(DmaDirection.NONE)));
        PagePoolParams.builder().flags(PP_FLAG_DMA_MAP).device(DEV).dmaDir(DmaDirection.BIDIRECTIONAL).build();
    }

    @Test
    void shouldRequireDeviceForDmaMap() {
        assertEquals("PP_FLAG_DMA_MAP requires a device", rejected(PagePoolParams.builder().flags(PP_FLAG_DMA_MAP)));
    }

    @Test
    void shouldRequireQueueForUnreadableNetmem() {
        assertEquals("PP_FLAG_ALLOW_UNREADABLE_NETMEM requires a queue",
                rejected(PagePoolParams.builder().flags(PP_FLAG_ALLOW_UNREADABLE_NETMEM)));
    }

    @Test
    void shouldRejectOnlyOrdersWhoseBufferSizeDoesNotFitAnInt() {
        assertEquals("order must be in [0, 18]: 19", rejected(PagePoolParams.builder().order(19)));
        assertEquals("order must be in [0, 18]: -1", rejected(PagePoolParams.builder().order(-1)));
        assertEquals(4096 << 18, PagePoolParams.builder().order(18).build().bufferSize());
    }

    /**
     * {@code page_pool_init}: {@code order > MAX_PAGE_ORDER} is -EINVAL only without a memory provider,
     * after the provider checks; with one, the provider's init judges it (devmem: -E2BIG).
     */
    @Test
    void shouldCheckMaxPageOrderAtCreateOnlyForPoolsWithoutAProvider() {
        TestPages pages = new TestPages(1, 1, 0, false);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> PagePool.create(PagePoolParams.builder().order(11).hostPages(pages).build()));
        assertEquals("EINVAL: order 11 > MAX_PAGE_ORDER 10 without a memory provider", e.getMessage());
        assertEquals(0, pages.inits, "the page allocator path never reaches the provider");

        TestPages bound = new TestPages(1, 1, 0, false) {
            @Override
            public synchronized void init(dev.netmem.api.spi.PoolContext pool) {
                throw new IllegalArgumentException("E2BIG: order " + pool.params().order());
            }
        };
        NetdevRxQueue q = new NetdevRxQueue() {
            @Override
            public int queueIndex() {
                return 0;
            }

            @Override
            public int ifindex() {
                return 2;
            }

            @Override
            public dev.netmem.api.spi.MemoryProvider memoryProvider() {
                return bound;
            }
        };
        IllegalArgumentException e2 = assertThrows(IllegalArgumentException.class,
                () -> PagePool.create(PagePoolParams.builder().order(11).queue(q)
                        .flags(PP_FLAG_ALLOW_UNREADABLE_NETMEM).build()));
        assertEquals("E2BIG: order 11", e2.getMessage(), "the provider answers, not MAX_PAGE_ORDER");
    }

    @Test
    void shouldRejectNegativePoolSizeAndNid() {
        assertEquals("poolSize must be >= 0: -1", rejected(PagePoolParams.builder().poolSize(-1)));
        assertEquals("nid must be >= -1: -2", rejected(PagePoolParams.builder().nid(-2)));
    }

    @Test
    void shouldRejectSyncSpanBeyondTheBuffer() {
        assertEquals("offset + maxLen exceeds the buffer size: offset=64, maxLen=4096, buffer=4096",
                rejected(PagePoolParams.builder().offset(64).maxLen(4096)));
        assertEquals("maxLen and offset must be >= 0: maxLen=-1, offset=0",
                rejected(PagePoolParams.builder().maxLen(-1)));
    }

    @Test
    void shouldRejectUnreadableHostPages() {
        var unreadable = new TestPages(1) {
            @Override
            public boolean unreadable() {
                return true;
            }
        };
        assertEquals("hostPages must be a readable (host page) provider: " + unreadable,
                rejected(PagePoolParams.builder().hostPages(unreadable)));
    }

    @Test
    void shouldRejectNonPositiveReleaseIntervals() {
        assertEquals("releaseRetry must be > 0: PT0S", rejected(PagePoolParams.builder().releaseRetry(Duration.ZERO)));
        assertEquals("stallWarn must be > 0: PT-1S",
                rejected(PagePoolParams.builder().stallWarn(Duration.ofSeconds(-1))));
    }

    @Test
    void shouldSizeTheRingLikeTheKernel() {
        assertEquals(1024, PagePoolParams.builder().build().ringSize());
        assertEquals(256, PagePoolParams.builder().poolSize(256).build().ringSize());
        assertEquals(16384, PagePoolParams.builder().poolSize(100_000).build().ringSize());
    }

    @Test
    void shouldRoundTripThroughToBuilder() {
        PagePoolParams p = PagePoolParams.builder().order(2).poolSize(77).nid(0).device(DEV)
                .flags(PP_FLAG_DMA_MAP | PP_FLAG_DMA_SYNC_DEV).maxLen(8192).offset(64).stats(false).build();
        assertEquals(p, p.toBuilder().build());
    }
}
