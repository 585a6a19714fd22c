package dev.netmem.testsupport;

import dev.netmem.api.NetIov;
import dev.netmem.api.NetIovArea;
import dev.netmem.api.NetIovType;
import dev.netmem.api.NetdevRxQueue;
import dev.netmem.api.spi.MemoryProvider;
import dev.netmem.api.spi.PoolContext;
import dev.netmem.api.spi.ProviderInfo;
import java.lang.foreign.Arena;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

/**
 * A memory provider for tests: one fixed area of page-sized buffers, either host pages (readable,
 * {@link NetIovType#PAGE}) or dma-buf chunks (unreadable, {@link NetIovType#DMABUF}), with a counter
 * for every operation and failures a test can inject.
 *
 * <p>The operations, as {@link MemoryProvider} specifies them:
 * <ul>
 *   <li>{@code init}: counted; throws the failure set with {@link #refuseInit}; on dma-buf memory turns
 *       DMA syncs off, as {@code net_devmem} does.</li>
 *   <li>{@code allocNetmems}: one buffer per call, the last one taken back first, else the unused one
 *       with the lowest index; accounted with {@link PoolContext#setPagePool}. {@code null} when none is
 *       free, or for each of the calls {@link #failAllocs} asked to fail.</li>
 *   <li>{@code releaseNetmem}: dma-buf chunks are taken back ({@link PoolContext#clearPagePool}, then
 *       {@code false}); host pages return {@code true}, so the pool frees them as pages and the last
 *       {@code put_page} hands them back through the area's page freer.</li>
 *   <li>{@code destroy}, {@code uninstall}: counted. {@code fill}: kind {@code dmabuf} or {@code host},
 *       id {@link #bindingId()}.</li>
 * </ul>
 * A buffer of another provider released here, or a page freed that was not out, is counted as
 * {@link #misuse()}.
 *
 * <p>Threads: any. Lock-free (atomics and a concurrent deque), so that jcstress tests using it get no
 * ordering from a provider lock that the page pool itself does not give.
 */
public final class TestProvider implements MemoryProvider {
    private static final AtomicLong BINDING_IDS = new AtomicLong(1000);
    private static final long BASE_DMA_ADDR = 0x1000_0000L;

    private final NetIovArea area;
    private final boolean unreadable;
    private final long bindingId;
    private final ConcurrentLinkedDeque<NetIov> free = new ConcurrentLinkedDeque<>();
    private final AtomicIntegerArray handouts;
    private final AtomicIntegerArray releasesByBuffer;
    private final AtomicInteger handedOut = new AtomicInteger();
    private final AtomicInteger inUse = new AtomicInteger();
    private final AtomicInteger allocCalls = new AtomicInteger();
    private final AtomicInteger allocsToFail = new AtomicInteger();
    private final AtomicInteger failedAllocs = new AtomicInteger();
    private final AtomicInteger releases = new AtomicInteger();
    private final AtomicInteger inits = new AtomicInteger();
    private final AtomicInteger destroys = new AtomicInteger();
    private final AtomicInteger uninstalls = new AtomicInteger();
    private final AtomicInteger misuse = new AtomicInteger();
    private final AtomicReference<Supplier<? extends RuntimeException>> initFailure = new AtomicReference<>();

    private TestProvider(int pages, NetIovType type) {
        if (pages < 1) {
            throw new IllegalArgumentException("pages must be >= 1: " + pages);
        }
        this.unreadable = type != NetIovType.PAGE;
        this.bindingId = unreadable ? BINDING_IDS.incrementAndGet() : 0;
        this.area = new NetIovArea(Arena.ofAuto().allocate((long) pages * NetIov.PAGE_SIZE, NetIov.PAGE_SIZE), 0,
                type, 0, BASE_DMA_ADDR, unreadable ? NetIov.NUMA_NO_NODE : 0, this::freePage);
        this.handouts = new AtomicIntegerArray(pages);
        this.releasesByBuffer = new AtomicIntegerArray(pages);
        for (int i = 0; i < pages; i++) {
            free.addLast(area.niov(i));
        }
    }

    /** {@code pages} dma-buf chunks: unreadable, no DMA syncs, a JVM-unique {@link #bindingId()}. */
    public static TestProvider dmabuf(int pages) {
        return new TestProvider(pages, NetIovType.DMABUF);
    }

    /** {@code pages} host pages on node 0: readable, freed by the pool as pages, binding id 0. */
    public static TestProvider hostPages(int pages) {
        return new TestProvider(pages, NetIovType.PAGE);
    }

    // ---- injected failures ----

    /** Makes the next {@code calls} {@code allocNetmems} calls return no buffer ({@code 0} stops failing). */
    public void failAllocs(int calls) {
        if (calls < 0) {
            throw new IllegalArgumentException("calls must be >= 0: " + calls);
        }
        allocsToFail.set(calls);
    }

    /** Makes every {@code init} throw what {@code failure} supplies, as a provider refusing a pool does; {@code null} accepts again. */
    public void refuseInit(Supplier<? extends RuntimeException> failure) {
        initFailure.set(failure);
    }

    // ---- MemoryProvider ----

    @Override
    public boolean unreadable() {
        return unreadable;
    }

    @Override
    public void init(PoolContext pool) {
        Supplier<? extends RuntimeException> failure = initFailure.get();
        if (failure != null) {
            throw failure.get();
        }
        if (unreadable) {
            pool.disableDmaSync();
        }
        inits.incrementAndGet();
    }

    @Override
    public NetIov allocNetmems(PoolContext pool) {
        allocCalls.incrementAndGet();
        if (allocsToFail.get() > 0 && allocsToFail.getAndDecrement() > 0) {
            failedAllocs.incrementAndGet();
            return null;
        }
        NetIov n = free.pollFirst();
        if (n == null) {
            return null;
        }
        if (!pool.setPagePool(n)) {
            free.addFirst(n); // the pool could not map it: nothing was accounted, the provider keeps it
            return null;
        }
        inUse.incrementAndGet();
        handedOut.incrementAndGet();
        handouts.incrementAndGet(n.index());
        return n;
    }

    @Override
    public boolean releaseNetmem(PoolContext pool, NetIov netmem) {
        releases.incrementAndGet();
        if (netmem.owner() != area) {
            misuse.incrementAndGet();
            return false;
        }
        releasesByBuffer.incrementAndGet(netmem.index());
        if (!unreadable) {
            return true; // the pool's put_page frees it: freePage takes it back
        }
        pool.clearPagePool(netmem);
        takeBack(netmem);
        return false;
    }

    private void freePage(NetIov page) {
        if (releasesByBuffer.get(page.index()) != handouts.get(page.index())) {
            misuse.incrementAndGet(); // freed as a page without going through releaseNetmem
        }
        takeBack(page);
    }

    private void takeBack(NetIov netmem) {
        inUse.decrementAndGet();
        free.addFirst(netmem);
    }

    @Override
    public void destroy(PoolContext pool) {
        destroys.incrementAndGet();
    }

    @Override
    public ProviderInfo fill(NetdevRxQueue rxq) {
        return new ProviderInfo(unreadable ? "dmabuf" : "host", bindingId);
    }

    @Override
    public long bindingId() {
        return bindingId;
    }

    @Override
    public void uninstall(NetdevRxQueue rxq) {
        uninstalls.incrementAndGet();
    }

    // ---- what happened ----

    /** The provider's memory. */
    public NetIovArea area() {
        return area;
    }

    /** The buffer with this index. */
    public NetIov buffer(int index) {
        return area.niov(index);
    }

    /** Buffers handed to pools so far, counting each hand-out of a reused buffer. */
    public int handedOut() {
        return handedOut.get();
    }

    /** Buffers out now: handed out and not yet back in the provider. */
    public int inUse() {
        return inUse.get();
    }

    /** {@code allocNetmems} calls, failed ones included. */
    public int allocCalls() {
        return allocCalls.get();
    }

    /** {@code allocNetmems} calls failed by {@link #failAllocs}. */
    public int failedAllocs() {
        return failedAllocs.get();
    }

    /** {@code releaseNetmem} calls. */
    public int releases() {
        return releases.get();
    }

    /** {@code releaseNetmem} calls for buffer {@code index}. */
    public int releases(int index) {
        return releasesByBuffer.get(index);
    }

    /** {@code init} calls that succeeded (one per pool created on this provider). */
    public int inits() {
        return inits.get();
    }

    /** {@code destroy} calls (one per pool, when it is released). */
    public int destroys() {
        return destroys.get();
    }

    /** Pools created on this provider and not yet released: {@code inits - destroys}. */
    public int pools() {
        return inits.get() - destroys.get();
    }

    /** {@code uninstall} calls. */
    public int uninstalls() {
        return uninstalls.get();
    }

    /** Foreign buffers released here, or pages freed without a release: always a bug. */
    public int misuse() {
        return misuse.get();
    }

    /**
     * Whether every buffer came home once per hand-out (released, and for host pages freed), nothing
     * was misused, and each pool created on this provider was destroyed exactly once.
     */
    public boolean allHomeOnce() {
        for (int i = 0; i < handouts.length(); i++) {
            if (releasesByBuffer.get(i) != handouts.get(i)) {
                return false;
            }
        }
        return inUse.get() == 0 && misuse.get() == 0 && inits.get() == destroys.get();
    }

    @Override
    public String toString() {
        return "TestProvider[" + (unreadable ? "dmabuf " + bindingId : "host") + ", " + area.numNiovs() + " pages, "
                + inUse.get() + " in use]";
    }
}
