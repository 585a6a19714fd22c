package dev.netmem.providers.dmabuf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.netmem.api.DmaDevice;
import dev.netmem.api.NetIov;
import dev.netmem.api.NetdevRxQueue;
import dev.netmem.api.PagePool;
import dev.netmem.api.PagePoolParams;
import dev.netmem.api.spi.ProviderInfo;
import dev.netmem.providers.RecordingPoolContext;
import dev.netmem.testsupport.StubQueue;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DmabufBindingTest {
    private static final int PAGES = 8;

    @TempDir
    Path dir;
    private final DmaDevice device = new DmaDevice("devmem0", false);
    private final List<NetdevRxQueue> closed = new ArrayList<>();
    private Dmabuf dmabuf;
    private DmabufBinding binding;

    @BeforeEach
    void bind() {
        dmabuf = Dmabuf.create(dir, PAGES * NetIov.PAGE_SIZE);
        binding = DmabufBinding.bind(dmabuf, device, closed::add);
    }

    @AfterEach
    void closeOwnerHandle() {
        dmabuf.close();
    }

    private PagePool pool(int order) {
        return PagePool.create(StubQueue.poolParams(binding, device)
                .order(order)
                .build());
    }

    @Test
    void shouldTurnOffDmaSyncForCpuOnItsPools() {
        PagePool pool = pool(0);
        assertFalse(pool.dmaSyncForCpu(), "mp_dmabuf_devmem_init clears dma_sync_for_cpu");
        NetIov niov = pool.alloc();
        pool.dmaSyncNetmemForCpu(niov, 0, NetIov.PAGE_SIZE);
        assertEquals(0, device.cpuSyncs(), "dma-buf addresses are never synced for the CPU");
        assertEquals(0, device.syncs());
        pool.recycleDirect(niov);
        pool.destroy();
    }

    @Test
    void shouldAllocateCyclicIdsFromOneAndForgetThemOnUnbind() {
        DmabufBinding other = DmabufBinding.bind(dmabuf, device, q -> { });
        assertTrue(binding.id() >= 1);
        assertEquals(binding.id() + 1, other.id());
        assertEquals(Optional.of(other), DmabufBinding.byId(other.id()));
        other.unbind();
        assertEquals(Optional.empty(), DmabufBinding.byId(other.id()));
        assertTrue(other.isFreed());
        assertEquals(new ProviderInfo("dmabuf", binding.id()), binding.fill(null));
    }

    @Test
    void shouldAllocateU32BindingIdsCyclicallyFromOne() {
        int saved = DmabufBinding.nextIdForTest(Integer.MAX_VALUE);
        try {
            DmabufBinding a = DmabufBinding.bind(dmabuf, device, q -> { });
            DmabufBinding b = DmabufBinding.bind(dmabuf, device, q -> { });
            assertEquals(Integer.MAX_VALUE, a.id());
            assertEquals("2147483648", b.idString(), "past 2^31 - 1 the id goes on as a u32");
            assertEquals(new ProviderInfo("dmabuf", 2147483648L), b.fill(null));
            assertEquals(Optional.of(b), DmabufBinding.byId(b.id()));
            DmabufBinding.nextIdForTest(-1);
            DmabufBinding c = DmabufBinding.bind(dmabuf, device, q -> { });
            DmabufBinding d = DmabufBinding.bind(dmabuf, device, q -> { });
            assertEquals("4294967295", c.idString());
            assertTrue(d.id() >= 1, "0xffffffff wraps to 1, never 0: " + d.idString());
            for (DmabufBinding x : List.of(a, b, c, d)) {
                x.unbind();
            }
        } finally {
            DmabufBinding.nextIdForTest(saved);
        }
    }

    @Test
    void shouldPlaceChunkIAtDmaBasePlusIPagesAndAtDmabufOffsetIPages() {
        PagePool pool = pool(0);
        List<NetIov> got = new ArrayList<>();
        for (int i = 0; i < PAGES; i++) {
            NetIov n = pool.alloc();
            assertEquals(binding.dmaBase() + (long) n.index() * NetIov.PAGE_SIZE, n.dmaAddr());
            assertEquals((long) n.index() * NetIov.PAGE_SIZE, n.virtualAddress());
            n.segment().set(ValueLayout.JAVA_INT, 8, 0xC0FFEE00 | n.index());
            assertEquals(0xC0FFEE00 | n.index(),
                    dmabuf.segment().get(ValueLayout.JAVA_INT, n.virtualAddress() + 8));
            got.add(n);
        }
        assertNull(pool.alloc());
        assertEquals(PAGES, binding.chunksOut());
        assertEquals(0, binding.chunksAvail());
        assertEquals(1 + 1, binding.refCount()); // owner + pool: RX buffers hold no binding reference
        for (NetIov n : got) {
            pool.putNetmem(n, -1, false);
        }
        pool.destroy();
        assertEquals(0, binding.chunksOut());
        assertEquals(1, binding.refCount());
    }

    @Test
    void shouldRejectAPoolOfOrderAboveZeroWithE2big() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> pool(1));
        assertEquals("E2BIG: devmem binding " + binding.id() + " serves order-0 buffers only, got order 1",
                e.getMessage());
        assertEquals(0, binding.poolCount());
        assertEquals(1, binding.refCount());
    }

    @Test
    void shouldRefuseAReleaseWithPpRefCountOtherThanOneAndKeepTheChunkOut() {
        PagePool pool = pool(0);
        NetIov n = pool.alloc();
        PagePool.refNetmem(n);
        RecordingPoolContext ctx = new RecordingPoolContext(pool);
        assertFalse(binding.releaseNetmem(ctx, n));
        assertEquals(1, binding.releaseErrors());
        assertEquals(0, ctx.clears);
        assertEquals(1, binding.chunksOut());
        assertSame(pool, n.pool());
        pool.putNetmem(n, -1, false);
        pool.putNetmem(n, -1, false);
        pool.destroy();
        assertEquals(0, binding.chunksOut());
        assertEquals(1, binding.releaseErrors());
    }

    /**
     * A release refused for {@code pp_ref_count != 1} keeps its chunk out while its pool counts it
     * released; when the last binding reference goes the kernel WARNs "can't destroy genpool", leaks
     * only the chunk allocator, and still unmaps and drops the dma-buf.
     */
    @Test
    void shouldLeakOnlyTheChunkPoolAndStillUnmapAndDropTheDmabufWhenAReleaseWasRefused() {
        PagePool pool = pool(0);
        NetIov n = pool.alloc();
        pool.putNetmem(n, -1, false); // at rest in the ring
        PagePool.fragmentNetmem(n, 2); // a stray pp reference on a buffer at rest: pp_ref_count 2
        pool.destroy(); // the ring drain releases it: refused by the provider, counted by the pool
        assertEquals(PagePool.State.RELEASED, pool.state());
        assertEquals(1, binding.releaseErrors());
        assertEquals(1, binding.chunksOut(), "the refused chunk stays out");
        assertEquals(2, dmabuf.refCount(), "the test's handle and the binding's");
        binding.unbind();
        assertEquals(DmabufBinding.State.LEAKED, binding.state());
        assertFalse(device.isMapped(binding.dmaBase()), "the dma-buf is unmapped all the same");
        assertEquals(0, device.liveMappings());
        assertEquals(1, dmabuf.refCount(), "the binding dropped its dma-buf reference");
        assertEquals(0, binding.refCount());
    }

    @Test
    void shouldRefuseToReleaseAChunkOfAnotherBinding() {
        Dmabuf d2 = Dmabuf.create(dir, NetIov.PAGE_SIZE);
        DmabufBinding b2 = DmabufBinding.bind(d2, device, q -> { });
        PagePool p2 = PagePool.create(StubQueue.poolParams(b2, device).build());
        NetIov foreign = p2.alloc();
        assertFalse(binding.releaseNetmem(new RecordingPoolContext(p2), foreign));
        assertEquals(1, binding.releaseErrors());
        assertEquals(0, binding.chunksOut());
        p2.putNetmem(foreign, -1, false);
        p2.destroy();
        b2.unbind();
        assertTrue(b2.isFreed());
        d2.close();
    }

    @Test
    void shouldStopHandingOutChunksOnUnbindCloseEveryQueueAndFreeWhenTheLastComesHome() {
        StubQueue q0 = new StubQueue(0, 1, binding);
        StubQueue q1 = new StubQueue(1, 1, binding);
        binding.addQueue(q0);
        binding.addQueue(q1);
        assertEquals(List.of(q0, q1), binding.boundQueues());
        PagePool pool = pool(0);
        NetIov a = pool.alloc();
        NetIov b = pool.alloc();
        assertEquals(2, binding.unbind());
        assertEquals(List.of(q0, q1), closed);
        assertEquals(DmabufBinding.State.UNBOUND, binding.state());
        assertEquals(List.of(), binding.boundQueues());
        assertNull(pool.alloc(), "an unbound binding must not hand out its free chunks");
        assertEquals(PAGES - 2, binding.chunksAvail());
        pool.putNetmem(a, -1, false);
        pool.destroy();
        assertEquals(PagePool.State.DESTROYING, pool.state());
        assertEquals(DmabufBinding.State.UNBOUND, binding.state());
        assertEquals(1, binding.chunksOut());
        assertEquals(2, dmabuf.refCount());
        pool.putNetmem(b, -1, false);
        assertEquals(PagePool.State.RELEASED, pool.state());
        assertEquals(DmabufBinding.State.FREED, binding.state());
        assertEquals(0, binding.chunksOut());
        assertEquals(0, binding.refCount());
        assertEquals(1, dmabuf.refCount());
        assertEquals(0, device.liveMappings());
    }

    @Test
    void shouldHandOutTheMemoryOfAChunkStillOutWhenItsDmabufIsBoundAgainBeforeTheOldBindingIsFreed() {
        // net_devmem_bind_dmabuf gives each binding a genpool over the whole dma-buf: nothing ties two
        // bindings of one dma-buf, so rebinding it is safe only once the old binding is freed
        PagePool oldPool = pool(0);
        NetIov held = oldPool.alloc(); // a frag a socket or the application still reads
        held.segment().set(ValueLayout.JAVA_LONG, 0, 0x0123456789ABCDEFL);
        binding.unbind();
        oldPool.destroy();
        assertEquals(DmabufBinding.State.UNBOUND, binding.state(), "the held chunk keeps the old binding alive");
        DmabufBinding again = DmabufBinding.bind(dmabuf, device, q -> { });
        PagePool newPool = PagePool.create(StubQueue.poolParams(again, device).order(0).build());
        List<NetIov> fresh = new ArrayList<>();
        for (NetIov n; (n = newPool.alloc()) != null; ) {
            fresh.add(n);
        }
        assertEquals(PAGES, fresh.size(), "the new binding hands out every chunk, the held one's included");
        NetIov alias = fresh.stream().filter(n -> n.virtualAddress() == held.virtualAddress()).findFirst().orElseThrow();
        alias.segment().set(ValueLayout.JAVA_LONG, 0, 0L); // the NIC receives into the new binding's buffer
        assertEquals(0L, held.segment().get(ValueLayout.JAVA_LONG, 0), "the held frag's bytes are overwritten");

        oldPool.putNetmem(held, -1, false);
        assertTrue(binding.isFreed(), "freed once its last chunk came home: from here rebinding is safe");
        for (NetIov n : fresh) {
            newPool.putNetmem(n, -1, false);
        }
        newPool.destroy();
        again.unbind();
        assertTrue(again.isFreed());
    }

    @Test
    void shouldRejectASecondUnbindAndPoolsAndQueuesAfterUnbind() {
        binding.unbind();
        IllegalStateException e = assertThrows(IllegalStateException.class, binding::unbind);
        assertEquals("devmem binding " + binding.id() + " is already unbound", e.getMessage());
        e = assertThrows(IllegalStateException.class, () -> pool(0));
        assertEquals("EINVAL: devmem binding " + binding.id() + " is unbound", e.getMessage());
        e = assertThrows(IllegalStateException.class, () -> binding.addQueue(StubQueue.of(binding)));
        assertEquals("devmem binding " + binding.id() + " is unbound", e.getMessage());
        assertTrue(binding.isFreed());
    }

    @Test
    void shouldRejectAQueueBoundTwiceAndForgetTheDeviceWhenTheLastQueueIsUninstalled() {
        StubQueue q = StubQueue.of(binding);
        binding.addQueue(q);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> binding.addQueue(q));
        assertEquals("queue 0 is already bound to devmem binding " + binding.id(), e.getMessage());
        assertSame(device, binding.device());
        binding.uninstall(q);
        assertNull(binding.device());
        assertEquals(List.of(), binding.boundQueues());
        binding.unbind();
        assertEquals(List.of(), closed, "an uninstalled queue is not closed again");
    }

    @Test
    void shouldCloseTheRemainingQueuesWhenOneCloseHookFails() {
        List<Integer> seen = new ArrayList<>();
        DmabufBinding b = DmabufBinding.bind(dmabuf, device, q -> {
            seen.add(q.queueIndex());
            if (q.queueIndex() == 0) {
                throw new IllegalStateException("queue restart failed");
            }
        });
        b.addQueue(new StubQueue(0, 1, b));
        b.addQueue(new StubQueue(1, 1, b));
        assertEquals(0, b.unbind());
        assertEquals(List.of(0, 1), seen);
        assertTrue(b.isFreed());
    }

    @Test
    void shouldRefuseADeviceWithoutDmaAndADmabufThatIsNotWholePages() throws Exception {
        UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class,
                () -> DmabufBinding.bind(dmabuf, null, q -> { }));
        assertEquals("EOPNOTSUPP: Device doesn't support DMA", e.getMessage());
        Path odd = Files.write(dir.resolve("odd"), new byte[5000]);
        try (Dmabuf d = Dmabuf.open(odd)) {
            IllegalArgumentException e2 = assertThrows(IllegalArgumentException.class,
                    () -> DmabufBinding.bind(d, device, q -> { }));
            assertEquals("dmabuf size 5000 is not a multiple of PAGE_SIZE 4096", e2.getMessage());
            assertEquals(1, d.refCount());
        }
        assertTrue(Files.exists(odd));
        assertNotNull(binding);
    }
}
