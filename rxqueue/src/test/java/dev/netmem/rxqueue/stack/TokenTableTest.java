package dev.netmem.rxqueue.stack;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import dev.netmem.api.NetIov;
import dev.netmem.api.PagePool;
import dev.netmem.api.PagePoolParams;
import dev.netmem.providers.host.HostPageProvider;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * Tokens are the lowest free ids, as {@code xa_alloc} hands them out, whatever order they come back
 * in: checked against a model (a sorted map searched from 0) over seeded random add/remove runs.
 */
class TokenTableTest {
    @Test
    void shouldHandOutTheLowestFreeIdLikeTheModel() {
        long seed = Long.getLong("netmem.seed", System.nanoTime());
        System.out.println("TokenTableTest seed " + seed + " (-Dnetmem.seed=" + seed + " repeats it)");
        SplittableRandom r = new SplittableRandom(seed);
        HostPageProvider host = HostPageProvider.create(1L << 20);
        PagePool pool = PagePool.create(PagePoolParams.builder().hostPages(host).build());
        try {
            NetIov[] bufs = new NetIov[8];
            for (int i = 0; i < bufs.length; i++) {
                bufs[i] = pool.alloc();
            }
            TokenTable t = new TokenTable();
            TreeMap<Integer, NetIov> model = new TreeMap<>();
            for (int step = 0; step < 40_000; step++) {
                if (model.isEmpty() || r.nextInt(100) < 55) {
                    int expect = 0;
                    while (model.containsKey(expect)) {
                        expect++;
                    }
                    NetIov b = bufs[r.nextInt(bufs.length)];
                    assertEquals(expect, t.add(b), "seed " + seed + ", step " + step);
                    model.put(expect, b);
                } else {
                    List<Integer> held = new ArrayList<>(model.keySet());
                    int tok = r.nextInt(4) == 0 ? r.nextInt(held.getLast() + 2) : held.get(r.nextInt(held.size()));
                    NetIov want = model.remove(tok);
                    NetIov got = t.remove(tok);
                    if (want == null) {
                        assertNull(got, "seed " + seed + ", step " + step + ": token " + tok + " is not held");
                    } else {
                        assertSame(want, got, "seed " + seed + ", step " + step);
                    }
                }
                assertEquals(model.size(), t.count());
                if (model.size() > 1000) {
                    NetIov[] out = new NetIov[64];
                    while (t.removeAll(out, out.length) > 0) {
                        // drained in batches
                    }
                    model.clear();
                    assertEquals(0, t.add(bufs[0]), "after removeAll the lowest id is 0 again");
                    model.put(0, bufs[0]);
                }
            }
            for (NetIov b : bufs) {
                pool.putNetmem(b, -1, false);
            }
        } finally {
            pool.destroy();
            host.close();
        }
    }
}
