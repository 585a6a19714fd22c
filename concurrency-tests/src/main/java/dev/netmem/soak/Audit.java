package dev.netmem.soak;

import dev.netmem.api.PagePool;
import dev.netmem.providers.dmabuf.DmabufBinding;
import dev.netmem.providers.host.HostPageProvider;
import dev.netmem.providers.zcrx.ZcrxIfq;
import dev.netmem.rxqueue.nic.NetDevice;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The end of a soak: checks each flow's stream, tears the device down, waits for every buffer to come
 * home, and lists what leaked (a pool never released, provider memory still in use, a file left in
 * the soak's directory). Main thread, after traffic, chaos and late frees stopped.
 */
final class Audit {
    private final NetDevice dev;
    private final HostPageProvider host;
    private final Bindings bindings;
    private final PoolChecker checker;
    private final Violations violations;

    Audit(NetDevice dev, HostPageProvider host, Bindings bindings, PoolChecker checker,
          Violations violations) {
        this.dev = dev;
        this.host = host;
        this.bindings = bindings;
        this.checker = checker;
        this.violations = violations;
    }

    /**
     * Every packet the NIC took was received whole, whatever restarts happened (a stopping queue delivers
     * what the NIC wrote), unless the stack dropped it (counted).
     */
    void checkFlowEnd(Flow f) {
        long sent = f.wire.packetsSent();
        long got = f.verifier.packets();
        long lost = sent - got;
        long dropped = dev.rxQueue(f.index).rxDropped();
        if (!f.verifier.atPacketBoundary()) {
            violations.add("flow " + f.index + ": stream ends inside a packet");
        }
        if (lost < 0 || lost > dropped || f.verifier.lost() > dropped) {
            violations.add("flow " + f.index + ": " + sent + " packets sent, " + got + " received: " + lost
                    + " lost (" + f.verifier.lost() + " gaps in the sequence) across "
                    + bindings.queueRestarts(f.index) + " restarts, more than the " + dropped + " the stack dropped; "
                    + f.sock.queuedBytes() + " bytes still queued on the socket, flow receiving by " + f.mode
                    + (f.lastNoRoom == null ? "" : ", last recvZc without room: " + f.lastNoRoom));
        }
        if (f.sock.outstandingTokens() != 0) {
            violations.add("flow " + f.index + ": " + f.sock.outstandingTokens() + " tokens still out after every "
                    + "held one was returned");
        }
    }

    /** Unbinds every flow, closes the sockets, closes and unregisters the device; waits at most 20 s for every buffer. */
    void teardown(List<Flow> flows) throws InterruptedException {
        for (Flow f : flows) {
            bindings.unbindIfBound(f);
        }
        for (Flow f : flows) {
            f.sock.close();
        }
        dev.close();
        dev.unregister();
        long deadline = System.nanoTime() + 20_000_000_000L;
        while (System.nanoTime() < deadline && !allHome()) {
            Thread.sleep(20);
        }
    }

    private boolean allHome() {
        for (PagePool p : checker.pools()) {
            if (p.state() != PagePool.State.RELEASED) {
                return false;
            }
        }
        for (DmabufBinding b : bindings.dmabufBindings()) {
            if (!b.isFreed()) {
                return false;
            }
        }
        for (ZcrxIfq q : bindings.ifqs()) {
            if (!q.isFreed()) {
                return false;
            }
        }
        return host.pagesInUse() == 0;
    }

    /** Adds to {@code leaks} the provider memory still in use and the files left in {@code dir}; frees what is clean. */
    void auditProviders(List<String> leaks, Path dir) {
        if (host.pagesInUse() != 0 || host.poolCount() != 0) {
            leaks.add("host pages: " + host.pagesInUse() + " page(s) in use, " + host.poolCount() + " pool(s)");
        } else {
            host.close();
        }
        for (DmabufBinding b : bindings.dmabufBindings()) {
            if (!b.isFreed() || b.chunksOut() != 0) {
                leaks.add(b + ": " + b.chunksOut() + " chunk(s) out");
            }
        }
        for (ZcrxIfq q : bindings.ifqs()) {
            if (!q.isFreed() || q.area().freeCount() != q.area().niovs().numNiovs()) {
                leaks.add(q + ": area " + q.area().freeCount() + " of " + q.area().niovs().numNiovs() + " free");
            }
        }
        if (leaks.isEmpty()) {
            for (Arena a : bindings.areaArenas()) {
                a.close();
            }
        }
        try (var s = Files.list(dir)) {
            s.forEach(p -> leaks.add("file left behind: " + p));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Deletes {@code dir} and what is in it, best effort ({@code null}: nothing to do). */
    static void deleteDir(Path dir) {
        if (dir == null) {
            return;
        }
        try (var s = Files.list(dir)) {
            for (Path p : s.toList()) {
                Files.deleteIfExists(p);
            }
            Files.deleteIfExists(dir);
        } catch (IOException e) {
            // best effort: the report already named any file left
        }
    }
}
