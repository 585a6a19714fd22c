package dev.netmem.testsupport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.netmem.api.DmaDevice;
import dev.netmem.api.NetIov;
import dev.netmem.api.NetIovType;
import dev.netmem.api.PagePool;
import dev.netmem.api.PagePoolParams;
import org.junit.jupiter.api.Test;

class TestProviderTest {
    private static final DmaDevice DEVICE = new DmaDevice("test-support", true);

    private static PagePool pool(TestProvider p) {
        return PagePool.create(p.unreadable() ? StubQueue.poolParams(p, DEVICE).poolSize(16).build()
                : PagePoolParams.builder().poolSize(16).hostPages(p).build());
    }

    @Test
    void shouldHandOutDmabufChunksAndTakeThemBackThroughReleaseNetmem() {
        TestProvider p = TestProvider.dmabuf(2);
        PagePool pool = pool(p);
        NetIov a = pool.alloc();
        assertSame(p.buffer(0), a);
        assertEquals(NetIovType.DMABUF, a.type());
        assertEquals(1, p.inUse());
        assertEquals(1, p.inits());
        assertEquals(1, p.pools());
        pool.putFullPage(a, false);
        pool.destroy();
        assertEquals(PagePool.State.RELEASED, pool.state());
        assertEquals(1, p.releases());
        assertEquals(1, p.releases(0));
        assertEquals(0, p.inUse());
        assertEquals(0, p.pools());
        assertTrue(p.allHomeOnce(), p.toString());
    }

    @Test
    void shouldFreeHostPagesAsPagesAndTakeThemBackThroughThePageFreer() {
        TestProvider p = TestProvider.hostPages(2);
        assertFalse(p.unreadable());
        PagePool pool = pool(p);
        NetIov a = pool.alloc();
        assertEquals(NetIovType.PAGE, a.type());
        pool.putFullPage(a, false);
        pool.destroy();
        assertEquals(PagePool.State.RELEASED, pool.state());
        assertEquals(1, p.releases(0));
        assertEquals(0, p.inUse());
        assertEquals(0, p.misuse());
        assertTrue(p.allHomeOnce(), p.toString());
    }

    @Test
    void shouldReuseTheLastBufferTakenBackAndCountEveryHandOut() {
        TestProvider p = TestProvider.dmabuf(2);
        PagePool first = pool(p);
        NetIov a = first.alloc();
        first.putFullPage(a, false);
        first.destroy();
        PagePool second = pool(p);
        assertSame(a, second.alloc());
        assertEquals(2, p.handedOut());
        assertFalse(p.allHomeOnce(), "one buffer is out");
        second.putFullPage(a, false);
        second.destroy();
        assertEquals(2, p.releases(0));
        assertTrue(p.allHomeOnce(), p.toString());
    }

    @Test
    void shouldRunOutWhenEveryBufferIsOut() {
        TestProvider p = TestProvider.dmabuf(1);
        PagePool pool = pool(p);
        NetIov a = pool.alloc();
        assertNull(pool.alloc());
        assertEquals(2, p.allocCalls());
        assertEquals(0, p.failedAllocs());
        pool.putFullPage(a, false);
        pool.destroy();
    }

    @Test
    void shouldFailAsManyAllocationsAsAsked() {
        TestProvider p = TestProvider.dmabuf(4);
        PagePool pool = pool(p);
        p.failAllocs(2);
        assertNull(pool.alloc());
        assertNull(pool.alloc());
        NetIov a = pool.alloc();
        assertSame(p.buffer(0), a);
        assertEquals(2, p.failedAllocs());
        assertEquals(3, p.allocCalls());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> p.failAllocs(-1));
        assertEquals("calls must be >= 0: -1", e.getMessage());
        pool.putFullPage(a, false);
        pool.destroy();
        assertTrue(p.allHomeOnce(), p.toString());
    }

    @Test
    void shouldRefusePoolsWhileInitIsSetToFail() {
        TestProvider p = TestProvider.dmabuf(1);
        p.refuseInit(() -> new IllegalStateException("EINVAL: refused by the provider"));
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> pool(p));
        assertEquals("EINVAL: refused by the provider", e.getMessage());
        assertEquals(0, p.inits());
        p.refuseInit(null);
        pool(p).destroy();
        assertEquals(1, p.inits());
        assertEquals(1, p.destroys());
    }

    @Test
    void shouldGiveDmabufsDistinctBindingIdsAndHostPagesNone() {
        TestProvider a = TestProvider.dmabuf(1);
        TestProvider b = TestProvider.dmabuf(1);
        assertTrue(a.bindingId() > 0);
        assertNotEquals(a.bindingId(), b.bindingId());
        assertEquals("dmabuf", a.fill(null).kind());
        assertEquals(a.bindingId(), a.fill(null).id());
        TestProvider h = TestProvider.hostPages(1);
        assertEquals(0, h.bindingId());
        assertEquals("host", h.fill(null).kind());
    }

    @Test
    void shouldCountUninstallsAndForeignReleasesAsMisuse() {
        TestProvider p = TestProvider.dmabuf(1);
        TestProvider other = TestProvider.dmabuf(1);
        p.uninstall(StubQueue.of(p));
        assertEquals(1, p.uninstalls());
        assertFalse(p.releaseNetmem(null, other.buffer(0)));
        assertEquals(1, p.misuse());
        assertFalse(p.allHomeOnce());
    }

    @Test
    void shouldRejectAnEmptyArea() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TestProvider.dmabuf(0));
        assertEquals("pages must be >= 1: 0", e.getMessage());
    }

    @Test
    void shouldNameQueueZeroOfIfindexOne() {
        TestProvider p = TestProvider.dmabuf(1);
        assertEquals(new StubQueue(0, 1, p), StubQueue.of(p));
        PagePoolParams params = StubQueue.poolParams(p, DEVICE).build();
        assertSame(p, params.queue().memoryProvider());
        assertEquals(NetIov.PAGE_SIZE, params.maxLen());
    }
}
