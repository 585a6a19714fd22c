package dev.netmem.providers.internal;

import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A registry of live objects under cyclic 31-bit ids starting at 1 ({@code xa_alloc_cyclic} with
 * {@code xa_limit_32b}): the next id after the last one handed out that no live object uses.
 *
 * @param <T> the registered type
 */
public final class CyclicIds<T> {
    private final ConcurrentHashMap<Integer, T> live = new ConcurrentHashMap<>();
    private int next = 1;

    /** Creates an empty registry. */
    public CyclicIds() {
    }

    /** Registers {@code value} under a fresh id and returns it. */
    public synchronized int alloc(T value) {
        while (true) {
            int id = next;
            next = id == Integer.MAX_VALUE ? 1 : id + 1;
            if (live.putIfAbsent(id, value) == null) {
                return id;
            }
        }
    }

    /** Removes {@code id} if it still names {@code value}. */
    public void erase(int id, T value) {
        live.remove(id, value);
    }

    /** The object registered under {@code id}. */
    public Optional<T> get(int id) {
        return Optional.ofNullable(live.get(id));
    }
}
