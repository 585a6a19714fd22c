package dev.netmem.api.internal;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/** Cold-side padding; keeps the producer line off whatever precedes the object. */
abstract class MpscRingPad0 {
    long p00, p01, p02, p03, p04, p05, p06, p07, p08, p09, p10, p11, p12, p13, p14, p15;
}

/** Producer-owned line: written by every producing thread. */
abstract class MpscRingProducerFields extends MpscRingPad0 {
    /** Next index to claim; CAS by producers (volatile). */
    volatile long producerIndex;
    /** Producers' cached {@code consumerIndex + capacity}; racy hint, re-read on apparent fullness. */
    volatile long producerLimit;
}

/** Separates the producer line from the consumer line. */
abstract class MpscRingPad1 extends MpscRingProducerFields {
    long q00, q01, q02, q03, q04, q05, q06, q07, q08, q09, q10, q11, q12, q13, q14, q15;
}

/** Consumer-owned line: written only by the single consumer. */
abstract class MpscRingConsumerFields extends MpscRingPad1 {
    /** Next index to consume; written with release by the consumer. */
    volatile long consumerIndex;
}

/** Keeps the consumer line off whatever follows the object. */
abstract class MpscRingPad2 extends MpscRingConsumerFields {
    long r00, r01, r02, r03, r04, r05, r06, r07, r08, r09, r10, r11, r12, r13, r14, r15;
}

/**
 * A bounded lock-free multi-producer single-consumer array ring: the page pool's {@code ptr_ring}.
 *
 * <p>Producers claim a slot by CAS on {@code producerIndex} and publish the element with a release
 * store; the consumer reads it with an acquire load, clears the slot and advances
 * {@code consumerIndex} with a release store, which the producers' fullness check acquires. The
 * capacity is exact (not rounded up): a ring of 1024 holds 1024 entries.
 *
 * <p>Threads: {@link #offer} and {@link #offerBulk} from any thread; {@link #poll} and
 * {@link #isEmpty} from one consumer at a time (the pool's NAPI, or a destroyer holding the pool's
 * drain lock once the NAPI has stopped).
 *
 * @param <E> element type
 */
public final class MpscArrayRing<E> extends MpscRingPad2 {
    private static final VarHandle PRODUCER_INDEX;
    private static final VarHandle PRODUCER_LIMIT;
    private static final VarHandle CONSUMER_INDEX;
    private static final VarHandle ELEMENT = MethodHandles.arrayElementVarHandle(Object[].class);

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            PRODUCER_INDEX = l.findVarHandle(MpscRingProducerFields.class, "producerIndex", long.class);
            PRODUCER_LIMIT = l.findVarHandle(MpscRingProducerFields.class, "producerLimit", long.class);
            CONSUMER_INDEX = l.findVarHandle(MpscRingConsumerFields.class, "consumerIndex", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final Object[] buffer;
    private final int mask;
    private final int capacity;

    /**
     * Creates a ring.
     *
     * @param capacity exact number of entries, at least 1 and at most 2^30
     * @throws IllegalArgumentException outside that range
     */
    public MpscArrayRing(int capacity) {
        if (capacity < 1 || capacity > (1 << 30)) {
            throw new IllegalArgumentException("ring capacity must be in [1, 2^30]: " + capacity);
        }
        int size = Integer.highestOneBit(capacity);
        if (size < capacity) {
            size <<= 1;
        }
        this.buffer = new Object[size];
        this.mask = size - 1;
        this.capacity = capacity;
        // Acquire partner: none needed beyond safe publication of the ring; producers read the limit
        // opaquely and re-derive it from CONSUMER_INDEX (getAcquire) whenever it looks exhausted.
        PRODUCER_LIMIT.setRelease(this, (long) capacity);
    }

    /** The exact capacity. */
    public int capacity() {
        return capacity;
    }

    /**
     * Adds an element. Any thread.
     *
     * @return {@code false} if the ring is full
     */
    public boolean offer(E e) {
        long limit = (long) PRODUCER_LIMIT.getOpaque(this);
        long p;
        do {
            p = (long) PRODUCER_INDEX.getVolatile(this);
            if (p >= limit) {
                // acquire partner: the consumer's setRelease of consumerIndex in poll()
                limit = (long) CONSUMER_INDEX.getAcquire(this) + capacity;
                if (p >= limit) {
                    return false;
                }
                PRODUCER_LIMIT.setOpaque(this, limit);
            }
        } while (!PRODUCER_INDEX.compareAndSet(this, p, p + 1));
        // Release store of the element; acquire partner: the getAcquire of the slot in poll()
        ELEMENT.setRelease(buffer, (int) p & mask, e);
        return true;
    }

    /**
     * Adds up to {@code n} elements {@code src[from .. from+n)} with one claim, stopping where the
     * ring is full. Any thread.
     *
     * @return how many were added, from the front of the range
     */
    public int offerBulk(Object[] src, int from, int n) {
        if (n <= 0) {
            return 0;
        }
        long limit = (long) PRODUCER_LIMIT.getOpaque(this);
        long p;
        int k;
        do {
            p = (long) PRODUCER_INDEX.getVolatile(this);
            if (p + n > limit) {
                limit = (long) CONSUMER_INDEX.getAcquire(this) + capacity;
                PRODUCER_LIMIT.setOpaque(this, limit);
            }
            k = (int) Math.min(n, limit - p);
            if (k <= 0) {
                return 0;
            }
        } while (!PRODUCER_INDEX.compareAndSet(this, p, p + k));
        for (int i = 0; i < k; i++) {
            // Acquire partner: the getAcquire of the slot in poll()
            ELEMENT.setRelease(buffer, (int) (p + i) & mask, src[from + i]);
        }
        return k;
    }

    /**
     * Removes the oldest element. Single consumer.
     *
     * @return the element, or {@code null} if the ring is empty
     */
    @SuppressWarnings("unchecked")
    public E poll() {
        long c = (long) CONSUMER_INDEX.getOpaque(this);
        int slot = (int) c & mask;
        Object e = ELEMENT.getAcquire(buffer, slot);
        if (e == null) {
            if (c == (long) PRODUCER_INDEX.getVolatile(this)) {
                return null;
            }
            // A producer claimed the slot and has not stored yet: it is between its CAS and its store.
            do {
                Thread.onSpinWait();
                e = ELEMENT.getAcquire(buffer, slot);
            } while (e == null);
        }
        ELEMENT.setOpaque(buffer, slot, null);
        // Release store of the index; acquire partner: the producers' getAcquire of consumerIndex in
        // offer()/offerBulk(), which may reuse the slot only after seeing it emptied
        CONSUMER_INDEX.setRelease(this, c + 1);
        return (E) e;
    }

    /** Whether nothing is claimed or stored. Exact for the consumer; a hint for others. */
    public boolean isEmpty() {
        return (long) CONSUMER_INDEX.getVolatile(this) == (long) PRODUCER_INDEX.getVolatile(this);
    }

    /** Entries claimed and not yet consumed (a hint while producers run). */
    public int size() {
        long c = (long) CONSUMER_INDEX.getVolatile(this);
        long p = (long) PRODUCER_INDEX.getVolatile(this);
        return (int) Math.max(0, Math.min(capacity, p - c));
    }

    /** Total entries ever produced: the pool's {@code ring} recycle counter, derived rather than stored. */
    public long producedCount() {
        return (long) PRODUCER_INDEX.getOpaque(this);
    }
}
