package dev.netmem.providers.zcrx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.netmem.api.NetIov;
import dev.netmem.api.NetIovType;
import dev.netmem.api.PagePool;
import dev.netmem.api.spi.MemoryProvider;
import dev.netmem.providers.MemoryProviderConformanceTest;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;

/** The conformance suite on a zcrx ifq over user memory. */
class ZcrxIfqConformanceTest extends MemoryProviderConformanceTest {
    private static final int PAGES = 160;

    @TempDir
    Path dir;
    private final Arena arena = Arena.ofShared();
    private ZcrxIfq ifq;

    ZcrxIfqConformanceTest() {
        super(PAGES, PagePool.PP_ALLOC_CACHE_REFILL, NetIovType.IOURING);
    }

    @Override
    protected MemoryProvider newProvider() {
        ZcrxArea area = ZcrxArea.ofUserMemory(arena.allocate((long) PAGES * NetIov.PAGE_SIZE, NetIov.PAGE_SIZE));
        ifq = ZcrxIfq.register(area, device, 64, 64, dir, q -> { });
        return ifq;
    }

    @AfterEach
    void freeMemory() {
        arena.close();
    }

    @Override
    protected int buffersOut() {
        return ifq.buffersOut();
    }

    @Override
    protected void shutdownAndAssertFreed() {
        assertEquals(0, ifq.poolCount());
        Path region = ifq.regionPath();
        assertTrue(Files.exists(region));
        ifq.close();
        assertTrue(ifq.isFreed());
        assertFalse(Files.exists(region));
        assertEquals(0, device.liveMappings());
        assertEquals(PAGES, ifq.area().freeCount());
    }
}
