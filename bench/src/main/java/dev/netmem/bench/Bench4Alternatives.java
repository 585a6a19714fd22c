package dev.netmem.bench;

import io.netty.buffer.AdaptiveByteBufAllocator;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.util.ResourceLeakDetector;
import java.lang.foreign.Arena;
import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;
import org.jctools.queues.MpscArrayQueue;
import org.jctools.queues.SpscArrayQueue;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * What a Java user would pick instead of a page pool, in the same run: Netty 4.2's pooled and
 * adaptive allocators (4 KiB direct buffer, allocate + release), {@link ByteBuffer#allocateDirect},
 * a confined {@link Arena} (allocate + close), and the JCTools SPSC and MPSC queues (offer + poll on
 * one thread: the floor for a cache push/pop and for a ring hand-off).
 *
 * <p>Netty gets its best case: leak detection off, thread caches enabled for JMH's plain threads
 * (as an event-loop thread has them), and {@code sun.misc.Unsafe} allowed, which Netty 4.2 turns off
 * on JDK 24+ unless {@code --sun-misc-unsafe-memory-access=allow} is given. The {@code …Jdk25Default}
 * variants run in a fork without that flag: what a Netty user gets out of the box on JDK 25.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(jvmArgsAppend = BenchMain.UNSAFE_ALLOWED)
public class Bench4Alternatives {
    /** One page, the size of a page-pool buffer. */
    public static final int SIZE = 4096;
    /** Queue capacity: the size of a pool ring. */
    static final int QUEUE_CAPACITY = PoolFixture.POOL_SIZE;
    private static final Object TOKEN = new Object();

    /** Creates the benchmark (JMH instantiates it). */
    public Bench4Alternatives() {
    }

    /** Netty allocators, configured for their fast path. */
    @State(Scope.Thread)
    public static class Netty {
        PooledByteBufAllocator pooled;
        AdaptiveByteBufAllocator adaptive;

        /** Creates the state (JMH instantiates it). */
        public Netty() {
        }

        /** Builds both allocators with thread caches for every thread and leak detection off. */
        @Setup(Level.Trial)
        public void createAllocators() {
            ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.DISABLED);
            pooled = new PooledByteBufAllocator(true, PooledByteBufAllocator.defaultNumHeapArena(),
                    PooledByteBufAllocator.defaultNumDirectArena(), PooledByteBufAllocator.defaultPageSize(),
                    PooledByteBufAllocator.defaultMaxOrder(), PooledByteBufAllocator.defaultSmallCacheSize(),
                    PooledByteBufAllocator.defaultNormalCacheSize(), true);
            adaptive = new AdaptiveByteBufAllocator(true, true);
        }
    }

    /** Thread-private JCTools queues, empty between operations. */
    @State(Scope.Thread)
    public static class Queues {
        final SpscArrayQueue<Object> spsc = new SpscArrayQueue<>(QUEUE_CAPACITY);
        final MpscArrayQueue<Object> mpsc = new MpscArrayQueue<>(QUEUE_CAPACITY);

        /** Creates the state (JMH instantiates it). */
        public Queues() {
        }
    }

    /** Netty {@code PooledByteBufAllocator}: a 4 KiB direct buffer, allocated and released. */
    @Benchmark
    public ByteBuf nettyPooled4k(Netty n) {
        return allocRelease(n.pooled);
    }

    /** Netty {@code AdaptiveByteBufAllocator} (4.2's default): a 4 KiB direct buffer, allocated and released. */
    @Benchmark
    public ByteBuf nettyAdaptive4k(Netty n) {
        return allocRelease(n.adaptive);
    }

    /** {@link #nettyPooled4k} in a fork without {@code --sun-misc-unsafe-memory-access=allow}: Netty without Unsafe. */
    @Benchmark
    @Fork(jvmArgsAppend = {})
    public ByteBuf nettyPooled4kJdk25Default(Netty n) {
        return allocRelease(n.pooled);
    }

    /** {@link #nettyAdaptive4k} in a fork without {@code --sun-misc-unsafe-memory-access=allow}: Netty without Unsafe. */
    @Benchmark
    @Fork(jvmArgsAppend = {})
    public ByteBuf nettyAdaptive4kJdk25Default(Netty n) {
        return allocRelease(n.adaptive);
    }

    private static ByteBuf allocRelease(ByteBufAllocator allocator) {
        ByteBuf b = allocator.directBuffer(SIZE);
        b.release();
        return b;
    }

    /** {@code ByteBuffer.allocateDirect(4096)}: zeroed native memory, freed by the GC's cleaner. */
    @Benchmark
    public ByteBuffer allocateDirect4k() {
        return ByteBuffer.allocateDirect(SIZE);
    }

    /** A confined {@link Arena}: allocate 4 KiB (zeroed), then close, which frees it. */
    @Benchmark
    public long arenaConfined4k() {
        try (Arena arena = Arena.ofConfined()) {
            return arena.allocate(SIZE).address();
        }
    }

    /** JCTools {@code SpscArrayQueue} offer + poll: the floor for a cache push and pop. */
    @Benchmark
    public Object jctoolsSpsc(Queues q) {
        q.spsc.offer(TOKEN);
        return q.spsc.poll();
    }

    /** JCTools {@code MpscArrayQueue} offer (a CAS) + poll: the floor for a ring hand-off. */
    @Benchmark
    public Object jctoolsMpsc(Queues q) {
        q.mpsc.offer(TOKEN);
        return q.mpsc.poll();
    }
}
