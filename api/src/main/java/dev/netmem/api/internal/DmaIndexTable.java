package dev.netmem.api.internal;

import dev.netmem.api.NetIov;
import java.util.Arrays;
import java.util.function.Consumer;

/**
 * A page pool's {@code dma_mapped} xarray: the buffers the pool mapped and has not unmapped, by
 * index. {@link #add} hands out the lowest free index from 1, as {@code xa_alloc} does; {@link #remove}
 * succeeds for exactly one caller per entry, so whoever removes an entry is the one that unmaps it.
 * Grows by doubling and allocates nothing once grown (the map and unmap paths run on every buffer
 * that enters or leaves the pool). Thread-safe: one lock, held for a few array accesses.
 */
public final class DmaIndexTable {
    private NetIov[] slots = new NetIov[64];
    /** No index below it is free (slot 0 is never used). */
    private int lowFree = 1;
    private int size;

    /** An empty table. */
    public DmaIndexTable() {
    }

    /** Stores {@code netmem} under the lowest free index (at least 1) and returns the index. */
    public synchronized int add(NetIov netmem) {
        int i = lowFree;
        while (i < slots.length && slots[i] != null) {
            i++;
        }
        if (i == slots.length) {
            slots = Arrays.copyOf(slots, slots.length * 2);
        }
        slots[i] = netmem;
        lowFree = i + 1;
        size++;
        return i;
    }

    /** Removes the entry {@code index} if it still holds {@code netmem}; true for the one caller that did. */
    public synchronized boolean remove(int index, NetIov netmem) {
        if (index <= 0 || index >= slots.length || slots[index] != netmem) {
            return false;
        }
        slots[index] = null;
        size--;
        if (index < lowFree) {
            lowFree = index;
        }
        return true;
    }

    /** Entries held. */
    public synchronized int size() {
        return size;
    }

    /** Calls {@code action} with each buffer held at the moment of the call (a snapshot, outside the lock). */
    public void forEach(Consumer<NetIov> action) {
        NetIov[] snapshot;
        synchronized (this) {
            snapshot = slots.clone();
        }
        for (NetIov n : snapshot) {
            if (n != null) {
                action.accept(n);
            }
        }
    }
}
