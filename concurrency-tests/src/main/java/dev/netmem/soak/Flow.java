package dev.netmem.soak;

import dev.netmem.api.Errno;
import dev.netmem.providers.dmabuf.DmabufBinding;
import dev.netmem.providers.zcrx.ZcrxIfq;
import dev.netmem.providers.zcrx.ZcrxUserRing;
import dev.netmem.rxqueue.netdev.NetdevNlSock;
import dev.netmem.rxqueue.netdev.RxBinding;
import dev.netmem.rxqueue.stack.DevmemRecord;
import dev.netmem.rxqueue.stack.DevmemSocket;
import dev.netmem.rxqueue.wire.SyntheticWire;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One flow of the soak: a wire into one RX queue, the socket on its port, the memory bound to the
 * queue now, and the receive state. Receive state and the zcrx fields are guarded by {@link #lock};
 * the binding fields are written under the {@link Bindings} monitor.
 */
final class Flow {
    /** How a flow receives now. */
    enum Mode { COPY, DEVMEM, ZC }

    /** Flow {@code i} is steered to queue {@code i} by a rule on port {@code PORT_BASE + i}. */
    static final int PORT_BASE = 7000;
    private static final int[] PACKET_SIZES = {1500, 4000, 2900, 3500};

    final int index;
    final int port;
    final SeqPattern pattern;
    final SeqPattern.Verifier verifier;
    final ReentrantLock lock = new ReentrantLock();
    final MemorySegment iov = Arena.ofAuto().allocate(256 << 10);
    final List<DevmemRecord> records = new ArrayList<>();
    /** Completions received and not yet refilled: {offset, length, due time}. */
    final List<long[]> heldCqes = new ArrayList<>();
    final Random random;
    DevmemSocket sock;
    SyntheticWire wire;
    volatile Mode mode;
    // queues 1 and 3: the current dma-buf binding
    RxBinding binding;
    DmabufBinding dmabufBinding;
    NetdevNlSock nl;
    // queue 2: the current ifq
    ZcrxIfq ifq;
    ZcrxUserRing ring;
    /** Why the last {@code recvZc} found no room ({@code ENOSPC} or {@code ENOMEM}); for the report. */
    Errno lastNoRoom;

    private Flow(int index, Mode mode, long seed, Violations violations) {
        this.index = index;
        this.port = PORT_BASE + index;
        this.mode = mode;
        this.pattern = new SeqPattern(PACKET_SIZES[index], seed * 31 + index);
        this.verifier = new SeqPattern.Verifier(pattern, violations, "flow " + index);
        this.random = new Random(seed + 1000 + index);
    }

    /**
     * The soak's four flows: 0 copies from host pages, 1 and 3 receive devmem (dma-bufs bound in setup),
     * 2 copies until its user ring is bound.
     */
    static List<Flow> forSoak(long seed, Violations violations) {
        return List.of(new Flow(0, Mode.COPY, seed, violations), new Flow(1, Mode.DEVMEM, seed, violations),
                new Flow(2, Mode.COPY, seed, violations), new Flow(3, Mode.DEVMEM, seed, violations));
    }

    /** Whether a provider is bound to this flow's queue now. */
    boolean bound() {
        return binding != null;
    }
}
