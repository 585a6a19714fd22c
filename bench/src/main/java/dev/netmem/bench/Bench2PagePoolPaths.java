package dev.netmem.bench;

import dev.netmem.api.NetIov;
import dev.netmem.api.PagePool;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * The page pool's paths on one thread, after the kernel's {@code bench_page_pool_simple}: the fast
 * path ({@code page_pool01_fast_path}), the ring ({@code page_pool02_ptr_ring}), the release path
 * ({@code page_pool03_slow}), plus fragment allocation and bulk put. One operation is one buffer
 * allocated and given back.
 *
 * <p>{@code provider} selects the memory ({@link PoolMemory}); the figures in the summary are per
 * provider. Each state logs its pool's counters at tear-down, which shows the path taken.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(jvmArgsAppend = BenchMain.UNSAFE_ALLOWED)
public class Bench2PagePoolPaths {
    /** Buffers per {@link #bulkPut} call: one NAPI budget, as {@code xdp_return_frame_bulk} batches. */
    public static final int BULK = 64;

    /** Creates the benchmark (JMH instantiates it). */
    public Bench2PagePoolPaths() {
    }

    /** A pool whose NAPI the benchmark thread runs for each iteration: puts reach the fast cache. */
    @State(Scope.Thread)
    public static class NapiPool {
        /** The memory provider ({@link PoolMemory}). */
        @Param({PoolMemory.HOST, PoolMemory.DMABUF, PoolMemory.USER_RING})
        public String provider;
        /** Pool statistics on (the default, like {@code CONFIG_PAGE_POOL_STATS}) or off. */
        @Param({"true", "false"})
        public boolean stats;
        PoolFixture fixture;
        PagePool pool;

        /** Creates the state (JMH instantiates it). */
        public NapiPool() {
        }

        /** Creates the pool. */
        @Setup(Level.Trial)
        public void createPool() {
            fixture = PoolFixture.create("fastPath", provider, true, stats);
            pool = fixture.pool;
        }

        /** The benchmark thread starts running the NAPI (JMH may move a state between threads only between iterations). */
        @Setup(Level.Iteration)
        public void enterNapi() {
            fixture.enterNapi();
        }

        /** The benchmark thread stops running the NAPI. */
        @TearDown(Level.Iteration)
        public void exitNapi() {
            fixture.exitNapi();
        }

        /** Destroys the pool. */
        @TearDown(Level.Trial)
        public void destroyPool() {
            fixture.close();
        }
    }

    /** A pool with no NAPI: every put is from a non-NAPI context and goes to the ring. */
    @State(Scope.Thread)
    public static class RingPool {
        /** The memory provider ({@link PoolMemory}). */
        @Param({PoolMemory.HOST, PoolMemory.DMABUF, PoolMemory.USER_RING})
        public String provider;
        PoolFixture fixture;
        PagePool pool;
        final NetIov[] batch = new NetIov[BULK];

        /** Creates the state (JMH instantiates it). */
        public RingPool() {
        }

        /** Creates the pool. */
        @Setup(Level.Trial)
        public void createPool() {
            fixture = PoolFixture.create("ring", provider, false, true);
            pool = fixture.pool;
        }

        /** Destroys the pool. */
        @TearDown(Level.Trial)
        public void destroyPool() {
            fixture.close();
        }
    }

    /** A host-page pool with no NAPI for the release path: only host pages carry a page refcount. */
    @State(Scope.Thread)
    public static class HostPool {
        PoolFixture fixture;
        PagePool pool;

        /** Creates the state (JMH instantiates it). */
        public HostPool() {
        }

        /** Creates the pool. */
        @Setup(Level.Trial)
        public void createPool() {
            fixture = PoolFixture.create("slowPath", PoolMemory.HOST, false, true);
            pool = fixture.pool;
        }

        /** Destroys the pool. */
        @TearDown(Level.Trial)
        public void destroyPool() {
            fixture.close();
        }
    }

    /** A NAPI pool carving fragments of {@code fragSize} bytes. */
    @State(Scope.Thread)
    public static class FragPool {
        /** The memory provider ({@link PoolMemory}). */
        @Param({PoolMemory.HOST, PoolMemory.DMABUF, PoolMemory.USER_RING})
        public String provider;
        /** Fragment size: half a page, two fragments per buffer. */
        @Param({"2048"})
        public int fragSize;
        PoolFixture fixture;
        PagePool pool;

        /** Creates the state (JMH instantiates it). */
        public FragPool() {
        }

        /** Creates the pool. */
        @Setup(Level.Trial)
        public void createPool() {
            fixture = PoolFixture.create("frag", provider, true, true);
            pool = fixture.pool;
        }

        /** The benchmark thread starts running the NAPI. */
        @Setup(Level.Iteration)
        public void enterNapi() {
            fixture.enterNapi();
        }

        /** The benchmark thread stops running the NAPI. */
        @TearDown(Level.Iteration)
        public void exitNapi() {
            fixture.exitNapi();
        }

        /** Destroys the pool (its frag page goes home with it). */
        @TearDown(Level.Trial)
        public void destroyPool() {
            fixture.close();
        }
    }

    /**
     * {@code page_pool01_fast_path}: allocate from the cache and {@code page_pool_recycle_direct}
     * it back. No atomic operation: one {@code pp_ref_count} load, stack pop and push.
     */
    @Benchmark
    public NetIov fastPath(NapiPool s) {
        NetIov n = s.pool.alloc();
        s.pool.recycleDirect(n);
        return n;
    }

    /**
     * {@code page_pool02_ptr_ring}: allocate, put with {@code allowDirect=false} from a thread that
     * does not run the pool's NAPI. Each put is one ring produce (a CAS); every 64th allocation
     * refills the cache from the ring.
     */
    @Benchmark
    public NetIov ringPath(RingPool s) {
        NetIov n = s.pool.alloc();
        s.pool.putFullPage(n, false);
        return n;
    }

    /**
     * {@code page_pool03_slow}: an extra page reference makes the put release the buffer to the
     * provider ({@code releasedRefcnt}); dropping that reference frees the page, so every buffer comes
     * from the provider's slow path (in bulks of 64, as {@code alloc_pages_bulk}).
     */
    @Benchmark
    public NetIov slowPath(HostPool s) {
        NetIov n = s.pool.alloc();
        n.getPage();
        s.pool.putFullPage(n, false);
        n.putPage();
        return n;
    }

    /**
     * {@code page_pool_alloc_frag} of {@code fragSize} bytes and the put of that fragment (one atomic
     * {@code pp_ref_count} decrement); when a buffer is used up and all its fragments are back, the
     * next allocation reuses it.
     */
    @Benchmark
    public NetIov fragAlloc(FragPool s) {
        NetIov n = s.pool.allocFrag(s.fragSize);
        s.pool.putNetmem(n, -1, true);
        return n;
    }

    /**
     * {@link #BULK} allocations, then one {@code page_pool_put_netmem_bulk} of all of them from a
     * non-NAPI context: one ring claim for the batch. Reported per buffer.
     */
    @Benchmark
    @OperationsPerInvocation(BULK)
    public NetIov[] bulkPut(RingPool s) {
        NetIov[] batch = s.batch;
        PagePool pool = s.pool;
        for (int i = 0; i < BULK; i++) {
            batch[i] = pool.alloc();
        }
        PagePool.putBulk(batch, BULK);
        return batch;
    }
}
