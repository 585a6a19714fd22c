package dev.netmem.providers.host;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.netmem.api.NetIov;
import dev.netmem.api.NetIovType;
import dev.netmem.api.PagePool;
import dev.netmem.api.PagePoolParams;
import dev.netmem.api.spi.MemoryProvider;
import dev.netmem.providers.MemoryProviderConformanceTest;

/** The conformance suite on the default provider: host pages, mapped by the pool itself. */
class HostPageProviderConformanceTest extends MemoryProviderConformanceTest {
    private static final int PAGES = (int) (HostPageProvider.SLAB_BYTES / NetIov.PAGE_SIZE);

    HostPageProviderConformanceTest() {
        super(PAGES, PagePool.PP_ALLOC_CACHE_REFILL, NetIovType.PAGE);
    }

    @Override
    protected MemoryProvider newProvider() {
        return HostPageProvider.create(HostPageProvider.SLAB_BYTES);
    }

    @Override
    protected PagePoolParams.Builder poolParams(MemoryProvider p) {
        return PagePoolParams.builder()
                .flags(PagePoolParams.PP_FLAG_DMA_MAP | PagePoolParams.PP_FLAG_DMA_SYNC_DEV)
                .device(device)
                .maxLen(NetIov.PAGE_SIZE)
                .hostPages(p);
    }

    private HostPageProvider host() {
        return (HostPageProvider) provider();
    }

    @Override
    protected int buffersOut() {
        return host().pagesInUse();
    }

    @Override
    protected void shutdownAndAssertFreed() {
        assertEquals(0, host().poolCount());
        assertEquals(0, device.liveMappings());
        host().close();
    }
}
