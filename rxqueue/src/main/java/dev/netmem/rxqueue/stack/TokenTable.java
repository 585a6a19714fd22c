package dev.netmem.rxqueue.stack;

import dev.netmem.api.NetIov;
import java.util.Arrays;
import java.util.BitSet;

/**
 * A socket's devmem tokens ({@code sk_user_frags}): token → netmem holding one {@code pp_ref_count}
 * reference. Tokens are the lowest free ids from 0, as {@code xa_alloc} hands them out; the arrays
 * grow by doubling and are never shrunk. Every id below {@code lowFree} is in use, so the search for
 * the lowest free id starts there instead of at 0 (the xarray keeps a free mark for the same reason).
 * Caller: holds the socket's token lock.
 */
final class TokenTable {
    private NetIov[] slots = new NetIov[64];
    private final BitSet used = new BitSet();
    private int count;
    /** No id below it is free. */
    private int lowFree;

    int add(NetIov netmem) {
        int t = used.nextClearBit(lowFree);
        lowFree = t + 1;
        if (t >= slots.length) {
            slots = Arrays.copyOf(slots, slots.length * 2);
        }
        used.set(t);
        slots[t] = netmem;
        count++;
        return t;
    }

    /** Removes a token; {@code null} if it is not held. */
    NetIov remove(long token) {
        if (token < 0 || token >= slots.length || !used.get((int) token)) {
            return null;
        }
        int t = (int) token;
        NetIov n = slots[t];
        slots[t] = null;
        used.clear(t);
        count--;
        if (t < lowFree) {
            lowFree = t;
        }
        return n;
    }

    int count() {
        return count;
    }

    /** Removes every token, storing the netmems into {@code out}; returns how many. */
    int removeAll(NetIov[] out, int max) {
        int n = 0;
        for (int t = used.nextSetBit(0); t >= 0 && n < max; t = used.nextSetBit(t + 1)) {
            out[n++] = slots[t];
            slots[t] = null;
            used.clear(t);
            count--;
            lowFree = Math.min(lowFree, t);
        }
        return n;
    }
}
