package dev.netmem.rxqueue.netdev;

import dev.netmem.api.Errno;
import dev.netmem.api.Napi;
import dev.netmem.api.PagePool;
import dev.netmem.api.PagePoolListener;
import dev.netmem.api.spi.MemoryProvider;
import dev.netmem.api.spi.ProviderInfo;
import dev.netmem.rxqueue.nic.NetDevice;
import dev.netmem.rxqueue.nic.NetdevNotifier;
import dev.netmem.rxqueue.nic.RxQueue;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import javax.management.JMException;
import javax.management.MBeanServer;
import javax.management.ObjectName;

/**
 * Models the {@code netdev} generic netlink family: binding providers to RX queues
 * ({@link NetdevNlSock#bindRx}), introspection records ({@link #queueGet}, {@link #napiGetDump}, {@link #pagePoolGet},
 * {@link #pagePoolDump}, {@link #pagePoolStats}) and the {@code page-pool} notifications
 * ({@link #addListener}). The same figures are published as JMX MXBeans:
 * {@code dev.netmem:type=PagePool,id=N} ({@link PagePoolMXBean}) for every visible pool and
 * {@code dev.netmem:type=RxQueue,ifindex=I,queue=Q} ({@link RxQueueMXBean}) for every queue.
 *
 * <p>A pool is visible when it was created for an {@link RxQueue} (its params name the queue);
 * others are invisible ({@link Errno#ENOENT}, no notifications), as pools without a netdev are in
 * the kernel. A pool whose device was unregistered is an orphan, moved to loopback: visible, without
 * an ifindex, listed first (loopback is ifindex 1). When loopback itself unregisters
 * ({@link #unregisterLoopback}) the orphans become invisible too.
 *
 * <p>Thread safety: every method may be called from any thread.
 */
public final class Netdev {
    private static final System.Logger LOG = System.getLogger("dev.netmem.rxqueue");
    private static final CopyOnWriteArrayList<NetdevListener> LISTENERS = new CopyOnWriteArrayList<>();
    private static final MBeanServer MBEANS = ManagementFactory.getPlatformMBeanServer();

    static {
        NetDevice.registerNotifier(new NetdevNotifier() {
            @Override
            public void netdevRegister(NetDevice dev) {
                for (int i = 0; i < dev.numRxQueues(); i++) {
                    registerMBean(queueName(dev.ifindex(), i), new RxQueueMBeanImpl(dev.rxQueue(i)));
                }
            }

            @Override
            public void netdevUnregister(NetDevice dev) {
                for (int i = 0; i < dev.numRxQueues(); i++) {
                    unregisterMBean(queueName(dev.ifindex(), i));
                }
            }
        });
        PagePool.addListener(new PagePoolListener() {
            @Override
            public void added(PagePool pool) {
                if (rxQueueOf(pool) != null) {
                    registerMBean(poolName(pool.id()), new PagePoolMBeanImpl(pool));
                    publish(pool, 0);
                }
            }

            @Override
            public void changed(PagePool pool) {
                publish(pool, 1);
            }

            @Override
            public void deleted(PagePool pool) {
                if (rxQueueOf(pool) != null) {
                    publish(pool, 2);
                    unregisterMBean(poolName(pool.id()));
                }
            }
        });
        for (PagePool pool : PagePool.pools()) { // pools created before the family was first used
            ObjectName name = poolName(pool.id());
            if (rxQueueOf(pool) != null && !MBEANS.isRegistered(name)) {
                registerMBean(name, new PagePoolMBeanImpl(pool));
            }
        }
    }

    private Netdev() {
    }

    /**
     * Opens a netdev netlink socket, the owner of the bindings made through it, for a caller with
     * {@code CAP_NET_ADMIN} (as the demo and the tests run: the capability of root).
     */
    public static NetdevNlSock open() {
        return new NetdevNlSock(true);
    }

    /**
     * Opens a netdev netlink socket for a caller with or without {@code CAP_NET_ADMIN}. Without it,
     * {@code bind-rx} (a {@code GENL_ADMIN_PERM} command) and zcrx registration fail with
     * {@link Errno#EPERM}; introspection needs no capability.
     */
    public static NetdevNlSock open(boolean netAdmin) {
        return new NetdevNlSock(netAdmin);
    }

    // =====================================================================================
    // Devices
    // =====================================================================================

    /**
     * The registered device with {@code ifindex}.
     *
     * @throws dev.netmem.api.ErrnoException {@link Errno#ENODEV} if there is none
     */
    public static NetDevice device(int ifindex) {
        NetDevice d = NetDevice.byIfindex(ifindex);
        if (d == null) {
            throw Errno.ENODEV.exception("no device with ifindex " + ifindex);
        }
        return d;
    }

    // =====================================================================================
    // Introspection
    // =====================================================================================

    /**
     * {@code queue-get}: the RX queue {@code id} of device {@code ifindex}.
     *
     * @throws dev.netmem.api.ErrnoException {@link Errno#ENODEV} for an unknown device; {@link Errno#EINVAL}
     *                         "rx queue index out of range" for a bad index
     */
    public static QueueInfo queueGet(int ifindex, int id) {
        NetDevice d = device(ifindex);
        if (id < 0 || id >= d.numRxQueues()) {
            throw Errno.EINVAL.exception("rx queue index out of range");
        }
        RxQueue q = d.rxQueue(id);
        MemoryProvider mp = q.memoryProvider();
        ProviderInfo info = mp == null ? null : mp.fill(q);
        return new QueueInfo(ifindex, id, "rx", d.isUp() ? OptionalInt.of(q.napi().id()) : OptionalInt.empty(),
                dmabufOf(info), ioUringOf(info));
    }

    /**
     * {@code napi-get} (dump, filtered by {@code ifindex}): the NAPIs listed on the device, one per active
     * queue while it is up (each queue's current {@link RxQueue#napi()}), none while it is down (the
     * driver deletes them at close). In queue index order; the kernel walks {@code dev->napi_list}.
     *
     * @throws dev.netmem.api.ErrnoException {@link Errno#ENODEV} for an unknown device
     */
    public static List<NapiInfo> napiGetDump(int ifindex) {
        NetDevice d = device(ifindex);
        List<NapiInfo> out = new ArrayList<>();
        if (d.isUp()) {
            for (int i = 0; i < d.numRxQueues(); i++) {
                out.add(new NapiInfo(d.rxQueue(i).napi().id(), ifindex));
            }
        }
        return out;
    }

    /**
     * {@code page-pool-get} (do): the pool with {@code id}.
     *
     * @throws dev.netmem.api.ErrnoException {@link Errno#ENOENT} if no visible pool has that id
     */
    public static PagePoolInfo pagePoolGet(int id) {
        return info(visiblePool(id));
    }

    /**
     * {@code page-pool-get} (dump): every visible pool in the kernel's order, device by device in
     * ifindex order ({@code for_each_netdev_dump}), orphans first (they are on loopback, ifindex 1),
     * and within a device newest first: it walks each netdev's {@code page_pools} list
     * ({@link PagePool#netdevPoolsDump}), where pools are added at the head and unlinked when destroyed.
     */
    public static List<PagePoolInfo> pagePoolDump() {
        List<PagePoolInfo> out = new ArrayList<>();
        for (PagePool p : PagePool.netdevPoolsDump()) {
            if (visible(p)) {
                out.add(info(p));
            }
        }
        return out;
    }

    /**
     * The visible pools of registered device {@code ifindex} (attached and detached), oldest first:
     * its {@code page_pools} list walked tail to head.
     */
    public static List<PagePoolInfo> pagePoolDump(int ifindex) {
        List<PagePoolInfo> out = new ArrayList<>();
        if (ifindex == PagePool.LOOPBACK_IFINDEX) {
            return out; // loopback's list holds the orphans, which report no ifindex
        }
        for (PagePool p : PagePool.netdevPools(ifindex).reversed()) {
            if (visible(p)) {
                out.add(info(p));
            }
        }
        return out;
    }

    /**
     * Loopback unregisters (its network namespace goes away, loopback last):
     * {@code page_pool_unreg_netdev_wipe} for every orphan. They become invisible: {@code page-pool-get}
     * answers {@link Errno#ENOENT}, the dump leaves them out, and no notification follows, not even
     * their {@code DEL}. Control path.
     *
     * @return the ids of the pools that became invisible
     */
    public static List<Integer> unregisterLoopback() {
        List<Integer> ids = new ArrayList<>();
        for (PagePool p : PagePool.unregisterNetdev(PagePool.LOOPBACK_IFINDEX)) {
            unregisterMBean(poolName(p.id()));
            ids.add(p.id());
        }
        return ids;
    }

    /**
     * {@code page-pool-stats-get}: the counters of pool {@code id}.
     *
     * @throws dev.netmem.api.ErrnoException {@link Errno#ENOENT} if no visible pool has that id;
     *                         {@link Errno#EOPNOTSUPP} if the pool keeps no statistics
     */
    public static PagePoolStatsInfo pagePoolStats(int id) {
        PagePool p = visiblePool(id);
        if (!p.statsEnabled()) {
            throw Errno.EOPNOTSUPP.exception("page pool " + id + " keeps no statistics");
        }
        return new PagePoolStatsInfo(id, ifindexOf(p), p.stats());
    }

    /** Subscribes to the {@code page-pool} notifications. */
    public static void addListener(NetdevListener listener) {
        LISTENERS.add(java.util.Objects.requireNonNull(listener, "listener"));
    }

    /** Unsubscribes. */
    public static void removeListener(NetdevListener listener) {
        LISTENERS.remove(listener);
    }

    private static PagePool visiblePool(int id) {
        Optional<PagePool> p = PagePool.byId(id);
        if (p.isEmpty() || !visible(p.get())) {
            throw Errno.ENOENT.exception("page pool " + id + " not found");
        }
        return p.get();
    }

    /**
     * Whether netlink can see {@code p}: created for an RX queue and not wiped with loopback
     * ({@code hlist_unhashed(&pool->user.list)} in the kernel).
     */
    private static boolean visible(PagePool p) {
        return rxQueueOf(p) != null && p.visibility() != PagePool.Visibility.INVISIBLE;
    }

    /** The RX queue whose pool {@code p} is, or {@code null} for a pool outside any device. */
    public static RxQueue rxQueueOf(PagePool p) {
        return p.params().queue() instanceof RxQueue q ? q : null;
    }

    private static OptionalInt ifindexOf(PagePool p) {
        RxQueue q = rxQueueOf(p);
        return q != null && q.device().isRegistered() ? OptionalInt.of(q.ifindex()) : OptionalInt.empty();
    }

    static PagePoolInfo info(PagePool p) {
        Napi napi = p.napi();
        ProviderInfo info = p.provider().fill(null);
        return new PagePoolInfo(p.id(), ifindexOf(p), napi == null ? OptionalInt.empty() : OptionalInt.of(napi.id()),
                p.inflight(), p.inflightMem(), p.detachTime(), dmabufOf(info), ioUringOf(info));
    }

    private static OptionalLong dmabufOf(ProviderInfo info) {
        return info != null && info.kind().equals("dmabuf") ? OptionalLong.of(info.id()) : OptionalLong.empty();
    }

    private static boolean ioUringOf(ProviderInfo info) {
        return info != null && info.kind().equals("io-uring");
    }

    private static void publish(PagePool pool, int kind) {
        if (LISTENERS.isEmpty() || !visible(pool)) { // netdev_nl_page_pool_event: unhashed pools are silent
            return;
        }
        PagePoolInfo info = info(pool);
        for (NetdevListener l : LISTENERS) {
            switch (kind) {
                case 0 -> l.pagePoolAdded(info);
                case 1 -> l.pagePoolChanged(info);
                default -> l.pagePoolDeleted(info);
            }
        }
    }

    // =====================================================================================
    // JMX
    // =====================================================================================

    /** The MXBean object name of pool {@code id}. */
    public static String poolMBeanName(int id) {
        return "dev.netmem:type=PagePool,id=" + id;
    }

    /** The MXBean object name of RX queue {@code queue} of device {@code ifindex}. */
    public static String queueMBeanName(int ifindex, int queue) {
        return "dev.netmem:type=RxQueue,ifindex=" + ifindex + ",queue=" + queue;
    }

    private static ObjectName poolName(int id) {
        return objectName(poolMBeanName(id));
    }

    private static ObjectName queueName(int ifindex, int queue) {
        return objectName(queueMBeanName(ifindex, queue));
    }

    private static ObjectName objectName(String s) {
        try {
            return new ObjectName(s);
        } catch (JMException e) {
            throw new IllegalArgumentException(s, e);
        }
    }

    private static void registerMBean(ObjectName name, Object bean) {
        try {
            MBEANS.registerMBean(bean, name);
        } catch (JMException e) {
            LOG.log(System.Logger.Level.WARNING, "cannot register " + name, e);
        }
    }

    private static void unregisterMBean(ObjectName name) {
        try {
            if (MBEANS.isRegistered(name)) {
                MBEANS.unregisterMBean(name);
            }
        } catch (JMException e) {
            LOG.log(System.Logger.Level.WARNING, "cannot unregister " + name, e);
        }
    }
}
