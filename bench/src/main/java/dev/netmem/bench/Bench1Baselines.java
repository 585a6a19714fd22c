package dev.netmem.bench;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;

/**
 * The baselines of {@code bench_page_pool_simple} ({@code for_loop}, {@code atomic_inc},
 * {@code lock}), measured first: every other figure is read against them.
 *
 * <p>Class names carry their place in the run ({@code Bench1…Bench4}) because JMH runs benchmarks
 * in name order: baselines, then the pool paths, then cross-thread recycling, then the alternatives.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(jvmArgsAppend = BenchMain.UNSAFE_ALLOWED)
public class Bench1Baselines {

    /** Creates the benchmark (JMH instantiates it). */
    public Bench1Baselines() {
    }

    /** Uncontended, thread-private primitives. */
    @State(Scope.Thread)
    public static class Primitives {
        final AtomicLong counter = new AtomicLong();
        final ReentrantLock lock = new ReentrantLock();

        /** Creates the state (JMH instantiates it). */
        public Primitives() {
        }
    }

    /** JMH's own invocation loop with nothing in it: the kernel's {@code for_loop}. */
    @Benchmark
    public void emptyLoop() {
        // Intentionally empty: the harness loop alone.
    }

    /** One uncontended atomic read-modify-write ({@code atomic_inc}). */
    @Benchmark
    public long atomicIncrement(Primitives p) {
        return p.counter.incrementAndGet();
    }

    /** One uncontended lock/unlock pair ({@code lock}: the kernel takes a spinlock). */
    @Benchmark
    public void lockUnlock(Primitives p) {
        p.lock.lock();
        p.lock.unlock();
    }
}
