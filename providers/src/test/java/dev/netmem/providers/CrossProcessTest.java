package dev.netmem.providers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.netmem.api.DmaDevice;
import dev.netmem.api.NetIov;
import dev.netmem.api.PagePool;
import dev.netmem.api.PagePoolParams;
import dev.netmem.api.spi.MemoryProvider;
import dev.netmem.providers.dmabuf.Dmabuf;
import dev.netmem.providers.dmabuf.DmabufBinding;
import dev.netmem.providers.zcrx.ZcrxArea;
import dev.netmem.providers.zcrx.ZcrxIfq;
import dev.netmem.providers.zcrx.ZcrxStats;
import dev.netmem.testsupport.StubQueue;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A consumer in another JVM maps the provider's memory by path while this JVM fills buffers, checks
 * the bytes in place and gives the buffers back; every buffer comes home and the files are removed.
 */
class CrossProcessTest {
    private static final Duration LIMIT = Duration.ofSeconds(60);
    private static final int PAGES = 8;

    @TempDir
    Path dir;
    private final DmaDevice device = new DmaDevice("xproc0", false);

    private PagePool pool(MemoryProvider provider) {
        return PagePool.create(StubQueue.poolParams(provider, device).build());
    }

    /** Writes the pattern over a whole buffer, keyed by its offset in the shared memory. */
    private static void fill(NetIov n) {
        MemorySegment seg = n.segment();
        long base = n.virtualAddress();
        for (int j = 0; j < seg.byteSize(); j++) {
            seg.set(ValueLayout.JAVA_BYTE, j, CrossProcessChild.pattern(base + j));
        }
    }

    @Test
    void shouldRemoveTheSharedFilesOfAProcessThatExitsWithoutClosingThem() {
        assertTimeoutPreemptively(LIMIT, () -> {
            Path dmabuf;
            Path region;
            try (ChildJvm child = ChildJvm.start(dir, "abandon", dir.toString())) {
                dmabuf = Path.of(child.read());
                region = Path.of(child.read());
                child.awaitSuccess();
            }
            assertTrue(dmabuf.getFileName().toString().startsWith("netmem-dmabuf-"), dmabuf.toString());
            assertFalse(Files.exists(dmabuf), "the exiting JVM left " + dmabuf);
            assertFalse(Files.exists(region), "the exiting JVM left " + region);
        });
    }

    @Test
    void shouldLetAnotherProcessReadDmabufBuffersInPlaceAndReturnTheirTokens() {
        assertTimeoutPreemptively(LIMIT, () -> {
            Dmabuf dmabuf = Dmabuf.create(dir, PAGES * NetIov.PAGE_SIZE);
            Path file = dmabuf.path();
            DmabufBinding binding = DmabufBinding.bind(dmabuf, device, q -> { });
            PagePool pool = pool(binding);
            try (ChildJvm child = ChildJvm.start(dir, "dmabuf", file.toString())) {
                child.expect("READY"); // the child mapped the file before any byte was written
                Map<Integer, NetIov> tokens = new HashMap<>();
                for (int t = 0; t < PAGES; t++) {
                    NetIov n = pool.alloc();
                    fill(n);
                    tokens.put(t, n);
                    int off = t * 37;
                    child.send("CHECK " + t + " " + (n.virtualAddress() + off) + " " + (NetIov.PAGE_SIZE - off));
                }
                assertNull(pool.alloc());
                assertEquals(PAGES, pool.inflight());
                for (int i = 0; i < PAGES; i++) {
                    String[] f = child.read().split(" ");
                    assertEquals("RET", f[0], String.join(" ", f));
                    NetIov n = tokens.remove(Integer.parseInt(f[1]));
                    pool.putNetmem(n, -1, false); // SO_DEVMEM_DONTNEED: the token's reference
                }
                assertTrue(tokens.isEmpty());
                child.send("END");
                child.expect("BYE " + PAGES);
                child.awaitSuccess();
            }
            pool.destroy();
            assertEquals(PagePool.State.RELEASED, pool.state());
            assertEquals(0, pool.inflight());
            assertEquals(0, binding.unbind());
            assertTrue(binding.isFreed());
            dmabuf.close();
            assertFalse(Files.exists(file));
        });
    }

    @Test
    void shouldLetAnotherProcessConsumeCompletionsAndRefillThroughTheUserRing() {
        assertTimeoutPreemptively(LIMIT, () -> {
            Dmabuf dmabuf = Dmabuf.create(dir, PAGES * NetIov.PAGE_SIZE);
            Path areaFile = dmabuf.path();
            ZcrxIfq ifq = ZcrxIfq.register(ZcrxArea.ofDmabuf(dmabuf), device, 16, 16, dir, q -> { });
            Path regionFile = ifq.regionPath();
            PagePool pool = pool(ifq);
            try (ChildJvm child = ChildJvm.start(dir, "zcrx", regionFile.toString(), areaFile.toString(),
                    Integer.toString(PAGES))) {
                child.expect("READY");
                List<NetIov> bufs = new ArrayList<>();
                for (int i = 0; i < PAGES; i++) {
                    NetIov n = pool.alloc();
                    fill(n);
                    assertTrue(ifq.postCompletion(n, i * 16, 200 + i));
                    pool.putNetmem(n, -1, false); // the skb's reference; the user's remains
                    bufs.add(n);
                }
                assertNull(pool.alloc(), "every buffer is with the user");
                child.send("GO");
                child.expect("REFILLED " + PAGES);
                NetIov first = pool.alloc();
                assertTrue(bufs.contains(first));
                assertEquals(new ZcrxStats(PAGES, 0, PAGES, 1, 2, 1, 1, 0, 0, 0, 0, 0), ifq.stats());
                assertEquals(0, ifq.area().totalUserRefs());
                for (int i = 1; i < PAGES; i++) {
                    assertTrue(bufs.contains(pool.alloc()));
                }
                for (NetIov n : bufs) {
                    assertSame(pool, n.pool());
                    assertEquals(1, n.ppRefCount());
                    pool.putNetmem(n, -1, false);
                }
                child.send("END");
                child.expect("BYE");
                child.awaitSuccess();
            }
            ifq.close();
            pool.destroy();
            assertEquals(PagePool.State.RELEASED, pool.state());
            assertEquals(0, pool.inflight());
            assertTrue(ifq.isFreed());
            assertFalse(Files.exists(regionFile));
            dmabuf.close();
            assertFalse(Files.exists(areaFile));
        });
    }
}
