package dev.netmem.providers.dmabuf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.netmem.api.NetIov;
import dev.netmem.api.NetIovType;
import dev.netmem.api.PagePoolParams;
import dev.netmem.api.spi.MemoryProvider;
import dev.netmem.providers.MemoryProviderConformanceTest;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;

/**
 * The conformance suite on a devmem binding of 64 KiB net_iovs ({@code niov_shift} 16, bind-rx's
 * {@code rx-buf-size} of the net-next series), its pools of order 4: accounting, refcounts and
 * teardown hold per net_iov of the larger size.
 */
class DmabufBindingLargeNiovConformanceTest extends MemoryProviderConformanceTest {
    private static final int NIOVS = 48;
    private static final int SHIFT = 16;

    @TempDir
    Path dir;
    private Dmabuf dmabuf;
    private DmabufBinding binding;

    DmabufBindingLargeNiovConformanceTest() {
        super(NIOVS, 1, NetIovType.DMABUF);
    }

    @Override
    protected MemoryProvider newProvider() {
        dmabuf = Dmabuf.create(dir, (long) NIOVS << SHIFT);
        binding = DmabufBinding.bind(dmabuf, device, SHIFT, q -> { }, null);
        return binding;
    }

    @Override
    protected PagePoolParams.Builder poolParams(MemoryProvider p) {
        return super.poolParams(p).order(SHIFT - NetIov.PAGE_SHIFT);
    }

    @AfterEach
    void closeOwnerHandle() {
        dmabuf.close();
    }

    @Override
    protected int buffersOut() {
        return binding.chunksOut();
    }

    @Override
    protected void shutdownAndAssertFreed() {
        assertEquals(0, device.syncs(), "dma-buf memory must never be synced");
        assertEquals(0, binding.poolCount());
        assertEquals(0, binding.unbind());
        assertTrue(binding.isFreed());
        assertEquals(0, device.liveMappings());
        assertEquals(1, dmabuf.refCount());
    }
}
