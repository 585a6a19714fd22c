package dev.netmem.providers.internal;

import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A registry of live objects under cyclic u32 ids starting at 1 ({@code xa_alloc_cyclic} with
 * {@code xa_limit_32b}): the next id after the last one handed out that no live object uses. An id
 * is a u32 held in an {@code int}: past {@code 2^31 - 1} it is negative as an {@code int};
 * {@code 0xffffffff} wraps to 1, and 0 is never an id.
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
            next = id == -1 ? 1 : id + 1;
            if (id != 0 && live.putIfAbsent(id, value) == null) {
                return id;
            }
        }
    }

    /** Test hook: sets the next id to try and returns the previous one. */
    public synchronized int nextForTest(int id) {
        int prev = next;
        next = id;
        return prev;
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
