package dev.netmem.providers.zcrx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.netmem.api.DmaDevice;
import dev.netmem.api.NetIov;
import dev.netmem.api.PagePool;
import dev.netmem.api.PagePoolParams;
import dev.netmem.testsupport.StubQueue;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code io_uring_zcrx_ifq_reg.rx_buf_len} ("Add support for providers with large rx buffer",
 * io_uring/zcrx.c): validated in {@code io_zcrx_create_area} (a power of two of at least a page,
 * {@code -EINVAL}, before the area import; the area's contiguous chunks divisible by it,
 * {@code -ERANGE}, after), the area split into {@code 1 << niov_shift}-byte buffers, completion and
 * refill offsets shifted by {@code niov_shift}, and pools admitted only with that buffer size.
 */
class ZcrxLargeBufferTest {
    @TempDir
    Path dir;
    private final Arena arena = Arena.ofShared();
    private final DmaDevice device = new DmaDevice("zcrx-lg", false);
    private final List<PagePool> pools = new ArrayList<>();
    private final List<ZcrxIfq> ifqs = new ArrayList<>();

    @AfterEach
    void tearDown() {
        for (ZcrxIfq q : ifqs) {
            if (q.state() == ZcrxIfq.State.ACTIVE) {
                q.close();
            }
        }
        for (PagePool p : pools) {
            if (p.state() == PagePool.State.ACTIVE) {
                p.destroy();
            }
        }
        arena.close();
    }

    private MemorySegment memory(long bytes) {
        return arena.allocate(bytes, NetIov.PAGE_SIZE);
    }

    private ZcrxIfq register(ZcrxArea area, ZcrxIfqReg reg) {
        ZcrxIfq ifq = ZcrxIfq.register(area, device, reg, dir, q -> { }, null);
        ifqs.add(ifq);
        return ifq;
    }

    private PagePool pool(ZcrxIfq ifq, int order) {
        PagePool p = PagePool.create(StubQueue.poolParams(ifq, device).order(order).build());
        pools.add(p);
        return p;
    }

    private static String einval(long len) {
        return "EINVAL: rx_buf_len must be 0 or a power of two of at least 4096: " + len;
    }

    @Test
    void shouldRefuseAnRxBufLenThatIsNotAPowerOfTwoOfAtLeastAPage() {
        ZcrxArea area = ZcrxArea.ofUserMemory(memory(256 << 10));
        for (int len : new int[] {1, 2048, 4095, 4097, 12288, 20000, 3 << 16}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> register(area, ZcrxIfqReg.of(16, 16).withRxBufLen(len)), "rx_buf_len " + len);
            assertEquals(einval(len), e.getMessage());
        }
        // the uapi field is a u32: 0xffffffff is a length, not -1
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> register(area, ZcrxIfqReg.of(16, 16).withRxBufLen(-1)));
        assertEquals(einval(0xFFFF_FFFFL), e.getMessage());
        // nothing was claimed: the same area still registers
        ZcrxIfq ifq = register(area, ZcrxIfqReg.of(16, 16).withRxBufLen(16 << 10));
        assertEquals(16 << 10, ifq.rxBufLen());
    }

    @Test
    void shouldCheckRxBufLenAfterTheRegionAndBeforeTheAreaImportThenTheAreaSplitAfterIt() {
        ZcrxArea area = ZcrxArea.ofUserMemory(memory(5L * NetIov.PAGE_SIZE)); // 20 KiB: one contiguous chunk
        ZcrxAreaReg badArea = new ZcrxAreaReg(0x80, 0, 0);
        ZcrxRegionDesc badRegion = new ZcrxRegionDesc(0, 0, 0, 1);
        // a bad region descriptor is reported before a bad rx_buf_len (io_allocate_rbuf_ring runs first)
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> register(area, ZcrxIfqReg.of(16, 16).withRxBufLen(12288).withRegionDesc(badRegion)));
        assertEquals("EINVAL: io_uring_region_desc reserved fields must be 0: resv=0x1", e.getMessage());
        // a bad rx_buf_len before a bad area registration (io_zcrx_create_area checks it before io_import_area)
        e = assertThrows(IllegalArgumentException.class,
                () -> register(area, ZcrxIfqReg.of(16, 16).withRxBufLen(12288).withAreaReg(badArea)));
        assertEquals(einval(12288), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> register(area, ZcrxIfqReg.of(16, 16).withRxBufLen(8192).withAreaReg(badArea)));
        assertEquals("EINVAL: unknown io_uring_zcrx_area_reg flags 0x80", e.getMessage());
        // valid on its own, but 8 KiB does not divide a 20 KiB chunk: ERANGE, after the import
        e = assertThrows(IllegalArgumentException.class,
                () -> register(area, ZcrxIfqReg.of(16, 16).withRxBufLen(8192)));
        assertEquals("ERANGE: rx_buf_len 8192 does not divide the area's 20480-byte contiguous chunks", e.getMessage());
        ZcrxIfq ifq = register(area, ZcrxIfqReg.of(16, 16).withRxBufLen(4096));
        assertEquals(5, ifq.area().niovs().numNiovs());
    }

    @Test
    void shouldSplitTheAreaIntoRxBufLenBuffersAndAddressThemByNiovShift() {
        MemorySegment mem = memory(256 << 10);
        ZcrxIfq ifq = register(ZcrxArea.ofUserMemory(mem), ZcrxIfqReg.of(16, 16).withRxBufLen(64 << 10));
        assertEquals(64 << 10, ifq.rxBufLen());
        assertEquals(64 << 10, ifq.rxPageSize(), "an explicit rx_buf_len is asked of the queue");
        assertEquals(4, ifq.area().niovs().numNiovs());
        assertEquals(64 << 10, ifq.area().bufferSize());

        // io_pp_zc_init: the pool's buffers must be the ifq's (order + PAGE_SHIFT == niov_shift)
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> pool(ifq, 0));
        assertEquals("EINVAL: zcrx ifq " + ifq.id() + " has 65536-byte buffers (order 4); the pool has order 0",
                e.getMessage());
        PagePool pool = pool(ifq, 4);
        List<NetIov> bufs = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            bufs.add(pool.alloc());
        }
        NetIov n0 = ifq.area().niovs().niov(0);
        for (NetIov n : bufs) {
            assertEquals(64 << 10, n.size());
            assertEquals(mem.address() + ((long) n.index() << 16), n.segment().address());
            assertEquals(n0.dmaAddr() + ((long) n.index() << 16), n.dmaAddr(), "DMA address idx << niov_shift");
        }

        NetIov n = bufs.get(2);
        byte[] payload = new byte[20000];
        for (int i = 0; i < payload.length; i++) {
            payload[i] = (byte) (i * 7 + 3);
        }
        MemorySegment.copy(payload, 0, n.segment(), ValueLayout.JAVA_BYTE, 5000, payload.length);
        assertTrue(ifq.postCompletion(n, 5000, payload.length), "a frag past the first page of a large buffer");
        pool.putNetmem(n, -1, false);
        long expected = ifq.area().token() | ((long) n.index() << 16) + 5000;
        List<long[]> cqes = new ArrayList<>();
        try (ZcrxUserRing user = ZcrxUserRing.open(ifq.regionPath(), mem)) {
            user.poll((off, len, flags) -> cqes.add(new long[] {off, len}));
            assertEquals(1, cqes.size());
            assertEquals(expected, cqes.get(0)[0], "CQE off = area token | idx << niov_shift + offset");
            assertEquals(payload.length, cqes.get(0)[1]);
            assertArrayEquals(payload, user.data(expected, payload.length).toArray(ValueLayout.JAVA_BYTE));
            assertTrue(user.refill(expected, payload.length));
        }
        // the refill entry is parsed with niov_shift: the pool gets buffer 2 back, not buffer 2 << 4
        for (NetIov b : bufs) {
            if (b != n) {
                pool.recycleDirect(b);
            }
        }
        List<NetIov> again = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            again.add(pool.alloc());
        }
        assertTrue(again.contains(n), "the refilled buffer came back: " + again);
        assertEquals(0, ifq.stats().badIndex(), "no refill entry was out of range");
        for (NetIov b : again) {
            pool.recycleDirect(b);
        }
    }

    @Test
    void shouldUsePageSizedBuffersAndAskNoRxPageSizeWhenRxBufLenIsZero() {
        ZcrxIfq dflt = register(ZcrxArea.ofUserMemory(memory(64 << 10)), ZcrxIfqReg.of(16, 16));
        assertEquals(NetIov.PAGE_SIZE, dflt.rxBufLen());
        assertEquals(0, dflt.rxPageSize(), "rx_buf_len 0 leaves the queue's rx_page_size unset");
        assertEquals(16, dflt.area().niovs().numNiovs());
        ZcrxIfq explicit = register(ZcrxArea.ofUserMemory(memory(64 << 10)),
                ZcrxIfqReg.of(16, 16).withRxBufLen(NetIov.PAGE_SIZE));
        assertEquals(NetIov.PAGE_SIZE, explicit.rxBufLen());
        assertEquals(NetIov.PAGE_SIZE, explicit.rxPageSize(), "an explicit page-sized rx_buf_len is still asked");
        assertSame(PagePool.State.ACTIVE, pool(dflt, 0).state());
    }
}
