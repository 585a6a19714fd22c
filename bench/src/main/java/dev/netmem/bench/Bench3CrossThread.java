package dev.netmem.bench;

import dev.netmem.api.NetIov;
import dev.netmem.api.PagePool;
import java.util.concurrent.TimeUnit;
import org.jctools.queues.SpscArrayQueue;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Group;
import org.openjdk.jmh.annotations.GroupThreads;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.infra.Control;

/**
 * Cross-thread recycling: the NAPI thread allocates and hands each buffer to an application thread
 * through a bounded queue; the application thread frees it with {@code allowDirect=false}, so it
 * returns through the pool's ring and the NAPI thread's refills bring it back (the kernel's
 * {@code bench_page_pool_cross_cpu}). Each side waits for the other (a full or empty hand-off queue),
 * so both scores are the pipeline's period per buffer; the figure reported is {@link #napiAlloc}'s.
 *
 * <p>The waits give up when JMH ends the iteration ({@link Control#stopMeasurement}), so an iteration
 * always ends; a buffer the NAPI thread could not hand over then is recycled directly. The pool
 * counters logged at tear-down show the path taken ({@code ring} ≈ allocations).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(jvmArgsAppend = BenchMain.UNSAFE_ALLOWED)
public class Bench3CrossThread {
    /** Hand-off queue capacity: an RX ring's worth (the rxqueue's default ring size), like a socket queue. */
    static final int HANDOFF = 256;
    /** Busy-wait iterations before a waiting side yields its core. */
    static final int SPINS_BEFORE_YIELD = 100;

    /** Creates the benchmark (JMH instantiates it). */
    public Bench3CrossThread() {
    }

    /** The pool and the hand-off queue, shared by the two threads of one group. */
    @State(Scope.Group)
    public static class Pipeline {
        /** The memory provider ({@link PoolMemory}). */
        @Param({PoolMemory.HOST, PoolMemory.DMABUF, PoolMemory.USER_RING})
        public String provider;
        PoolFixture fixture;
        PagePool pool;
        SpscArrayQueue<NetIov> handoff;

        /** Creates the state (JMH instantiates it). */
        public Pipeline() {
        }

        /** Creates the pool and the queue. */
        @Setup(Level.Trial)
        public void createPool() {
            fixture = PoolFixture.create("crossThread", provider, true, true);
            pool = fixture.pool;
            handoff = new SpscArrayQueue<>(HANDOFF);
        }

        /** Frees what is still in the queue, then destroys the pool. */
        @TearDown(Level.Trial)
        public void destroyPool() {
            NetIov n;
            while ((n = handoff.poll()) != null) {
                pool.putFullPage(n, false);
            }
            fixture.close();
        }
    }

    /** Makes the thread that runs {@link #napiAlloc} the pool's NAPI thread, one iteration at a time. */
    @State(Scope.Thread)
    public static class NapiThread {
        private Pipeline pipeline;

        /** Creates the state (JMH instantiates it). */
        public NapiThread() {
        }

        /** This thread starts running the NAPI. */
        @Setup(Level.Iteration)
        public void enterNapi(Pipeline p) {
            pipeline = p;
            p.fixture.enterNapi();
        }

        /** This thread stops running the NAPI. */
        @TearDown(Level.Iteration)
        public void exitNapi() {
            pipeline.fixture.exitNapi();
        }
    }

    /** The NAPI side: allocate (cache, else a refill from the ring) and hand the buffer over. */
    @Benchmark
    @Group("crossThread")
    @GroupThreads(1)
    public NetIov napiAlloc(Pipeline p, NapiThread napi, Control control) {
        NetIov n = p.pool.alloc();
        if (n == null) {
            return null; // the provider is out of memory: nothing to hand over
        }
        for (int spins = 0; !p.handoff.offer(n); spins++) {
            if (control.stopMeasurement) {
                p.pool.recycleDirect(n);
                return n;
            }
            backOff(spins);
        }
        return n;
    }

    /** The application side: free a handed-over buffer from outside NAPI (it goes to the ring). */
    @Benchmark
    @Group("crossThread")
    @GroupThreads(1)
    public NetIov appFree(Pipeline p, Control control) {
        NetIov n;
        for (int spins = 0; (n = p.handoff.poll()) == null; spins++) {
            if (control.stopMeasurement) {
                return null;
            }
            backOff(spins);
        }
        p.pool.putFullPage(n, false);
        return n;
    }

    /**
     * Spin briefly, then yield: on a machine with fewer free cores than threads the other side may
     * not be running, and spinning through its time slice would measure the scheduler instead.
     */
    private static void backOff(int spins) {
        if (spins < SPINS_BEFORE_YIELD) {
            Thread.onSpinWait();
        } else {
            Thread.yield();
        }
    }
}
