package dev.netmem.providers.zcrx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.netmem.api.DmaDevice;
import dev.netmem.api.Errno;
import dev.netmem.api.NetIov;
import dev.netmem.api.NetIovArea;
import dev.netmem.api.NetIovType;
import dev.netmem.api.PagePool;
import dev.netmem.providers.internal.ShmFile;
import dev.netmem.testsupport.StubQueue;
import dev.netmem.testsupport.base.HostileTally;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The zcrx refill ring under a hostile user, seeded: random mixes of valid returns, garbage offsets,
 * nonzero pads, foreign area ids, indices past the area, duplicates, stale entries (buffers the user
 * no longer holds, already returned or never handed out) and garbage tail jumps, interleaved with
 * receives, copy-fallback completions and allocations. A model written here predicts, entry by
 * entry in the kernel's order ({@code io_parse_rqe}), every {@link ZcrxStats} counter, the refill
 * head, which buffer each allocation returns (the freelist and the pool cache are LIFO) and the
 * completions the user reads. No buffer is handed out while the user or the stack still holds it,
 * and after teardown every buffer is home. Each case prints a summary line with its seed; rerun one
 * with {@code -Dnetmem.seed=N}.
 *
 * <p>No NIC driver is involved: the test is the pool's allocation context itself, which is what lets
 * it predict every allocation. The same guarantees on a device, with data from either NIC driver
 * (the emulated NIC or the io_uring one), are checked by rxqueue's {@code UserRingHostileTest}.
 */
class ZcrxRefillHostileTest {
    private static final int N = 96;
    private static final int RQ = 32;
    private static final int CQ = 8;
    private static final int STEPS = 30_000;
    private static final int REFILL = PagePool.PP_ALLOC_CACHE_REFILL;

    @TempDir
    Path dir;

    static List<Long> seeds() {
        return HostileTally.seeds();
    }

    /** What the test expects of the ifq, the area and the pool cache. */
    private static final class Model {
        final int[] uref = new int[N];
        final long[] ppRef = new long[N];
        /** Whether the buffer is the pool's (allocated from the freelist by the pool), else free or copy. */
        final boolean[] poolOwned = new boolean[N];
        final boolean[] skbHeld = new boolean[N];
        final ArrayDeque<Integer> freelist = new ArrayDeque<>(); // top = first
        final ArrayDeque<Integer> cache = new ArrayDeque<>();    // top = first
        final long[] slotOff = new long[RQ];
        final int[] slotPad = new int[RQ];
        int head;
        int userTail;
        int cqPending;
        final List<long[]> pendingCqes = new ArrayList<>(); // {off, len}
        long completions, cqOverflow, refilled, badPad, badArea, badIndex, noUserRef;

        Model() {
            for (int i = N - 1; i >= 0; i--) {
                freelist.push(i); // 0 on top, as IndexFreelist
            }
        }

        ZcrxStats stats(long scrubbed) {
            return new ZcrxStats(completions, cqOverflow, refilled, badPad, badArea, badIndex, noUserRef, scrubbed, 0);
        }

        /** {@code io_parse_rqe} plus the put: returns the buffer to place in the cache, or -1. */
        int consume(long off, int pad) {
            if (pad != 0) {
                badPad++;
                return -1;
            }
            if ((off & ZcrxArea.IORING_ZCRX_AREA_MASK) != 0) {
                badArea++;
                return -1;
            }
            long idx = (off & ~ZcrxArea.IORING_ZCRX_AREA_MASK) >>> NetIov.PAGE_SHIFT;
            if (idx >= N) {
                badIndex++;
                return -1;
            }
            int i = (int) idx;
            if (uref[i] == 0) {
                noUserRef++;
                return -1;
            }
            uref[i]--;
            refilled++;
            if (--ppRef[i] > 0) {
                return -1;
            }
            ppRef[i] = 1;
            if (!poolOwned[i]) {
                freelist.push(i); // a copy-fallback buffer goes straight home
                return -1;
            }
            return i;
        }

        /** {@code PagePool.alloc} on an empty pool ring: the cache, else ring refill, else the freelist. */
        int alloc() {
            if (!cache.isEmpty()) {
                return cache.pop();
            }
            int last = -1;
            long avail = Integer.toUnsignedLong(userTail - head);
            int entries = (int) Math.min(avail, Math.min(RQ, REFILL));
            for (int k = 0; k < entries; k++) {
                int slot = head++ & (RQ - 1);
                int got = consume(slotOff[slot], slotPad[slot]);
                if (got >= 0) {
                    if (last >= 0) {
                        cache.push(last);
                    }
                    last = got;
                }
            }
            if (last >= 0) {
                return last;
            }
            int n = Math.min(REFILL, freelist.size());
            for (int k = 0; k < n; k++) {
                int i = freelist.pop();
                poolOwned[i] = true;
                ppRef[i] = 1;
                if (last >= 0) {
                    cache.push(last);
                }
                last = i;
            }
            return last;
        }

        /** {@code ZcrxUserRing.postRefillEntry}: false when the ring is full. */
        boolean post(long off, int pad) {
            if (userTail - head > RQ - 1) {
                return false;
            }
            slotOff[userTail & (RQ - 1)] = off;
            slotPad[userTail & (RQ - 1)] = pad;
            userTail++;
            return true;
        }
    }

    /** A completion the user read and may hand back. */
    private record Held(long off, int len) {
        int index() {
            return (int) ((off & ~ZcrxArea.IORING_ZCRX_AREA_MASK) >>> NetIov.PAGE_SHIFT);
        }
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void shouldCountEveryHostileRefillEntryExactlyAndBringEveryBufferHome(long seed) {
        System.out.println("ZcrxRefillHostileTest seed=" + seed);
        HostileTally tally = new HostileTally("zcrx-refill", seed);
        Random r = new Random(seed);
        DmaDevice device = new DmaDevice("zcrx-hostile", false);
        try (Arena arena = Arena.ofShared()) {
            MemorySegment memory = arena.allocate((long) N * NetIov.PAGE_SIZE, NetIov.PAGE_SIZE);
            ZcrxIfq ifq = ZcrxIfq.register(ZcrxArea.ofUserMemory(memory), device, RQ, CQ, dir, q -> { });
            Path regionPath = ifq.regionPath();
            PagePool pool = PagePool.create(StubQueue.poolParams(ifq, device).build());
            NetIov foreign = new NetIovArea(arena.allocate(NetIov.PAGE_SIZE, NetIov.PAGE_SIZE), 0, NetIovType.IOURING,
                    0, 0, NetIov.NUMA_NO_NODE, null).niov(0);
            NetIovArea niovs = ifq.area().niovs();
            Model m = new Model();
            List<Held> held = new ArrayList<>();
            List<Held> returned = new ArrayList<>();
            ShmFile raw = ShmFile.open(regionPath);
            ZcrxRegion rawRegion = ZcrxRegion.attach(raw.segment(), "raw");
            ZcrxUserRing user = ZcrxUserRing.open(regionPath, memory);
            try {
                for (int step = 0; step < STEPS; step++) {
                    String what = "seed " + seed + " step " + step;
                    int op = r.nextInt(100);
                    if (op < 14) { // allocate: the NIC posts a buffer
                        int expected = m.alloc();
                        NetIov n = pool.alloc();
                        if (expected < 0) {
                            assertNull(n, what);
                        } else {
                            assertSame(niovs.niov(expected), n, what + ": the predicted buffer");
                            assertEquals(0, m.uref[expected], what + ": handed out while the user holds it");
                            assertFalse(m.skbHeld[expected], what + ": handed out twice");
                            m.skbHeld[expected] = true;
                        }
                        assertEquals(m.stats(0), ifq.stats(), what);
                        assertEquals(m.head, rawRegion.rqHeadAcquire(), what);
                    } else if (op < 28) { // receive into a held buffer: a completion
                        int i = pickSkbHeld(r, m);
                        if (i < 0) {
                            continue;
                        }
                        int offset = r.nextInt(NetIov.PAGE_SIZE);
                        int len = 1 + r.nextInt(NetIov.PAGE_SIZE - offset);
                        boolean posted = ifq.postCompletion(niovs.niov(i), offset, len);
                        assertEquals(m.cqPending < CQ, posted, what);
                        if (posted) {
                            m.cqPending++;
                            m.completions++;
                            m.uref[i]++;
                            m.ppRef[i]++;
                            m.pendingCqes.add(new long[] {((long) i << NetIov.PAGE_SHIFT) + offset, len});
                        } else {
                            m.cqOverflow++;
                        }
                    } else if (op < 40) { // the stack frees the skb
                        int i = pickSkbHeld(r, m);
                        if (i < 0) {
                            continue;
                        }
                        pool.putNetmem(niovs.niov(i), -1, true);
                        m.skbHeld[i] = false;
                        if (--m.ppRef[i] == 0) {
                            m.ppRef[i] = 1;
                            m.cache.push(i);
                        }
                    } else if (op < 44) { // copy fallback
                        int len = 1 + r.nextInt(2 * NetIov.PAGE_SIZE);
                        int got = ifq.postCopyCompletion(MemorySegment.ofArray(new byte[len]));
                        if (m.cqPending >= CQ) {
                            assertEquals(Errno.ENOSPC.value(), got, what);
                            m.cqOverflow++;
                        } else if (m.freelist.isEmpty()) {
                            assertEquals(Errno.ENOMEM.value(), got, what);
                        } else {
                            int i = m.freelist.pop();
                            int copied = Math.min(len, NetIov.PAGE_SIZE);
                            assertEquals(copied, got, what);
                            m.poolOwned[i] = false;
                            m.ppRef[i] = 1;
                            m.uref[i]++;
                            m.completions++;
                            m.cqPending++;
                            m.pendingCqes.add(new long[] {(long) i << NetIov.PAGE_SHIFT, copied});
                        }
                    } else if (op < 53) { // the user reads completions
                        List<long[]> seen = new ArrayList<>();
                        user.poll((off, len, flags) -> {
                            assertEquals(ZcrxIfq.IORING_CQE_F_MORE, flags);
                            seen.add(new long[] {off, len});
                        });
                        assertEquals(m.pendingCqes.size(), seen.size(), what);
                        for (int k = 0; k < seen.size(); k++) {
                            assertEquals(m.pendingCqes.get(k)[0], seen.get(k)[0], what);
                            assertEquals(m.pendingCqes.get(k)[1], seen.get(k)[1], what);
                            held.add(new Held(seen.get(k)[0], (int) seen.get(k)[1]));
                        }
                        m.pendingCqes.clear();
                        m.cqPending = 0;
                    } else if (op < 70) { // a valid return
                        if (held.isEmpty()) {
                            continue;
                        }
                        Held h = held.get(r.nextInt(held.size()));
                        boolean ok = user.refill(h.off(), h.len());
                        assertEquals(m.post(h.off() | user.areaToken(), 0), ok, what);
                        if (ok) {
                            held.remove(h);
                            returned.add(h);
                        }
                    } else if (op < 94) { // a hostile entry
                        long off;
                        int pad = 0;
                        switch (r.nextInt(8)) {
                            case 0 -> off = r.nextLong(); // garbage
                            case 1 -> { // nonzero pad on an entry the user holds
                                off = held.isEmpty() ? 0 : held.get(r.nextInt(held.size())).off();
                                pad = r.nextInt() | 1;
                            }
                            case 2 -> off = ((1L + r.nextInt(0xFFFF)) << ZcrxArea.IORING_ZCRX_AREA_SHIFT)
                                    | ((long) r.nextInt(N) << NetIov.PAGE_SHIFT); // a foreign area id
                            case 3 -> off = ((N + (long) r.nextInt(1 << 24)) << NetIov.PAGE_SHIFT)
                                    | r.nextInt(NetIov.PAGE_SIZE); // past the area
                            case 4 -> off = ((1L << 36) - 1) << NetIov.PAGE_SHIFT; // the largest index
                            case 5, 6 -> { // stale: already returned (a duplicate)
                                off = returned.isEmpty() ? 0 : returned.get(r.nextInt(returned.size())).off();
                            }
                            default -> off = (long) r.nextInt(N) << NetIov.PAGE_SHIFT; // maybe never handed out
                        }
                        assertEquals(m.post(off, pad), user.postRefillEntry(off, r.nextInt(), pad), what);
                    } else if (op < 96) { // a garbage tail: the user writes any value
                        int tail = switch (r.nextInt(3)) {
                            case 0 -> r.nextInt();
                            case 1 -> m.head - 1 - r.nextInt(RQ); // behind the head
                            default -> m.head + RQ + 1 + r.nextInt(1 << 20); // more than the ring holds
                        };
                        rawRegion.rqTailRelease(tail);
                        m.userTail = tail;
                        user.close();
                        user = ZcrxUserRing.open(regionPath, memory);
                    } else if (op < 98) { // the user repairs its tail
                        rawRegion.rqTailRelease(m.head);
                        m.userTail = m.head;
                        user.close();
                        user = ZcrxUserRing.open(regionPath, memory);
                    } else { // illegal calls: rejected, nothing changes
                        hostileCall(r, ifq, m, niovs, foreign, user, what);
                        tally.rejected();
                    }
                }
                ZcrxStats s = ifq.stats();
                long scrubbed = 0;
                for (int i = 0; i < N; i++) {
                    scrubbed += m.uref[i];
                }
                long counted = s.badPad() + s.badArea() + s.badIndex() + s.noUserRef();
                tally.counted(counted);
                tally.accepted(s.refilled());
                System.out.println("zcrx-refill seed=" + seed + " " + s);

                // Teardown: close (scrub), the stack frees its skbs, the pool goes; every buffer home.
                ifq.close();
                for (int i = 0; i < N; i++) {
                    if (m.skbHeld[i]) {
                        pool.putNetmem(niovs.niov(i), -1, false);
                    }
                }
                pool.destroy();
                assertEquals(PagePool.State.RELEASED, pool.state());
                assertEquals(m.stats(scrubbed), ifq.stats());
                assertTrue(ifq.isFreed());
                assertEquals(N, ifq.area().freeCount());
                assertEquals(0, ifq.area().totalUserRefs());
                assertEquals(0, ifq.stats().releaseErrors());
                assertEquals(0, device.liveMappings());
                assertFalse(Files.exists(regionPath), "the region file is removed");
            } finally {
                user.close();
                raw.close();
            }
        }
        tally.print();
    }

    private static int pickSkbHeld(Random r, Model m) {
        int start = r.nextInt(N);
        for (int k = 0; k < N; k++) {
            int i = (start + k) % N;
            if (m.skbHeld[i]) {
                return i;
            }
        }
        return -1;
    }

    /** Illegal calls on the ifq and the user ring: each throws precisely and changes nothing. */
    private static void hostileCall(Random r, ZcrxIfq ifq, Model m, NetIovArea niovs, NetIov foreign,
                                    ZcrxUserRing user, String what) {
        ZcrxStats before = ifq.stats();
        switch (r.nextInt(5)) {
            case 0 -> assertEquals("EFAULT: " + foreign + " is not a buffer of zcrx ifq " + ifq.id(),
                    assertThrows(IllegalArgumentException.class, () -> ifq.postCompletion(foreign, 0, 1), what)
                            .getMessage());
            case 1 -> {
                int offset = r.nextBoolean() ? -1 - r.nextInt(100) : r.nextInt(NetIov.PAGE_SIZE);
                int len = offset < 0 ? 1 : r.nextBoolean() ? -r.nextInt(3) : NetIov.PAGE_SIZE - offset + 1
                        + r.nextInt(100);
                assertEquals("span [" + offset + ", +" + len + ") does not fit in a 4096 B buffer",
                        assertThrows(IllegalArgumentException.class,
                                () -> ifq.postCompletion(niovs.niov(r.nextInt(N)), offset, len), what).getMessage());
            }
            case 2 -> assertEquals("nothing to copy", assertThrows(IllegalArgumentException.class,
                    () -> ifq.postCopyCompletion(MemorySegment.ofArray(new byte[0])), what).getMessage());
            case 3 -> assertThrows(IndexOutOfBoundsException.class,
                    () -> user.data(((long) N << NetIov.PAGE_SHIFT) + r.nextInt(1 << 20), 1 + r.nextInt(100)), what);
            default -> { // a completion for a buffer nobody allocated: refused before any reference moves
                int i = -1;
                for (int k = 0; k < N; k++) {
                    if (!m.skbHeld[k] && m.uref[k] == 0) {
                        i = k;
                        break;
                    }
                }
                if (i < 0 || m.cqPending >= CQ) {
                    return;
                }
                NetIov n = niovs.niov(i);
                assertEquals("cannot take a reference on " + n + ": it is not allocated",
                        assertThrows(IllegalStateException.class, () -> ifq.postCompletion(n, 0, 1), what)
                                .getMessage());
                assertEquals(0, ifq.area().userRefs(i), what);
            }
        }
        assertEquals(before, ifq.stats(), what);
    }
}
