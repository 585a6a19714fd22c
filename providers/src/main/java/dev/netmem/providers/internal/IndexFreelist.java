package dev.netmem.providers.internal;

/**
 * A LIFO free list of the indices {@code [0, n)}: the chunk allocator of a devmem binding
 * ({@code gen_pool_alloc_owner} / {@code gen_pool_free}) and the zcrx area freelist ({@code u32
 * freelist[]} with {@code free_count}).
 *
 * <p>Every index is either free or out, never both: {@link #push} of an index that is already free
 * (a double free) or outside the range changes nothing and returns {@code false}, so a chunk can
 * never be lost or handed out twice.
 *
 * <p>Thread safety: one lock for all operations; neither {@link #pop} nor {@link #push} allocates.
 */
public final class IndexFreelist {
    private final int[] stack;
    private final boolean[] free;
    private int freeCount;

    /** Creates a freelist holding every index of {@code [0, n)}, {@code 0} on top. */
    public IndexFreelist(int n) {
        if (n <= 0) {
            throw new IllegalArgumentException("freelist size must be > 0: " + n);
        }
        stack = new int[n];
        free = new boolean[n];
        for (int i = 0; i < n; i++) {
            stack[i] = n - 1 - i;
            free[i] = true;
        }
        freeCount = n;
    }

    /** Takes a free index, or returns -1 when none is left. */
    public synchronized int pop() {
        if (freeCount == 0) {
            return -1;
        }
        int idx = stack[--freeCount];
        free[idx] = false;
        return idx;
    }

    /**
     * Takes up to {@code max} free indices into {@code out[0..)} under one lock acquisition.
     *
     * @return how many were taken
     */
    public synchronized int popBulk(int[] out, int max) {
        int n = Math.min(Math.min(max, out.length), freeCount);
        for (int i = 0; i < n; i++) {
            int idx = stack[--freeCount];
            free[idx] = false;
            out[i] = idx;
        }
        return n;
    }

    /** Gives an index back; {@code false} (and no change) if it is out of range or already free. */
    public synchronized boolean push(int idx) {
        if (idx < 0 || idx >= free.length || free[idx]) {
            return false;
        }
        free[idx] = true;
        stack[freeCount++] = idx;
        return true;
    }

    /** Whether {@code idx} is free. */
    public synchronized boolean isFree(int idx) {
        return free[idx];
    }

    /** Free indices ({@code gen_pool_avail} in chunks, {@code free_count}). */
    public synchronized int freeCount() {
        return freeCount;
    }

    /** Indices handed out and not yet pushed back. */
    public synchronized int outCount() {
        return free.length - freeCount;
    }

    /** The number of indices, {@code n}. */
    public int size() {
        return free.length;
    }
}
