package dev.netmem.providers.zcrx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.netmem.api.DmaDevice;
import dev.netmem.api.DmaDirection;
import dev.netmem.api.Errno;
import dev.netmem.api.NetIov;
import dev.netmem.api.NetdevRxQueue;
import dev.netmem.api.PagePool;
import dev.netmem.api.PagePoolParams;
import dev.netmem.api.spi.ProviderInfo;
import dev.netmem.providers.dmabuf.Dmabuf;
import dev.netmem.providers.internal.ShmFile;
import dev.netmem.testsupport.StubQueue;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ZcrxIfqTest {
    private static final int PAGES = 4;

    @TempDir
    Path dir;
    private final Arena arena = Arena.ofShared();
    private final DmaDevice device = new DmaDevice("zcrx0", false);
    private final List<NetdevRxQueue> closed = new ArrayList<>();
    private final List<PagePool> pools = new ArrayList<>();
    private MemorySegment memory;
    private ZcrxIfq ifq;
    private ZcrxUserRing user;

    /** One completion as the user saw it. */
    private record Cqe(long off, int len, int flags) {
    }

    @BeforeEach
    void register() {
        memory = arena.allocate((long) PAGES * NetIov.PAGE_SIZE, NetIov.PAGE_SIZE);
        ifq = ZcrxIfq.register(ZcrxArea.ofUserMemory(memory), device, 16, 8, dir, closed::add);
        user = ZcrxUserRing.open(ifq.regionPath(), memory);
    }

    @AfterEach
    void tearDown() {
        user.close();
        for (PagePool p : pools) {
            if (p.state() == PagePool.State.ACTIVE) {
                p.destroy();
            }
        }
        arena.close();
    }

    private PagePoolParams.Builder params() {
        return StubQueue.poolParams(ifq, device);
    }

    private PagePool newPool() {
        PagePool p = PagePool.create(params().build());
        pools.add(p);
        return p;
    }

    @Test
    void shouldLeaveDmaSyncForCpuOnUnlikeDevmem() {
        // io_pp_zc_init clears neither dma_sync nor dma_sync_for_cpu: the area is DMA-mapped user memory
        PagePool pool = newPool();
        assertTrue(pool.dmaSyncForCpu());
        NetIov niov = pool.alloc();
        pool.dmaSyncNetmemForCpu(niov, 0, NetIov.PAGE_SIZE);
        assertEquals(1, device.cpuSyncs());
        pool.recycleDirect(niov);
    }

    private static List<NetIov> allocAll(PagePool pool) {
        List<NetIov> out = new ArrayList<>();
        for (int i = 0; i < PAGES; i++) {
            out.add(pool.alloc());
        }
        return out;
    }

    private List<Cqe> poll() {
        List<Cqe> out = new ArrayList<>();
        user.poll((off, len, flags) -> out.add(new Cqe(off, len, flags)));
        return out;
    }

    /** Teardown in the kernel's order: close the ifq (scrub, close the queue), then the pool goes. */
    private void closeAndExpectFreed(PagePool... toDestroy) {
        Path region = ifq.regionPath();
        ifq.close();
        for (PagePool p : toDestroy) {
            p.destroy();
            assertEquals(PagePool.State.RELEASED, p.state());
        }
        assertTrue(ifq.isFreed());
        assertFalse(Files.exists(region));
        assertEquals(PAGES, ifq.area().freeCount());
        assertEquals(0, device.liveMappings());
    }

    @Test
    void shouldDeliverACompletionInPlaceAndTakeTheBufferBackThroughTheRefillRing() {
        PagePool pool = newPool();
        List<NetIov> bufs = allocAll(pool);
        NetIov n = bufs.get(2);
        byte[] payload = new byte[50];
        for (int i = 0; i < payload.length; i++) {
            payload[i] = (byte) (i * 3 + 1);
        }
        MemorySegment.copy(payload, 0, n.segment(), ValueLayout.JAVA_BYTE, 100, payload.length);
        assertTrue(ifq.postCompletion(n, 100, 50));
        assertEquals(2, n.ppRefCount());
        assertEquals(1, ifq.area().userRefs(n.index()));
        pool.putNetmem(n, -1, false); // the stack drops the skb's reference; the user's remains
        assertTrue(n.isAllocated());
        assertEquals(1, n.ppRefCount());

        List<Cqe> cqes = poll();
        long off = ifq.area().token() | ((long) n.index() << NetIov.PAGE_SHIFT) + 100;
        assertEquals(List.of(new Cqe(off, 50, ZcrxIfq.IORING_CQE_F_MORE)), cqes);
        assertArrayEquals(payload, user.data(off, 50).toArray(ValueLayout.JAVA_BYTE));
        assertTrue(user.refill(off, 50));

        assertSame(n, pool.alloc(), "cache and ring are empty, so the provider refills from the refill ring");
        assertEquals(0, ifq.area().userRefs(n.index()));
        assertEquals(1, n.ppRefCount());
        assertEquals(PAGES, pool.holdCount());
        assertEquals(new ZcrxStats(1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0), ifq.stats());
        for (NetIov b : bufs) {
            pool.putNetmem(b, -1, false);
        }
        assertEquals(new ProviderInfo("io-uring", 0), ifq.fill(null));
        closeAndExpectFreed(pool);
    }

    @Test
    void shouldRejectGarbageDuplicatesOutOfRangeForeignAndUnheldRefillEntriesAndCountEach() {
        PagePool pool = newPool();
        List<NetIov> bufs = allocAll(pool);
        NetIov n = bufs.get(1);
        assertTrue(ifq.postCompletion(n, 0, 10));
        pool.putNetmem(n, -1, false);
        long off = poll().get(0).off();
        long token = user.areaToken();

        assertTrue(user.refill(off, 10));                                   // valid
        assertTrue(user.refill(off, 10));                                   // duplicate: no user ref left
        assertTrue(user.postRefillEntry(off, 10, 1));                       // nonzero __pad
        assertTrue(user.postRefillEntry((1L << ZcrxArea.IORING_ZCRX_AREA_SHIFT) | off, 10, 0)); // foreign area
        assertTrue(user.postRefillEntry(token | ((long) PAGES << NetIov.PAGE_SHIFT), 10, 0));   // past the area
        assertTrue(user.refill((long) bufs.get(3).index() << NetIov.PAGE_SHIFT, 10)); // never handed to the user
        assertTrue(user.postRefillEntry(-1L, -1, 0));                       // garbage: area bits all ones

        assertSame(n, pool.alloc());
        assertEquals(new ZcrxStats(1, 0, 1, 1, 2, 1, 2, 0, 0, 0, 0, 0), ifq.stats());
        assertEquals(7, ifq.stats().entriesConsumed());
        assertEquals(PAGES, pool.holdCount());
        assertEquals(0, pool.releaseCount());
        for (NetIov b : bufs) {
            assertTrue(b.isAllocated());
            assertEquals(1, b.ppRefCount());
            assertSame(pool, b.pool());
            assertEquals(0, ifq.area().userRefs(b.index()));
            pool.putNetmem(b, -1, false);
        }
        closeAndExpectFreed(pool);
    }

    @Test
    void shouldCapRefillAtTheRingSizeWhenTheUserWritesAGarbageTail() {
        PagePool pool = newPool();
        List<NetIov> bufs = allocAll(pool);
        try (ShmFile raw = ShmFile.open(ifq.regionPath())) {
            ZcrxRegion.attach(raw.segment(), "raw").rqTailRelease(0x7fff_0000);
        }
        assertNull(pool.alloc());
        assertEquals(new ZcrxStats(0, 0, 0, 0, 0, 0, ifq.rqEntries(), 0, 0, 0, 0, 0), ifq.stats());
        assertEquals(PAGES, pool.inflight());
        for (NetIov b : bufs) {
            assertEquals(1, b.ppRefCount());
            pool.putNetmem(b, -1, false);
        }
        closeAndExpectFreed(pool);
    }

    @Test
    void shouldRefuseACompletionWhenTheCompletionRingIsFullWithoutTakingReferences() {
        PagePool pool = newPool();
        List<NetIov> bufs = allocAll(pool);
        for (int i = 0; i < ifq.cqEntries(); i++) {
            assertTrue(ifq.postCompletion(bufs.get(0), i * 64, 64));
        }
        NetIov b = bufs.get(1);
        assertFalse(ifq.postCompletion(b, 0, 64));
        assertEquals(1, b.ppRefCount());
        assertEquals(0, ifq.area().userRefs(b.index()));
        assertEquals(Errno.ENOMEM.value(), ifq.postCopyCompletion(MemorySegment.ofArray(new byte[1])),
                "no free buffer: the copy fallback looks at the freelist before the completion ring");
        assertEquals(1, user.overflow());
        assertEquals(new ZcrxStats(ifq.cqEntries(), 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0), ifq.stats());
        assertEquals(ifq.cqEntries(), poll().size());
        assertTrue(ifq.postCompletion(b, 0, 64), "reading the completions frees their slots");
        for (NetIov x : bufs) {
            pool.putNetmem(x, -1, false);
        }
        closeAndExpectFreed(pool); // the scrub drops the user references still held
        assertEquals(ifq.cqEntries() + 1, ifq.stats().scrubbed());
    }

    @Test
    void shouldSendAnOlderPoolsBufferHomeThroughThatPool() {
        PagePool old = newPool();
        List<NetIov> bufs = allocAll(old);
        NetIov n = bufs.get(0);
        assertTrue(ifq.postCompletion(n, 0, 1));
        for (NetIov b : bufs) {
            old.putNetmem(b, -1, false);
        }
        old.destroy(); // the queue restarted: the old pool waits for the buffer the user holds
        assertEquals(PagePool.State.DESTROYING, old.state());
        assertEquals(1, old.inflight());
        PagePool fresh = newPool();
        assertEquals(2, ifq.poolCount());
        assertTrue(user.refill(poll().get(0).off(), 1));

        NetIov got = fresh.alloc();
        assertSame(fresh, got.pool());
        assertEquals(PagePool.State.RELEASED, old.state());
        assertEquals(0, old.inflight());
        assertEquals(1, ifq.poolCount());
        assertEquals(PAGES, fresh.holdCount(), "the old pool's buffer reached the freelist, then the new pool");
        fresh.putNetmem(got, -1, false);
        closeAndExpectFreed(fresh);
    }

    @Test
    void shouldScrubUserReferencesOnCloseAndFreeOnlyWhenNothingIsInFlight() {
        StubQueue q = StubQueue.of(ifq);
        ifq.addQueue(q);
        PagePool pool = newPool();
        List<NetIov> bufs = allocAll(pool);
        NetIov a = bufs.get(0);
        NetIov b = bufs.get(1);
        assertTrue(ifq.postCompletion(a, 0, 100));
        assertTrue(ifq.postCompletion(a, 2048, 100));
        assertTrue(ifq.postCompletion(b, 0, 100));
        for (NetIov x : bufs) {
            pool.putNetmem(x, -1, false);
        }
        assertEquals(2, a.ppRefCount());
        Path region = ifq.regionPath();

        ifq.close();
        assertEquals(3, ifq.stats().scrubbed());
        assertFalse(a.isAllocated());
        assertFalse(b.isAllocated());
        assertEquals(0, ifq.area().totalUserRefs());
        assertEquals(List.of(q), closed);
        assertEquals(ZcrxIfq.State.CLOSED, ifq.state());
        assertTrue(Files.exists(region), "the pool still owns buffers");
        pool.destroy();
        assertEquals(PagePool.State.RELEASED, pool.state());
        assertEquals(ZcrxIfq.State.FREED, ifq.state());
        assertFalse(Files.exists(region));
        assertEquals(PAGES, ifq.area().freeCount());
        assertEquals(0, device.liveMappings());
        IllegalStateException e = assertThrows(IllegalStateException.class, ifq::close);
        assertEquals("zcrx ifq " + ifq.id() + " is already closed", e.getMessage());
    }

    @Test
    void shouldCheckThePoolLikeIoPpZcInit() {
        DmaDevice other = new DmaDevice("other0", false);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> PagePool.create(params().device(other).build()));
        assertEquals("EINVAL: zcrx ifq " + ifq.id() + " is registered on DmaDevice[zcrx0], the pool uses "
                + "DmaDevice[other0]", e.getMessage());
        // io_pp_zc_init since the large rx buffer series: order + PAGE_SHIFT != niov_shift is EINVAL
        e = assertThrows(IllegalArgumentException.class, () -> PagePool.create(params().order(1).build()));
        assertEquals("EINVAL: zcrx ifq " + ifq.id() + " has 4096-byte buffers (order 0); the pool has order 1",
                e.getMessage());
        UnsupportedOperationException u = assertThrows(UnsupportedOperationException.class,
                () -> PagePool.create(params().dmaDir(DmaDirection.BIDIRECTIONAL).build()));
        assertEquals("EOPNOTSUPP: zcrx ifq " + ifq.id()
                + " needs PP_FLAG_DMA_MAP, order 0 and FROM_DEVICE; the pool has order 0, BIDIRECTIONAL",
                u.getMessage());
        assertEquals(0, ifq.poolCount());
        assertEquals(0, device.liveMappings(), "a refused pool does not map the area");
        closeAndExpectFreed();
    }

    @Test
    void shouldRejectACompletionForAForeignBufferOrASpanThatDoesNotFit() {
        PagePool pool = newPool();
        NetIov n = pool.alloc();
        Dmabuf d = Dmabuf.create(dir, NetIov.PAGE_SIZE);
        ZcrxArea otherArea = ZcrxArea.ofDmabuf(d);
        NetIov foreign = otherArea.niovs().niov(0);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ifq.postCompletion(foreign, 0, 1));
        assertEquals("EFAULT: " + foreign + " is not a buffer of zcrx ifq " + ifq.id(), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> ifq.postCompletion(n, 4000, 200));
        assertEquals("span [4000, +200) does not fit in a 4096 B buffer", e.getMessage());
        assertEquals(1, n.ppRefCount());
        assertEquals(new ZcrxStats(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0), ifq.stats());
        assertEquals(2, d.refCount());
        otherArea.free();
        assertEquals(1, d.refCount());
        d.close();
        pool.putNetmem(n, -1, false);
        closeAndExpectFreed(pool);
    }

    @Test
    void shouldValidateRingSizesAndAreaAlignment() throws Exception {
        ZcrxArea area = ZcrxArea.ofUserMemory(arena.allocate(NetIov.PAGE_SIZE, NetIov.PAGE_SIZE));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ZcrxIfq.register(area, device, 0, 8, dir, q -> { }));
        assertEquals("EINVAL: rq_entries must be in [1, 32768]: 0", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> ZcrxIfq.register(area, device, 32769, 8, dir, q -> { }));
        assertEquals("EINVAL: rq_entries must be in [1, 32768]: 32769", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> ZcrxIfq.register(area, device, 8, 65537, dir, q -> { }));
        assertEquals("EINVAL: cq_entries must be in [1, 65536]: 65537", e.getMessage());
        ZcrxIfq rounded = ZcrxIfq.register(area, device, 100, 3, dir, q -> { });
        assertEquals(128, rounded.rqEntries());
        assertEquals(4, rounded.cqEntries());
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(rounded.regionPath())));
        IllegalStateException twice = assertThrows(IllegalStateException.class,
                () -> ZcrxIfq.register(area, device, 8, 8, dir, q -> { }));
        assertEquals("zcrx area is already registered with an ifq", twice.getMessage());
        rounded.close();
        assertTrue(rounded.isFreed());

        MemorySegment unaligned = arena.allocate(3 * NetIov.PAGE_SIZE, NetIov.PAGE_SIZE).asSlice(64, NetIov.PAGE_SIZE);
        e = assertThrows(IllegalArgumentException.class, () -> ZcrxArea.ofUserMemory(unaligned));
        assertEquals("EINVAL: zcrx area must be page aligned and non-empty: address=0x"
                + Long.toHexString(unaligned.address()) + ", len=4096", e.getMessage());
        closeAndExpectFreed();
    }

    @Test
    void shouldClampRingSizesPastTheirMaximumOnlyWithSetupClamp() {
        ZcrxArea area = ZcrxArea.ofUserMemory(arena.allocate(NetIov.PAGE_SIZE, NetIov.PAGE_SIZE));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ZcrxIfq.register(area,
                device, ZcrxIfqReg.of(40000, 8), dir, q -> { }, null));
        assertEquals("EINVAL: rq_entries must be in [1, 32768]: 40000", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> ZcrxIfq.register(area, device,
                ZcrxIfqReg.of(0, 8).withSetupFlags(ZcrxIfqReg.DEFAULT_SETUP_FLAGS | ZcrxIfq.IORING_SETUP_CLAMP), dir, q -> { }, null));
        assertEquals("EINVAL: rq_entries must be in [1, 32768]: 0", e.getMessage(), "CLAMP does not make 0 valid");
        e = assertThrows(IllegalArgumentException.class, () -> ZcrxIfq.register(area, device,
                ZcrxIfqReg.of(-1, 8).withSetupFlags(ZcrxIfqReg.DEFAULT_SETUP_FLAGS | ZcrxIfq.IORING_SETUP_CLAMP), dir, q -> { }, null));
        assertEquals("EINVAL: rq_entries must be in [1, 32768]: -1", e.getMessage(), "CLAMP does not make it valid");
        ZcrxIfq clamped = ZcrxIfq.register(area, device,
                ZcrxIfqReg.of(40000, 70000).withSetupFlags(ZcrxIfqReg.DEFAULT_SETUP_FLAGS | ZcrxIfq.IORING_SETUP_CLAMP), dir, q -> { }, null);
        assertEquals(ZcrxIfq.IO_RQ_MAX_ENTRIES, clamped.rqEntries());
        assertEquals(ZcrxIfq.IORING_MAX_CQ_ENTRIES, clamped.cqEntries());
        clamped.close();
        assertTrue(clamped.isFreed());
        closeAndExpectFreed();
    }

    @Test
    void shouldLookForAFreeBufferBeforeRoomInTheCompletionRingWhenCopying() {
        ZcrxArea area = ZcrxArea.ofUserMemory(arena.allocate(2L * NetIov.PAGE_SIZE, NetIov.PAGE_SIZE));
        ZcrxIfq one = ZcrxIfq.register(area, device, 4, 1, dir, q -> { });
        MemorySegment b = MemorySegment.ofArray(new byte[10]);
        assertEquals(10, one.postCopyCompletion(b));
        assertEquals(Errno.ENOSPC.value(), one.postCopyCompletion(b), "a buffer is free, the ring is full");
        assertEquals(1, area.freeCount(), "the buffer taken for the refused copy went back to the freelist");
        try (ZcrxUserRing u = ZcrxUserRing.open(one.regionPath(), area.memory())) {
            assertEquals(1, u.poll((off, len, flags) -> { }));
            assertEquals(10, one.postCopyCompletion(b));
            assertEquals(Errno.ENOMEM.value(), one.postCopyCompletion(b), "the ring is full and no buffer is free");
            assertEquals(1, u.poll((off, len, flags) -> { }));
            assertEquals(Errno.ENOMEM.value(), one.postCopyCompletion(b), "room in the ring, no buffer");
        }
        assertEquals(1, one.stats().cqOverflow());
        one.close();
        assertTrue(one.isFreed());
        closeAndExpectFreed();
    }

    @Test
    void shouldCountCopiedFragsInTheRegionStatsAndFireEachEventOnceUntilRearmed() {
        ZcrxArea area = ZcrxArea.ofUserMemory(arena.allocate(5L * NetIov.PAGE_SIZE, NetIov.PAGE_SIZE));
        ZcrxEventDesc desc = new ZcrxEventDesc(0xfeedL,
                1 << ZcrxIfq.ZCRX_EVENT_ALLOC_FAIL | 1 << ZcrxIfq.ZCRX_EVENT_COPY, ZcrxIfq.ZCRX_EVENT_DESC_FLAG_STATS);
        ZcrxIfq ev = ZcrxIfq.register(area, device, ZcrxIfqReg.of(8, 16).withEvents(desc), dir, q -> { }, null);
        List<long[]> events = new ArrayList<>();
        List<Cqe> cqes = new ArrayList<>();
        try (ZcrxUserRing u = ZcrxUserRing.open(ev.regionPath(), area.memory())) {
            MemorySegment frag = MemorySegment.ofArray(new byte[NetIov.PAGE_SIZE + 100]);
            assertEquals(NetIov.PAGE_SIZE + 100, ev.copyFrag(frag), "two chunks");
            assertEquals(50, ev.copyFrag(frag.asSlice(0, 50)));
            assertEquals(30, ev.postCopyCompletion(frag.asSlice(0, 30)), "linear data: copied, not counted");
            assertEquals(4, u.poll((off, len, flags) -> cqes.add(new Cqe(off, len, flags)),
                    (userData, type) -> events.add(new long[] {userData, type})));
            assertEquals(List.of(NetIov.PAGE_SIZE, 100, 50, 30), cqes.stream().map(Cqe::len).toList());
            assertEquals(1, events.size(), "COPY fired once, not once per copied frag");
            assertArrayEquals(new long[] {0xfeedL, ZcrxIfq.ZCRX_EVENT_COPY}, events.get(0));
            assertEquals(2, u.copyCount());
            assertEquals(NetIov.PAGE_SIZE + 150, u.copyBytes());
            assertEquals(2, ev.stats().copyCount());
            assertEquals(NetIov.PAGE_SIZE + 150, ev.stats().copyBytes());

            PagePool pool = PagePool.create(StubQueue.poolParams(ev, device).build());
            pools.add(pool);
            NetIov last = pool.alloc();
            assertTrue(last != null, "the last free buffer");
            assertNull(pool.alloc());
            assertNull(pool.alloc());
            events.clear();
            u.poll((off, len, flags) -> { }, (userData, type) -> events.add(new long[] {userData, type}));
            assertEquals(1, events.size(), "ALLOC_FAIL fired once for two failures");
            assertArrayEquals(new long[] {0xfeedL, ZcrxIfq.ZCRX_EVENT_ALLOC_FAIL}, events.get(0));
            ev.armEvent(ZcrxIfq.ZCRX_EVENT_ALLOC_FAIL);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> ev.armEvent(ZcrxIfq.ZCRX_EVENT_ALLOC_FAIL));
            assertEquals("EINVAL: zcrx event 0 has not fired", e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> ev.armEvent(2));
            assertEquals("EINVAL: unknown zcrx event type 2", e.getMessage());
            assertNull(pool.alloc());
            assertEquals(0, u.poll((off, len, flags) -> { }, (userData, type) -> events.add(new long[] {userData,
                    type})));
            assertEquals(2, events.size(), "re-armed: it fired again");
            assertEquals(3, ev.stats().events());
            pool.putNetmem(last, -1, false);
        }
        ev.close();
        for (PagePool p : pools) {
            p.destroy();
        }
        assertTrue(ev.isFreed());
        closeAndExpectFreed();
    }

    @Test
    void shouldRefuseUnknownEventTypesAndFlags() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new ZcrxEventDesc(0, 4, 0));
        assertEquals("EINVAL: unknown zcrx event types in mask 0x4", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new ZcrxEventDesc(0, 1, 2));
        assertEquals("EINVAL: unknown zcrx event desc flags 0x2", e.getMessage());
        closeAndExpectFreed();
    }

    @Test
    void shouldRefuseToOpenAFileThatIsNotARegionOrAnAreaOfAnotherSize() throws Exception {
        Path junk = Files.write(dir.resolve("junk"), new byte[4096]);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ZcrxUserRing.open(junk, memory));
        assertEquals("not a netmem zcrx region: " + junk, e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> ZcrxUserRing.open(ifq.regionPath(), memory.asSlice(0, NetIov.PAGE_SIZE)));
        assertEquals("zcrx area is 4096 B, the region says " + PAGES * NetIov.PAGE_SIZE + " B", e.getMessage());
        closeAndExpectFreed();
    }

    @Test
    void shouldCopyIntoAFreeBufferNoPoolOwnsAndTakeItStraightBackToTheFreelist() {
        byte[] data = new byte[300];
        for (int i = 0; i < data.length; i++) {
            data[i] = (byte) (7 * i);
        }
        assertEquals(300, ifq.postCopyCompletion(MemorySegment.ofArray(data)));
        assertEquals(1, ifq.buffersOut());
        Cqe cqe = poll().get(0);
        assertEquals(new Cqe(cqe.off() & ~ZcrxArea.IORING_ZCRX_AREA_MASK & ~(NetIov.PAGE_SIZE - 1L), 300,
                ZcrxIfq.IORING_CQE_F_MORE), cqe);
        NetIov copy = ifq.area().niovs().niov((int) (cqe.off() >>> NetIov.PAGE_SHIFT));
        assertNull(copy.pool(), "a copy-fallback buffer belongs to no pool");
        assertEquals(1, ifq.area().userRefs(copy.index()));
        assertArrayEquals(data, user.data(cqe.off(), 300).toArray(ValueLayout.JAVA_BYTE));
        assertTrue(user.refill(cqe.off(), 300));

        PagePool pool = newPool();
        List<NetIov> bufs = allocAll(pool);
        assertEquals(new ZcrxStats(1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0), ifq.stats());
        assertEquals(PAGES, pool.holdCount(), "the refill put the copy buffer back in the freelist first");
        assertEquals(Errno.ENOMEM.value(), ifq.postCopyCompletion(MemorySegment.ofArray(data)));
        byte[] big = new byte[NetIov.PAGE_SIZE + 1];
        for (NetIov b : bufs) {
            pool.putNetmem(b, -1, false);
        }
        pool.destroy();
        assertEquals(NetIov.PAGE_SIZE, ifq.postCopyCompletion(MemorySegment.ofArray(big)));
        for (int i = 1; i < PAGES; i++) {
            assertEquals(1, ifq.postCopyCompletion(MemorySegment.ofArray(new byte[1])), "copy " + i);
        }
        assertEquals(Errno.ENOMEM.value(), ifq.postCopyCompletion(MemorySegment.ofArray(data)));
        assertEquals(new ZcrxStats(1 + PAGES, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0), ifq.stats());
        ifq.close(); // no pool left: the scrub returns the copies to the freelist and the ifq is freed
        assertEquals(PAGES, ifq.stats().scrubbed());
        assertTrue(ifq.isFreed());
        assertEquals(PAGES, ifq.area().freeCount());
    }

    @Test
    void shouldRefuseToCopyIntoADmabufArea() {
        Dmabuf d = Dmabuf.create(dir, NetIov.PAGE_SIZE);
        ZcrxIfq onDmabuf = ZcrxIfq.register(ZcrxArea.ofDmabuf(d), device, 4, 4, dir, q -> { });
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> onDmabuf.postCopyCompletion(MemorySegment.ofArray(new byte[1])));
        assertEquals("EFAULT: zcrx ifq " + onDmabuf.id() + " cannot copy into a dma-buf area", e.getMessage());
        onDmabuf.close();
        assertTrue(onDmabuf.isFreed());
        assertEquals(1, d.refCount());
        d.close();
        closeAndExpectFreed();
    }

    private long regionFiles() throws java.io.IOException {
        try (var files = Files.list(dir)) {
            return files.filter(f -> f.getFileName().toString().startsWith("netmem-zcrx")).count();
        }
    }

    private String refusal(ZcrxArea area, ZcrxIfqReg reg) {
        return assertThrows(IllegalArgumentException.class,
                () -> ZcrxIfq.register(area, device, reg, dir, q -> { }, null)).getMessage();
    }

    @Test
    void shouldRefuseRegistrationOnARingWithoutDeferTaskrunAndBigCqes() {
        ZcrxArea area = ZcrxArea.ofUserMemory(arena.allocate(NetIov.PAGE_SIZE, NetIov.PAGE_SIZE));
        ZcrxIfqReg reg = ZcrxIfqReg.of(8, 8);
        assertEquals("EINVAL: zcrx needs a ring set up with IORING_SETUP_DEFER_TASKRUN: setup flags=0x1800",
                refusal(area, reg.withSetupFlags(ZcrxIfq.IORING_SETUP_SINGLE_ISSUER | ZcrxIfq.IORING_SETUP_CQE32)));
        assertEquals("EINVAL: zcrx needs a ring set up with IORING_SETUP_CQE32 or IORING_SETUP_CQE_MIXED: "
                + "setup flags=0x3000", refusal(area, reg.withSetupFlags(
                        ZcrxIfq.IORING_SETUP_SINGLE_ISSUER | ZcrxIfq.IORING_SETUP_DEFER_TASKRUN)));
        assertEquals("EINVAL: zcrx needs a ring set up with IORING_SETUP_DEFER_TASKRUN: setup flags=0x10",
                refusal(area, reg.withSetupFlags(ZcrxIfq.IORING_SETUP_CLAMP).withResv(1)),
                "the ring's flags are checked before the registration struct");
        ZcrxIfq mixed = ZcrxIfq.register(area, device, reg.withSetupFlags(ZcrxIfq.IORING_SETUP_SINGLE_ISSUER
                | ZcrxIfq.IORING_SETUP_DEFER_TASKRUN | ZcrxIfq.IORING_SETUP_CQE_MIXED), dir, q -> { }, null);
        mixed.close();
        assertTrue(mixed.isFreed());
        closeAndExpectFreed();
    }

    @Test
    void shouldRefuseNonZeroReservedFieldsAndUnknownFlagsOfIfqRegionAndAreaInTheKernelsOrder() throws Exception {
        ZcrxArea area = ZcrxArea.ofUserMemory(arena.allocate(NetIov.PAGE_SIZE, NetIov.PAGE_SIZE));
        long regionsBefore = regionFiles();
        ZcrxIfqReg ok = ZcrxIfqReg.of(8, 8);
        ZcrxRegionDesc badRegion = new ZcrxRegionDesc(0, 0, 0, 1);
        ZcrxAreaReg badArea = new ZcrxAreaReg(2, 0, 0);
        // io_uring_zcrx_ifq_reg
        assertEquals("EINVAL: io_uring_zcrx_ifq_reg reserved fields and zcrx_id must be 0: resv=0x80, zcrx_id=0",
                refusal(area, ok.withResv(0x80).withFlags(1).withRegionDesc(badRegion).withAreaReg(badArea)));
        assertEquals("EINVAL: io_uring_zcrx_ifq_reg reserved fields and zcrx_id must be 0: resv=0x0, zcrx_id=3",
                refusal(area, ok.withZcrxId(3).withFlags(1)));
        assertEquals("EINVAL: unknown zcrx_reg flags 0x2", refusal(area, ok.withFlags(2).withRegionDesc(badRegion)));
        assertEquals("EINVAL: unknown zcrx_reg flags 0x1", refusal(area, ok.withFlags(1)));
        assertEquals("EINVAL: rq_entries must be in [1, 32768]: 0",
                refusal(area, ZcrxIfqReg.of(0, 8).withRegionDesc(badRegion)), "ring sizes before the region");
        // io_uring_region_desc
        assertEquals("EINVAL: io_uring_region_desc reserved fields must be 0: resv=0x1",
                refusal(area, ok.withRegionDesc(new ZcrxRegionDesc(2, 4096, 1, 1)).withAreaReg(badArea)));
        assertEquals("EINVAL: unknown io_uring_region_desc flags 0x2",
                refusal(area, ok.withRegionDesc(new ZcrxRegionDesc(2, 4096, 1, 0))));
        assertEquals("EFAULT: IORING_MEM_REGION_TYPE_USER without a user_addr", refusal(area,
                ok.withRegionDesc(new ZcrxRegionDesc(ZcrxRegionDesc.IORING_MEM_REGION_TYPE_USER, 4096, 0, 0))));
        assertEquals("EINVAL: io_uring_region_desc mmap_offset and id must be 0: mmap_offset=4096, id=0",
                refusal(area, ok.withRegionDesc(new ZcrxRegionDesc(0, 4096, 0, 0)).withAreaReg(badArea)));
        assertEquals("EINVAL: io_uring_region_desc mmap_offset and id must be 0: mmap_offset=0, id=5",
                refusal(area, ok.withRegionDesc(new ZcrxRegionDesc(0, 0, 5, 0))));
        // io_uring_zcrx_area_reg
        assertEquals("EINVAL: unknown io_uring_zcrx_area_reg flags 0x2",
                refusal(area, ok.withAreaReg(new ZcrxAreaReg(2, 1, 1))));
        assertEquals("EINVAL: io_uring_zcrx_area_reg rq_area_token must be 0: 0x1000000000000",
                refusal(area, ok.withAreaReg(new ZcrxAreaReg(0, 1L << ZcrxArea.IORING_ZCRX_AREA_SHIFT, 1))));
        assertEquals("EINVAL: io_uring_zcrx_area_reg reserved fields must be 0: resv=0x4",
                refusal(area, ok.withAreaReg(new ZcrxAreaReg(0, 0, 4))));
        assertEquals("EINVAL: IORING_ZCRX_AREA_DMABUF is set for a user memory area",
                refusal(area, ok.withAreaReg(new ZcrxAreaReg(ZcrxAreaReg.IORING_ZCRX_AREA_DMABUF, 0, 0))));
        Dmabuf d = Dmabuf.create(dir, NetIov.PAGE_SIZE);
        ZcrxArea dmabufArea = ZcrxArea.ofDmabuf(d);
        assertEquals("EINVAL: IORING_ZCRX_AREA_DMABUF is clear for a dma-buf area",
                refusal(dmabufArea, ok.withAreaReg(new ZcrxAreaReg(0, 0, 0))));
        // a refusal claims nothing: no region file, and the area still registers (zeroed structs)
        assertEquals(regionsBefore, regionFiles());
        ZcrxIfq onUser = ZcrxIfq.register(area, device, ok.withAreaReg(new ZcrxAreaReg(0, 0, 0)), dir, q -> { }, null);
        ZcrxIfq onDmabuf = ZcrxIfq.register(dmabufArea, device, ok, dir, q -> { }, null);
        onUser.close();
        onDmabuf.close();
        assertTrue(onUser.isFreed());
        assertTrue(onDmabuf.isFreed());
        d.close();
        closeAndExpectFreed();
    }

    @Test
    void shouldFlushTheRefillRingReturningEachBufferWhoseLastReferenceTheUserHeld() {
        PagePool pool = newPool();
        List<NetIov> bufs = allocAll(pool);
        NetIov a = bufs.get(0);
        NetIov b = bufs.get(1);
        assertTrue(ifq.postCompletion(a, 0, 10));
        assertTrue(ifq.postCompletion(b, 0, 20));
        pool.putNetmem(a, -1, false); // the stack is done with a; it still holds b
        List<Cqe> cqes = poll();
        assertTrue(user.refill(cqes.get(0).off(), 10));
        assertTrue(user.refill(cqes.get(1).off(), 20));
        assertTrue(user.refill(cqes.get(0).off(), 10)); // duplicate: no user reference left, skipped

        assertEquals(0, pool.ringCount());
        assertEquals(3, ifq.flushRq(0));
        assertEquals(16, user.refillSpace(), "the flush consumed every entry");
        assertEquals(0, ifq.area().userRefs(a.index()));
        assertEquals(0, ifq.area().userRefs(b.index()));
        assertEquals(1, pool.ringCount(), "a's last reference was the user's: a went back to its pool's ring");
        assertEquals(1, b.ppRefCount(), "the stack still holds b");
        assertTrue(b.isAllocated());
        assertEquals(new ZcrxStats(2, 0, 2, 0, 0, 0, 1, 0, 0, 0, 0, 0), ifq.stats());
        assertSame(a, pool.alloc(), "a waits in the pool's ring");
        assertEquals(0, ifq.flushRq(0), "nothing left to flush");
        for (NetIov n : bufs) {
            pool.putNetmem(n, -1, false);
        }
        closeAndExpectFreed(pool);
    }

    @Test
    void shouldStopTheFlushAtAMalformedRefillEntryAndFlushInBatches() {
        PagePool pool = newPool();
        List<NetIov> bufs = allocAll(pool);
        NetIov a = bufs.get(0);
        NetIov b = bufs.get(1);
        assertTrue(ifq.postCompletion(a, 0, 10));
        assertTrue(ifq.postCompletion(b, 0, 10));
        List<Cqe> cqes = poll();
        assertTrue(user.refill(cqes.get(0).off(), 10));
        assertTrue(user.postRefillEntry(cqes.get(1).off(), 10, 1)); // nonzero __pad: consumed, ends the flush
        assertTrue(user.refill(cqes.get(1).off(), 10));
        assertEquals(1, ifq.flushRq(0));
        assertEquals(15, user.refillSpace(), "the entry after the malformed one is left for the next flush");
        assertEquals(1, ifq.area().userRefs(b.index()));
        assertEquals(1, ifq.flushRq(0));
        assertEquals(0, ifq.area().userRefs(b.index()));
        assertEquals(new ZcrxStats(2, 0, 2, 1, 0, 0, 0, 0, 0, 0, 0, 0), ifq.stats());
        for (NetIov n : bufs) {
            pool.putNetmem(n, -1, false);
        }

        // 40 entries on a 64-entry ring: a batch of ZCRX_FLUSH_BATCH, then the rest
        ZcrxArea area = ZcrxArea.ofUserMemory(arena.allocate(NetIov.PAGE_SIZE, NetIov.PAGE_SIZE));
        ZcrxIfq big = ZcrxIfq.register(area, device, 64, 8, dir, q -> { });
        try (ZcrxUserRing u = ZcrxUserRing.open(big.regionPath(), area.memory())) {
            for (int i = 0; i < 40; i++) {
                assertTrue(u.refill(area.token(), 1));
            }
            assertEquals(40, big.flushRq(0));
            assertEquals(64, u.refillSpace());
            assertEquals(40, big.stats().noUserRef());
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> big.flushRq(2));
        assertEquals("EINVAL: zcrx_ctrl_flush_rq reserved fields must be 0: resv=0x2", e.getMessage());
        big.close();
        IllegalStateException closedErr = assertThrows(IllegalStateException.class, () -> big.flushRq(0));
        assertEquals("ENXIO: zcrx ifq " + big.id() + " is closed", closedErr.getMessage());
        assertTrue(big.isFreed());
        closeAndExpectFreed(pool);
    }
}
