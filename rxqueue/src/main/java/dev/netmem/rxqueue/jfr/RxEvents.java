package dev.netmem.rxqueue.jfr;

import dev.netmem.api.NetdevRxQueue;
import dev.netmem.api.PagePool;
import dev.netmem.api.spi.MemoryProvider;
import dev.netmem.api.spi.ProviderInfo;
import java.util.List;

/**
 * The RX queues' JFR hooks: one static method per event (two for the restart, which has a duration).
 * Each returns at once, having allocated nothing, unless a recording enables its event.
 */
public final class RxEvents {
    // Never committed: asked only whether the event type is enabled (no allocation per check).
    private static final RxBindEvent BIND = new RxBindEvent();
    private static final RxUnbindEvent UNBIND = new RxUnbindEvent();
    private static final RxQueueRestartEvent RESTART = new RxQueueRestartEvent();
    private static final UringNoBufsEvent NOBUFS = new UringNoBufsEvent();
    private static final UringRearmEvent REARM = new UringRearmEvent();

    private RxEvents() {
    }

    /** {@code provider} was bound to {@code queues} of device {@code ifindex} as binding {@code bindingId}. */
    public static void bind(int ifindex, List<Integer> queues, MemoryProvider provider, long bindingId) {
        if (!BIND.isEnabled()) {
            return;
        }
        for (int q : queues) {
            RxBindEvent e = new RxBindEvent();
            if (e.shouldCommit()) {
                fill(e, ifindex, q, provider);
                e.bindingId = bindingId;
                e.commit();
            }
        }
    }

    /** Binding {@code bindingId} of {@code provider} to {@code queues} of device {@code ifindex} was closed. */
    public static void unbind(int ifindex, List<Integer> queues, MemoryProvider provider, long bindingId) {
        if (!UNBIND.isEnabled()) {
            return;
        }
        for (int q : queues) {
            RxUnbindEvent e = new RxUnbindEvent();
            if (e.shouldCommit()) {
                fill(e, ifindex, q, provider);
                e.bindingId = bindingId;
                e.commit();
            }
        }
    }

    /**
     * A queue whose pool is {@code oldPool} starts restarting. Returns the started event, or
     * {@code null} if the event is disabled; pass it to {@link #restartEnd}.
     */
    public static RxQueueRestartEvent restartBegin(PagePool oldPool) {
        if (!RESTART.isEnabled()) {
            return null;
        }
        RxQueueRestartEvent e = new RxQueueRestartEvent();
        e.oldPoolId = oldPool == null ? -1 : oldPool.id();
        e.begin();
        return e;
    }

    /** The restart begun as {@code e} (nothing if {@code null}) has {@code queue} running on {@code pool}. */
    public static void restartEnd(RxQueueRestartEvent e, NetdevRxQueue queue, PagePool pool) {
        if (e == null) {
            return;
        }
        e.end();
        if (e.shouldCommit()) {
            fill(e, queue.ifindex(), queue.queueIndex(), pool.provider());
            e.poolId = pool.id();
            e.commit();
        }
    }

    /** A receive on {@code queue} (filled from {@code pool}) for the connection {@code localPort <- remotePort} ended with ENOBUFS. */
    public static void noBufs(NetdevRxQueue queue, PagePool pool, int localPort, int remotePort) {
        if (!NOBUFS.isEnabled()) {
            return;
        }
        UringNoBufsEvent e = new UringNoBufsEvent();
        if (e.shouldCommit()) {
            fill(e, queue.ifindex(), queue.queueIndex(), pool.provider());
            e.poolId = pool.id();
            e.localPort = localPort;
            e.remotePort = remotePort;
            e.commit();
        }
    }

    /** A receive on {@code queue} for the connection {@code localPort <- remotePort} was armed again. */
    public static void rearm(NetdevRxQueue queue, PagePool pool, int localPort, int remotePort, int posted) {
        if (!REARM.isEnabled()) {
            return;
        }
        UringRearmEvent e = new UringRearmEvent();
        if (e.shouldCommit()) {
            fill(e, queue.ifindex(), queue.queueIndex(), pool.provider());
            e.poolId = pool.id();
            e.localPort = localPort;
            e.remotePort = remotePort;
            e.posted = posted;
            e.commit();
        }
    }

    private static void fill(RxQueueEvent e, int ifindex, int queue, MemoryProvider provider) {
        e.ifindex = ifindex;
        e.queue = queue;
        ProviderInfo info = provider.fill(null);
        e.provider = info.kind();
        e.providerId = info.id();
    }
}
