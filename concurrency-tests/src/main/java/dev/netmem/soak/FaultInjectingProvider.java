package dev.netmem.soak;

import dev.netmem.api.NetIov;
import dev.netmem.api.NetdevRxQueue;
import dev.netmem.api.spi.MemoryProvider;
import dev.netmem.api.spi.PoolContext;
import dev.netmem.api.spi.ProviderInfo;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArraySet;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A memory provider that makes a set fraction of another provider's {@code alloc_netmems} calls fail
 * (return no buffer), as the kernel's fault injection on the page pool's allocation path does: the
 * pool then reports no memory, the RX engine counts {@code rxAllocFail} and leaves the descriptor
 * unposted, and the NIC misses packets until a later refill succeeds. Every other operation is the
 * wrapped provider's.
 *
 * <p>The decision for the {@code n}-th call is a hash of the seed and {@code n}, so it needs no lock
 * and one seed gives one failure sequence. With a rate above 0 the first call always fails: every
 * provider the soak binds meets the fault at least once, however little it allocates while bound (a
 * CI soak whose traffic crawled while the JIT warmed up gave its user ring a few dozen calls and no
 * failure). Threads listed with {@link #exempt} never see failures: the
 * control path fills a whole ring when it (re)starts a queue, and a fill that fails aborts the restart
 * (a different fault from the one injected here).
 *
 * <p>Threads: {@code allocNetmems} runs on any pool's NAPI, concurrently for a shared provider.
 */
final class FaultInjectingProvider implements MemoryProvider {
    private final MemoryProvider delegate;
    private final long threshold;
    private final long seed;
    private final AtomicLong calls = new AtomicLong();
    private final AtomicLong injected;
    private final Set<Thread> exempt = new CopyOnWriteArraySet<>();
    private volatile boolean armed;

    /**
     * @param delegate the real provider
     * @param rate     the failure probability per call, in {@code [0, 1]}
     * @param seed     the failure sequence
     * @param injected where to count injected failures (shared by the providers of one kind)
     */
    FaultInjectingProvider(MemoryProvider delegate, double rate, long seed, AtomicLong injected) {
        if (!(rate >= 0 && rate <= 1)) {
            throw new IllegalArgumentException("rate must be in [0, 1]: " + rate);
        }
        this.delegate = Objects.requireNonNull(delegate, "delegate");
        this.threshold = rate >= 1 ? Long.MAX_VALUE : (long) (rate * 0x1p63);
        this.seed = seed;
        this.injected = injected;
    }

    /** The wrapped provider. */
    MemoryProvider delegate() {
        return delegate;
    }

    /** Starts or stops injecting. */
    void arm(boolean on) {
        armed = on;
    }

    /** {@code thread} never sees an injected failure. */
    void exempt(Thread thread) {
        exempt.add(thread);
    }

    @Override
    public boolean unreadable() {
        return delegate.unreadable();
    }

    @Override
    public void init(PoolContext pool) {
        delegate.init(pool);
    }

    @Override
    public NetIov allocNetmems(PoolContext pool) {
        if (armed && !exempt.contains(Thread.currentThread()) && fails(calls.getAndIncrement())) {
            injected.incrementAndGet();
            return null;
        }
        return delegate.allocNetmems(pool);
    }

    /** Whether call {@code n} fails: the first, then the top 63 bits of a SplitMix64 hash below the threshold. */
    private boolean fails(long n) {
        if (n == 0 && threshold > 0) {
            return true;
        }
        long z = seed + (n + 1) * 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        z ^= z >>> 31;
        return (z >>> 1) < threshold;
    }

    @Override
    public boolean releaseNetmem(PoolContext pool, NetIov netmem) {
        return delegate.releaseNetmem(pool, netmem);
    }

    @Override
    public void destroy(PoolContext pool) {
        delegate.destroy(pool);
    }

    @Override
    public ProviderInfo fill(NetdevRxQueue rxq) {
        return delegate.fill(rxq);
    }

    @Override
    public long bindingId() {
        return delegate.bindingId();
    }

    @Override
    public void uninstall(NetdevRxQueue rxq) {
        delegate.uninstall(rxq);
    }

    @Override
    public String toString() {
        return "FaultInjecting[" + delegate + "]";
    }
}
