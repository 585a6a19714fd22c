package dev.netmem.providers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.netmem.api.DmaDevice;
import dev.netmem.api.NetIov;
import dev.netmem.api.NetIovType;
import dev.netmem.api.PagePool;
import dev.netmem.api.PagePoolParams;
import dev.netmem.api.PagePoolStats;
import dev.netmem.api.spi.MemoryProvider;
import dev.netmem.testsupport.StubQueue;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The conformance suite every memory provider passes: buffers go through a real {@link PagePool},
 * enter it once ({@code hold++}) and leave it once through the release path, {@code pp_ref_count}
 * is 1 at rest, a destroyed pool waits for its in-flight buffers, and the provider gets every buffer
 * back. Subclasses supply the provider and how it is torn down.
 */
public abstract class MemoryProviderConformanceTest {
    /** A non-coherent device: syncs are counted, so a provider that disables them can be checked. */
    protected final DmaDevice device = new DmaDevice("conformance0", false);
    private final List<PagePool> pools = new ArrayList<>();
    private final int capacity;
    private final int batch;
    private final NetIovType type;
    private MemoryProvider provider;

    /**
     * @param capacity buffers the provider can hand out in total
     * @param batch    buffers one slow-path call accounts to the pool (the provider's batch)
     * @param type     the type of the buffers
     */
    protected MemoryProviderConformanceTest(int capacity, int batch, NetIovType type) {
        this.capacity = capacity;
        this.batch = batch;
        this.type = type;
    }

    /** Creates the provider under test, with room for {@link #capacity} buffers. */
    protected abstract MemoryProvider newProvider();

    /** Buffers out of the provider's own allocator (in pools or in flight). */
    protected abstract int buffersOut();

    /** Tears the provider down after its pools were released, and asserts its memory was freed. */
    protected abstract void shutdownAndAssertFreed();

    /** Pool parameters that make {@link PagePool#create} use the provider. */
    protected PagePoolParams.Builder poolParams(MemoryProvider p) {
        return StubQueue.poolParams(p, device);
    }

    /** The provider of the current test. */
    protected MemoryProvider provider() {
        return provider;
    }

    @BeforeEach
    void createProvider() {
        provider = newProvider();
    }

    @AfterEach
    void destroyLeftoverPools() {
        for (PagePool p : pools) {
            if (p.state() == PagePool.State.ACTIVE) {
                p.destroy();
            }
        }
    }

    private PagePool newPool() {
        PagePool p = PagePool.create(poolParams(provider).build());
        pools.add(p);
        return p;
    }

    private static int ceilDiv(int a, int b) {
        return (a + b - 1) / b;
    }

    @Test
    void shouldAccountEachBufferOnceAndKeepExactStats() {
        PagePool pool = newPool();
        int k = 3;
        List<NetIov> got = new ArrayList<>();
        for (int i = 0; i < k; i++) {
            NetIov n = pool.alloc();
            assertNotNull(n);
            assertSame(pool, n.pool());
            assertEquals(1, n.ppRefCount());
            assertTrue(n.isAllocated());
            assertTrue(n.isPp());
            assertEquals(type, n.type());
            got.add(n);
        }
        int calls = ceilDiv(k, batch);
        int held = calls * batch;
        boolean readable = type.readable();
        assertEquals(new PagePoolStats(k - calls, readable ? calls : 0, 0, calls, 0, 0, 0, 0, 0, 0, 0), pool.stats());
        assertEquals(held, pool.holdCount());
        assertEquals(held, pool.inflight());
        assertEquals(held, buffersOut());
        for (NetIov n : got) {
            pool.putNetmem(n, -1, false);
        }
        assertEquals(new PagePoolStats(k - calls, readable ? calls : 0, 0, calls, 0, 0, 0, 0, k, 0, 0), pool.stats());
        pool.destroy();
        assertEquals(PagePool.State.RELEASED, pool.state());
        assertEquals(held, pool.releaseCount());
        assertEquals(0, pool.inflight());
        assertEquals(0, buffersOut());
        shutdownAndAssertFreed();
    }

    @Test
    void shouldStayDestroyingUntilTheLastInFlightBufferComesHome() {
        PagePool pool = newPool();
        NetIov a = pool.alloc();
        NetIov b = pool.alloc();
        NetIov c = pool.alloc();
        pool.destroy();
        assertEquals(PagePool.State.DESTROYING, pool.state());
        assertEquals(3, pool.inflight());
        assertEquals(3, buffersOut());
        assertTrue(pool.detachTime().isPresent());
        pool.putNetmem(a, -1, false);
        pool.putNetmem(b, -1, false);
        assertEquals(PagePool.State.DESTROYING, pool.state());
        assertEquals(1, pool.inflight());
        assertEquals(1, buffersOut());
        pool.putNetmem(c, -1, false);
        assertEquals(PagePool.State.RELEASED, pool.state());
        assertEquals(0, pool.inflight());
        assertEquals(0, buffersOut());
        assertEquals(pool.holdCount(), pool.releaseCount());
        shutdownAndAssertFreed();
    }

    @Test
    void shouldReleaseOnlyWhenTheLastPpReferenceIsDropped() {
        PagePool pool = newPool();
        NetIov a = pool.alloc();
        PagePool.refNetmem(a);
        assertEquals(2, a.ppRefCount());
        pool.destroy();
        pool.putNetmem(a, -1, false);
        assertTrue(a.isAllocated());
        assertEquals(1, a.ppRefCount());
        assertEquals(1, pool.inflight());
        assertEquals(PagePool.State.DESTROYING, pool.state());
        pool.putNetmem(a, -1, false);
        assertEquals(PagePool.State.RELEASED, pool.state());
        assertNull(a.pool());
        assertEquals(1, a.ppRefCount());
        assertEquals(0, buffersOut());
        shutdownAndAssertFreed();
    }

    @Test
    void shouldRejectADoublePutWithoutChangingTheAccounting() {
        PagePool pool = newPool();
        NetIov a = pool.alloc();
        pool.putNetmem(a, -1, false);
        int hold = pool.holdCount();
        int release = pool.releaseCount();
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> pool.putNetmem(a, -1, false));
        assertEquals("double put of " + a + ": it is already back in page pool " + pool.id(), e.getMessage());
        assertEquals(hold, pool.holdCount());
        assertEquals(release, pool.releaseCount());
        assertEquals(1, a.ppRefCount());
        pool.destroy();
        assertEquals(PagePool.State.RELEASED, pool.state());
        assertEquals(0, buffersOut());
        shutdownAndAssertFreed();
    }

    @Test
    void shouldRejectABufferOfAnotherPool() {
        PagePool p1 = newPool();
        PagePool p2 = newPool();
        NetIov a = p1.alloc();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> p2.putNetmem(a, -1, false));
        assertEquals(a + " belongs to page pool " + p1.id() + ", not page pool " + p2.id(), e.getMessage());
        assertEquals(1, a.ppRefCount());
        p1.putNetmem(a, -1, false);
        p1.destroy();
        p2.destroy();
        assertEquals(0, buffersOut());
        shutdownAndAssertFreed();
    }

    @Test
    void shouldHandOutEveryBufferOnceThenReturnNull() {
        PagePool pool = newPool();
        Map<NetIov, Boolean> seen = new IdentityHashMap<>();
        for (int i = 0; i < capacity; i++) {
            NetIov n = pool.alloc();
            assertNotNull(n, "buffer " + i);
            assertNull(seen.put(n, Boolean.TRUE), "handed out twice: " + n);
        }
        assertNull(pool.alloc());
        assertEquals(capacity, pool.inflight());
        assertEquals(capacity, buffersOut());
        for (NetIov n : seen.keySet()) {
            pool.putNetmem(n, -1, false);
        }
        pool.destroy();
        assertEquals(PagePool.State.RELEASED, pool.state());
        assertEquals(capacity, pool.releaseCount());
        assertEquals(0, buffersOut());
        shutdownAndAssertFreed();
    }

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1L, 42L, 0x5eedL, 20261121L})
    void shouldKeepTheProvidersBuffersOutEqualToHeldCachedAndRingedUnderRandomTraffic(long seed) {
        System.out.println(getClass().getSimpleName() + " random traffic seed=" + seed);
        Random rnd = new Random(seed);
        PagePool pool = newPool();
        List<NetIov> live = new ArrayList<>();
        Map<NetIov, Integer> refs = new IdentityHashMap<>();
        for (int step = 0; step < 2_000; step++) {
            int op = rnd.nextInt(10);
            if (op < 5 || live.isEmpty()) {
                NetIov n = pool.alloc();
                if (n == null) {
                    assertEquals(capacity, live.size(), "seed " + seed + ": null alloc with buffers left");
                    continue;
                }
                assertEquals(1, n.ppRefCount(), "seed " + seed);
                assertNull(refs.put(n, 1), "seed " + seed + ": handed out twice: " + n);
                live.add(n);
            } else if (op < 7) {
                NetIov n = live.get(rnd.nextInt(live.size()));
                PagePool.refNetmem(n);
                refs.merge(n, 1, Integer::sum);
            } else {
                int i = rnd.nextInt(live.size());
                NetIov n = live.get(i);
                pool.putNetmem(n, -1, rnd.nextBoolean());
                int left = refs.merge(n, -1, Integer::sum);
                if (left == 0) {
                    refs.remove(n);
                    Collections.swap(live, i, live.size() - 1);
                    live.remove(live.size() - 1);
                } else {
                    assertEquals(left, n.ppRefCount(), "seed " + seed);
                }
            }
            // An independent tally: what the provider has out (its own count) is exactly what the test
            // holds plus what the pool shows in its cache and ring; a lost or doubled buffer breaks it.
            assertEquals(buffersOut(), live.size() + pool.allocCacheCount() + pool.ringCount(),
                    "seed " + seed + " step " + step + ": provider's buffers out == held + cache + ring");
            assertEquals(buffersOut(), pool.inflight(), "seed " + seed + ": inflight == provider's buffers out");
            assertTrue(pool.inflight() <= capacity, "seed " + seed);
        }
        pool.destroy();
        for (NetIov n : live) {
            for (int r = refs.get(n); r > 0; r--) {
                pool.putNetmem(n, -1, false);
            }
        }
        assertEquals(PagePool.State.RELEASED, pool.state(), "seed " + seed);
        assertEquals(pool.holdCount(), pool.releaseCount(), "seed " + seed);
        assertEquals(0, buffersOut(), "seed " + seed);
        assertFalse(live.stream().anyMatch(NetIov::isAllocated), "seed " + seed);
        shutdownAndAssertFreed();
    }
}
