package dev.netmem.bench;

import dev.netmem.api.Napi;
import dev.netmem.api.PagePool;
import dev.netmem.api.PagePoolParams;

/**
 * One page pool for one benchmark: created in a {@code @Setup(Level.Trial)}, destroyed in the
 * matching {@code @TearDown} after every buffer came home, which also proves the benchmark leaked
 * nothing ({@link PoolMemory#close} fails on pages still in use).
 *
 * <p>Like the kernel's {@code bench_page_pool_simple}: {@code pool_size} 1024, order 0, no DMA
 * device. With a {@link Napi}, the thread that {@linkplain #enterNapi() runs it} owns the fast
 * cache; without one, every put from any thread goes to the ring.
 */
final class PoolFixture implements AutoCloseable {
    /** {@code pool_size} of the kernel benchmark's pool. */
    static final int POOL_SIZE = 1024;

    final PagePool pool;
    /** The pool's NAPI, or {@code null} for a pool every put reaches through the ring. */
    final Napi napi;
    private final PoolMemory memory;
    private final String name;

    private PoolFixture(String name, PoolMemory memory, PagePool pool, Napi napi) {
        this.name = name;
        this.memory = memory;
        this.pool = pool;
        this.napi = napi;
    }

    /**
     * Creates a pool on {@code provider}'s memory.
     *
     * @param name     what the log calls it
     * @param withNapi link a NAPI (NAPI-local recycling) or not (every put goes to the ring)
     * @param stats    keep statistics (the stats-off implementation is chosen here)
     */
    static PoolFixture create(String name, String provider, boolean withNapi, boolean stats) {
        PoolMemory memory = PoolMemory.create(provider);
        Napi napi = withNapi ? new Napi("bench-" + name) : null;
        PagePoolParams params = memory.params()
                .poolSize(POOL_SIZE)
                .napi(napi)
                .stats(stats)
                .build();
        return new PoolFixture(name + "/" + provider, memory, PagePool.create(params), napi);
    }

    /** Makes the calling thread run the pool's NAPI ({@code napi_schedule}). */
    void enterNapi() {
        napi.schedule();
    }

    /** Ends the calling thread's NAPI run ({@code napi_complete}). */
    void exitNapi() {
        napi.complete();
    }

    /**
     * Logs the pool's counters (the evidence of which path the benchmark took), destroys the pool and
     * frees its memory.
     */
    @Override
    public void close() {
        if (pool.statsEnabled()) {
            System.out.println("[netmem-bench] " + name + ": " + pool.stats() + ", hold=" + pool.holdCount());
        }
        pool.destroy();
        memory.close();
    }
}
