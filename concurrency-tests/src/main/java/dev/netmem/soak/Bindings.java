package dev.netmem.soak;

import dev.netmem.api.spi.MemoryProvider;
import dev.netmem.providers.dmabuf.Dmabuf;
import dev.netmem.providers.dmabuf.DmabufBinding;
import dev.netmem.providers.zcrx.ZcrxArea;
import dev.netmem.providers.zcrx.ZcrxIfq;
import dev.netmem.providers.zcrx.ZcrxUserRing;
import dev.netmem.rxqueue.netdev.Netdev;
import dev.netmem.rxqueue.netdev.NetdevNlSock;
import dev.netmem.rxqueue.nic.NetDevice;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The soak's control path: binds and unbinds the memory of flows 1 to 3 and restarts queues, as an
 * application does through netlink, and keeps every binding and ifq it made for the final audit.
 * <ul>
 *   <li>flow 1: a {@link DmabufBinding} the soak creates, wrapped in fault injection;</li>
 *   <li>flow 2: a zcrx ifq over user memory, wrapped in fault injection; unbinding drains the socket
 *       through the ring first (the old pool's skbs can only be received into it);</li>
 *   <li>flow 3: a dma-buf bound natively by netlink ({@code bindRx} of a {@link Dmabuf}).</li>
 * </ul>
 * Serialized on this object: the chaos thread, and the main thread at setup and teardown.
 */
final class Bindings {
    private static final long AREA_BYTES = 4L << 20;
    /**
     * The zcrx area: larger than everything that can hold its buffers at once, so the copy fallback
     * (which takes only from the area's freelist, as {@code io_zcrx_copy_chunk} does) never starves
     * for good. A socket may queue up to the device's rmem hard limit (about 1,500 skbs of one 4 KiB
     * frag on the soak's device), the NIC ring holds 256, the pool's caches up to 128 + its ring, the
     * user up to 30 ms of completions. With 1,024 buffers (4 MiB) the pool and the socket's queue
     * could take them all while the socket's head needed a copy (host-page skbs from before the bind):
     * recvZc said ENOMEM for ever, with 2 MB queued (a soak under CPU load, 2026-12-06).
     */
    private static final long ZC_AREA_BYTES = 16L << 20;

    private final NetDevice dev;
    private final Path dir;
    private final Faults faults;
    private final TokenLedger ledger;
    private final Traffic traffic;
    private final Random random;
    private final List<DmabufBinding> dmabufBindings = new CopyOnWriteArrayList<>();
    private final List<ZcrxIfq> ifqs = new CopyOnWriteArrayList<>();
    /** {@code areaArenas.get(i)} holds the area of {@code ifqs.get(i)}; both lists change under this monitor. */
    private final List<Arena> areaArenas = new CopyOnWriteArrayList<>();
    private volatile long areasReclaimed;
    private final long[] queueRestarts;
    // written under this monitor, read by the main thread's progress lines without it
    private volatile long binds;
    private volatile long unbinds;
    private volatile long restarts;

    /**
     * @param random the control path's coin (shared with {@link Chaos}): whether flow 3 is unbound by
     *               closing its netlink socket
     */
    Bindings(NetDevice dev, Path dir, Faults faults, TokenLedger ledger, Traffic traffic, Random random) {
        this.dev = dev;
        this.dir = dir;
        this.faults = faults;
        this.ledger = ledger;
        this.traffic = traffic;
        this.random = random;
        this.queueRestarts = new long[dev.numRxQueues()];
    }

    /** Binds flow {@code f}'s memory. */
    void bind(Flow f) {
        switch (f.index) {
            case 1 -> bindFaultyDmabuf(f);
            case 2 -> bindZc(f);
            default -> bindNativeDmabuf(f);
        }
    }

    /** Unbinds flow {@code f} if it is bound, a user ring with its held buffers refilled first (teardown). */
    void unbindIfBound(Flow f) {
        if (!f.bound()) {
            return;
        }
        if (f.index == 2) {
            unbindZc(f, false);
        } else {
            unbindDmabuf(f);
        }
    }

    private synchronized void bindFaultyDmabuf(Flow f) {
        Dmabuf d = Dmabuf.create(dir, AREA_BYTES);
        DmabufBinding db;
        try {
            db = DmabufBinding.bind(d, dev.dmaDevice(), q -> { }); // queues are closed through the RxBinding
        } finally {
            d.close(); // the binding holds its own reference until it is freed
        }
        dmabufBindings.add(db);
        ledger.register(db);
        bindThroughNetlink(f, faults.wrap(db, Faults.Kind.DMABUF), db::unbind);
        f.dmabufBinding = db;
        bound(f);
    }

    private synchronized void bindNativeDmabuf(Flow f) {
        NetdevNlSock nl = Netdev.open();
        Dmabuf d = Dmabuf.create(dir, AREA_BYTES);
        try {
            f.binding = nl.bindRx(dev, d, f.index);
        } catch (RuntimeException e) {
            nl.close();
            throw e;
        } finally {
            d.close();
        }
        f.nl = nl;
        f.dmabufBinding = (DmabufBinding) f.binding.provider();
        dmabufBindings.add(f.dmabufBinding);
        bound(f);
    }

    /**
     * Binds {@code mp} to {@code f}'s queue through a netlink socket of its own, which then owns the
     * binding; if the bind fails, closes the socket and runs {@code undo} (drops what {@code mp} holds).
     */
    private void bindThroughNetlink(Flow f, MemoryProvider mp, Runnable undo) {
        NetdevNlSock nl = Netdev.open();
        try {
            f.binding = nl.bindRx(dev, mp, f.index);
        } catch (RuntimeException e) {
            nl.close();
            undo.run();
            throw e;
        }
        f.nl = nl;
    }

    /** Unbinds a dma-buf flow; tokens and queued skbs keep the old pool detached until they are freed. */
    synchronized void unbindDmabuf(Flow f) {
        if (f.dmabufBinding.state() == DmabufBinding.State.BOUND && f.index == 3 && random.nextBoolean()) {
            f.nl.close(); // closing the netlink socket unbinds everything it bound
        } else {
            f.binding.close();
            if (f.index == 1) {
                f.dmabufBinding.unbind(); // drop the owner reference: freed when the last chunk is home
            }
        }
        f.nl.close();
        f.binding = null;
        f.nl = null;
        f.dmabufBinding = null;
        unbound(f);
    }

    private synchronized void bindZc(Flow f) {
        f.lock.lock();
        try {
            Arena arena = Arena.ofShared();
            MemorySegment mem = arena.allocate(ZC_AREA_BYTES, 4096);
            int buffers = (int) (ZC_AREA_BYTES / 4096);
            ZcrxIfq ifq;
            try {
                ifq = ZcrxIfq.register(ZcrxArea.ofUserMemory(mem), dev.dmaDevice(), buffers, 2 * buffers, dir,
                        q -> { }); // the queue is closed through the RxBinding
            } catch (RuntimeException e) {
                arena.close();
                throw e;
            }
            ifqs.add(ifq);
            areaArenas.add(arena);
            bindThroughNetlink(f, faults.wrap(ifq, Faults.Kind.USER_RING), ifq::close);
            f.ifq = ifq;
            f.ring = ZcrxUserRing.open(ifq.regionPath(), mem);
            f.mode = Flow.Mode.ZC;
            bound(f);
        } finally {
            f.lock.unlock();
        }
    }

    /**
     * Unbinds the user ring: the queue restarts on host pages, the socket is drained through the ring
     * (the old pool's skbs can only be received into it), then the ifq is closed; buffers still held by
     * the user are scrubbed by the close when {@code leaveHeld}.
     */
    synchronized void unbindZc(Flow f, boolean leaveHeld) {
        f.lock.lock();
        try {
            f.binding.close();
            f.nl.close();
            traffic.drain(f, false);
            if (leaveHeld) {
                f.heldCqes.clear(); // the close scrubs them
            } else {
                traffic.refillHeld(f, true);
            }
            f.ring.close();
            f.ifq.close();
            f.mode = Flow.Mode.COPY;
            f.binding = null;
            f.nl = null;
            f.ifq = null;
            f.ring = null;
            unbound(f);
        } finally {
            f.lock.unlock();
        }
    }

    /**
     * Frees the memory of the user-ring areas whose ifq was closed and whose buffers all came home (the
     * ifq is {@code FREED} and its area's freelist is full): a long soak binds a 16 MiB area every few
     * seconds, and keeping them all to the end grew without bound. An ifq freed with buffers missing
     * stays for the final audit, which reports it. Chaos thread.
     */
    synchronized void reclaimFreedAreas() {
        for (int i = ifqs.size() - 1; i >= 0; i--) {
            ZcrxIfq q = ifqs.get(i);
            if (q.isFreed() && q.area().freeCount() == q.area().niovs().numNiovs()) {
                ifqs.remove(i);
                areaArenas.remove(i).close();
                areasReclaimed++;
            }
        }
    }

    /** User-ring areas freed by {@link #reclaimFreedAreas()} before the end. */
    long areasReclaimed() {
        return areasReclaimed;
    }

    /** Restarts queue {@code q} on the memory it has. */
    synchronized void restart(int q) {
        dev.restartQueue(q);
        restarts++;
        queueRestarts[q]++;
    }

    private void bound(Flow f) {
        binds++;
        queueRestarts[f.index]++;
    }

    private void unbound(Flow f) {
        unbinds++;
        queueRestarts[f.index]++;
    }

    /** Binds so far. */
    long binds() {
        return binds;
    }

    /** Unbinds so far. */
    long unbinds() {
        return unbinds;
    }

    /** Queue restarts the chaos asked for (binds and unbinds restart queues too, not counted here). */
    long restarts() {
        return restarts;
    }

    /** Times queue {@code q} restarted, for any reason: each may lose a ring of packets. Control path stopped. */
    synchronized long queueRestarts(int q) {
        return queueRestarts[q];
    }

    /** Every dma-buf binding made, for the audit. */
    List<DmabufBinding> dmabufBindings() {
        return dmabufBindings;
    }

    /** Every zcrx ifq made and not yet reclaimed (already checked), for the audit. */
    List<ZcrxIfq> ifqs() {
        return ifqs;
    }

    /** The arenas of the user-ring areas, closed by the audit when nothing leaked. */
    List<Arena> areaArenas() {
        return areaArenas;
    }
}
