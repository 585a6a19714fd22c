package dev.netmem.providers.dmabuf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.netmem.api.NetIov;
import dev.netmem.api.NetIovType;
import dev.netmem.api.spi.MemoryProvider;
import dev.netmem.providers.MemoryProviderConformanceTest;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;

/** The conformance suite on a devmem binding over a shared-memory dma-buf. */
class DmabufBindingConformanceTest extends MemoryProviderConformanceTest {
    private static final int PAGES = 96;

    @TempDir
    Path dir;
    private Dmabuf dmabuf;
    private DmabufBinding binding;

    DmabufBindingConformanceTest() {
        super(PAGES, 1, NetIovType.DMABUF);
    }

    @Override
    protected MemoryProvider newProvider() {
        dmabuf = Dmabuf.create(dir, (long) PAGES * NetIov.PAGE_SIZE);
        binding = DmabufBinding.bind(dmabuf, device, q -> { });
        return binding;
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
        assertEquals(1, binding.refCount());
        assertEquals(0, binding.unbind());
        assertTrue(binding.isFreed());
        assertEquals(0, binding.refCount());
        assertEquals(0, device.liveMappings());
        assertEquals(1, dmabuf.refCount());
        Path file = dmabuf.path();
        dmabuf.close();
        assertFalse(Files.exists(file));
    }
}
