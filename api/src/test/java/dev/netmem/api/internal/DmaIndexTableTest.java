package dev.netmem.api.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.netmem.api.NetIov;
import dev.netmem.api.NetIovArea;
import dev.netmem.api.NetIovType;
import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** {@code dma_mapped}: the lowest free index from 1 (xa_alloc), one winner per removal, a snapshot walk. */
class DmaIndexTableTest {
    @Test
    void shouldHandOutTheLowestFreeIndexAndLetOneCallerRemoveEachEntry() {
        long seed = Long.getLong("netmem.seed", System.nanoTime());
        System.out.println("DmaIndexTableTest seed " + seed + " (-Dnetmem.seed=" + seed + " repeats it)");
        SplittableRandom r = new SplittableRandom(seed);
        NetIovArea area = new NetIovArea(Arena.ofAuto().allocate(8L * NetIov.PAGE_SIZE, NetIov.PAGE_SIZE), 0,
                NetIovType.PAGE, 0, 0, 0, n -> { });
        DmaIndexTable t = new DmaIndexTable();
        TreeMap<Integer, NetIov> model = new TreeMap<>();
        for (int step = 0; step < 30_000; step++) {
            String at = "seed " + seed + ", step " + step;
            if (model.isEmpty() || r.nextInt(100) < 55) {
                int expect = 1;
                while (model.containsKey(expect)) {
                    expect++;
                }
                NetIov n = area.niov(r.nextInt(area.numNiovs()));
                assertEquals(expect, t.add(n), at);
                model.put(expect, n);
            } else {
                List<Integer> held = new ArrayList<>(model.keySet());
                int idx = held.get(r.nextInt(held.size()));
                NetIov n = model.get(idx);
                NetIov other = area.niov((n.index() + 1) % area.numNiovs());
                assertFalse(t.remove(idx, other) && other != n, at + ": another buffer's removal of " + idx);
                assertTrue(t.remove(idx, n), at);
                assertFalse(t.remove(idx, n), at + ": a second removal of " + idx);
                model.remove(idx);
            }
            assertEquals(model.size(), t.size(), at);
            if (model.size() > 500) {
                List<NetIov> seen = new ArrayList<>();
                t.forEach(seen::add);
                assertEquals(model.size(), seen.size(), at);
                model.forEach(t::remove);
                model.clear();
            }
        }
        assertFalse(t.remove(0, area.niov(0)), "index 0 is never an entry");
    }
}
