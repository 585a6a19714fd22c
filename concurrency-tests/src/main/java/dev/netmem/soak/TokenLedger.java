package dev.netmem.soak;

import dev.netmem.api.PagePool;
import dev.netmem.api.PagePoolListener;
import dev.netmem.api.spi.MemoryProvider;
import dev.netmem.providers.dmabuf.DmabufBinding;
import dev.netmem.rxqueue.stack.DevmemRecord;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What the user holds of the soak's dma-bufs: each binding generation (registered when the binding's
 * first pool is created, as a {@link PagePoolListener}, or when the soak binds it), and for each chunk a
 * held token refers to, how many tokens and up to which offset. A chunk delivered again at another
 * offset while a token for it is held is a violation: the pool recycled a buffer the user still had.
 * Any thread.
 */
final class TokenLedger implements PagePoolListener {
    /** One binding generation of a dma-buf flow; {@link #pinnedUntil} holds its tokens back (long holds). */
    static final class Gen {
        final DmabufBinding binding;
        volatile long pinnedUntil;

        Gen(DmabufBinding binding) {
            this.binding = binding;
        }
    }

    private final Violations violations;
    /** Dma-buf binding generations by binding id. */
    private final Map<Long, Gen> gens = new ConcurrentHashMap<>();
    /** (binding id, chunk) of every dma-buf chunk a held token refers to: {count, end offset in chunk}. */
    private final Map<Long, int[]> outstanding = new ConcurrentHashMap<>();

    TokenLedger(Violations violations) {
        this.violations = violations;
    }

    @Override
    public void added(PagePool pool) {
        MemoryProvider mp = pool.provider();
        if (mp instanceof FaultInjectingProvider f) {
            mp = f.delegate();
        }
        if (mp instanceof DmabufBinding b) {
            register(b);
        }
    }

    /** Registers {@code b}'s generation if it is new. */
    void register(DmabufBinding b) {
        gens.computeIfAbsent((long) b.id(), id -> new Gen(b));
    }

    /** The generation of binding {@code id}, or {@code null} if no such binding was registered. */
    Gen gen(long id) {
        return gens.get(id);
    }

    /**
     * Records a token the user now holds for record {@code d} of flow {@code flow}; returns the chunk's
     * key for {@link #returned}.
     */
    long held(int flow, DevmemRecord.Dmabuf d) {
        long key = (d.dmabufId() << 32) | (d.fragOffset() >>> 12);
        int inChunk = (int) (d.fragOffset() & 4095);
        int[] prev = outstanding.get(key);
        if (prev != null && prev[1] != inChunk) {
            violations.add("flow " + flow + ": dma-buf " + d.dmabufId() + " chunk " + (d.fragOffset() >>> 12)
                    + " delivered again at offset " + inChunk + " while a token for bytes up to " + prev[1]
                    + " is still held");
        }
        outstanding.compute(key, (k, v) -> v == null ? new int[] {1, inChunk + d.fragSize()}
                : new int[] {v[0] + 1, inChunk + d.fragSize()});
        return key;
    }

    /** One token for chunk {@code key} was given back. */
    void returned(long key) {
        outstanding.computeIfPresent(key, (k, v) -> v[0] == 1 ? null : new int[] {v[0] - 1, v[1]});
    }
}
