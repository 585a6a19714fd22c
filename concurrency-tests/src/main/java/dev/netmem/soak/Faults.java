package dev.netmem.soak;

import dev.netmem.api.spi.MemoryProvider;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The soak's injected allocation failures: every provider it uses is wrapped in a
 * {@link FaultInjectingProvider} with its own failure sequence, counted by kind, armed and disarmed
 * together. Control threads (setup, teardown, chaos) are exempt: a queue restart whose ring fill
 * fails is a different fault from the one injected here. Any thread.
 */
final class Faults {
    /** The provider kinds, counted apart in the report. */
    enum Kind {
        HOST(1), DMABUF(2), USER_RING(3);

        final long salt;

        Kind(long salt) {
            this.salt = salt;
        }
    }

    private final double rate;
    private final long seed;
    private final AtomicLong[] injected = {new AtomicLong(), new AtomicLong(), new AtomicLong()};
    private final List<FaultInjectingProvider> wrapped = new CopyOnWriteArrayList<>();
    private final List<Thread> exempt = new CopyOnWriteArrayList<>();
    private volatile boolean armed;

    Faults(double rate, long seed) {
        this.rate = rate;
        this.seed = seed;
    }

    /** Wraps {@code mp}: its failures count as {@code kind}; armed now if the others are. */
    FaultInjectingProvider wrap(MemoryProvider mp, Kind kind) {
        FaultInjectingProvider f = new FaultInjectingProvider(mp, rate, seed * 0x9E37L + kind.salt + wrapped.size(),
                injected[kind.ordinal()]);
        for (Thread t : exempt) {
            f.exempt(t);
        }
        f.arm(armed);
        wrapped.add(f);
        return f;
    }

    /** {@code thread} (a control thread) never sees an injected failure, from any provider. */
    void exempt(Thread thread) {
        exempt.add(thread);
        for (FaultInjectingProvider f : wrapped) {
            f.exempt(thread);
        }
    }

    /** Starts or stops injecting into every provider. */
    void arm(boolean on) {
        armed = on;
        for (FaultInjectingProvider f : wrapped) {
            f.arm(on);
        }
    }

    /** Failures injected into providers of {@code kind}. */
    long injected(Kind kind) {
        return injected[kind.ordinal()].get();
    }

    /** Failures injected so far, all kinds. */
    long injectedTotal() {
        long n = 0;
        for (AtomicLong a : injected) {
            n += a.get();
        }
        return n;
    }
}
