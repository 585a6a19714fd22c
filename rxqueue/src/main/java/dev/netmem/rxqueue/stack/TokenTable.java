package dev.netmem.rxqueue.stack;

import dev.netmem.api.NetIov;
import java.util.Arrays;
import java.util.BitSet;

/**
 * A socket's devmem tokens ({@code sk_user_frags}): token → netmem holding one {@code pp_ref_count}
 * reference. Tokens are the lowest free ids from 0, as {@code xa_alloc} hands them out; the arrays
 * grow by doubling and are never shrunk. Caller: holds the socket's token lock.
 */
final class TokenTable {
    private NetIov[] slots = new NetIov[64];
    private final BitSet used = new BitSet();
    private int count;

    int add(NetIov netmem) {
        int t = used.nextClearBit(0);
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
        }
        return n;
    }
}
