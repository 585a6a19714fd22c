package dev.netmem.rxqueue.nic;

import dev.netmem.api.Errno;
import dev.netmem.api.NetIov;
import dev.netmem.api.PagePoolParams;
import dev.netmem.uring.IoUringAvailability;
import dev.netmem.uring.IoUringDescriptor;
import dev.netmem.uring.Sockets;
import dev.netmem.uring.SyscallException;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Supplier;

/**
 * The io_uring NIC driver: the kernel's TCP stack receives real connections straight into page-pool
 * buffers. Each RX queue owns one io_uring instance and one provided-buffer ring
 * ({@code IORING_REGISTER_PBUF_RING}), both driven by the queue's NAPI thread: the buffer ring is
 * the queue's descriptor ring, filled with buffers allocated from the queue's page pool (so every
 * memory provider works unchanged: host pages, a dma-buf binding, a zcrx area), and each completion
 * of a multishot {@code IORING_OP_RECV} names the buffer the kernel wrote into. The driver turns it
 * into an skb (headers in a host header buffer, the payload a frag marked for recycling) and hands
 * it up through the {@link dev.netmem.rxqueue.net.NetifRx} seam, exactly as the emulated NIC does.
 *
 * <p>Connections reach a queue by the device's flow steering ({@link NetDevice#steer}: a dst-port
 * rule, else a hash): accepted on a listening socket the driver owns ({@link #listen}), or connected
 * ({@link #connect}). A connection is received from once the stack has a socket on its local port:
 * until then its bytes wait in the kernel's socket, as in an accept queue. Once that socket has
 * closed, what still arrives is consumed and freed, as the kernel's TCP answers a segment for no
 * socket.
 *
 * <p>What the kernel does that the model names: {@code -ENOBUFS} (the ring ran dry: counted as
 * {@link RxQueue#rxNoBufs()}, re-armed once buffers are posted again), every completion without
 * {@code IORING_CQE_F_MORE} (re-armed while the connection is open: {@link RxQueue#rxRearms()}), EOF
 * and reset (handed to the socket as FIN / RST after the data before them), a closed receive window
 * (the receive is cancelled and re-armed when the window opens, so the socket never drops data the
 * kernel already delivered), queue restart (receives cancelled, completions drained and delivered,
 * the buffer ring unregistered before any posted buffer goes home, then re-armed on the new memory:
 * unread data waits in the kernel's socket, so nothing is lost).
 *
 * <p>One driver instance drives one device. Where io_uring cannot be used, building the device fails
 * with the reason ({@link Errno#EOPNOTSUPP}) and names the emulated driver as the alternative.
 */
public final class IoUringNic implements NicDriver {
    private final int bufferOrder;
    private final boolean bundles;
    private final boolean incremental;
    private final Supplier<IoUringAvailability> availability;
    private final List<Listener> listeners = new CopyOnWriteArrayList<>();
    private volatile NetDevice device;
    private ConnTable[] tables;

    private IoUringNic(Builder b) {
        this.bufferOrder = b.bufferOrder;
        this.bundles = b.bundles;
        this.incremental = b.incremental;
        this.availability = b.availability;
    }

    /** A builder with the defaults: 4 KiB buffers, no bundles, no incremental consumption. */
    public static Builder builder() {
        return new Builder();
    }

    @Override
    public String name() {
        return "io_uring";
    }

    /** The page-pool order of the posted buffers ({@code PAGE_SIZE << order} bytes each). */
    public int bufferOrder() {
        return bufferOrder;
    }

    /** Bytes of each posted buffer. */
    public int bufferSize() {
        return NetIov.PAGE_SIZE << bufferOrder;
    }

    /** Whether receives use {@code IORING_RECVSEND_BUNDLE} (one completion may cover several buffers). */
    public boolean bundles() {
        return bundles;
    }

    /** Whether the buffer ring uses {@code IOU_PBUF_RING_INC} (a buffer is filled by several receives). */
    public boolean incremental() {
        return incremental;
    }

    /** The device this driver drives, or {@code null} before the device is built. */
    public NetDevice device() {
        return device;
    }

    /** Fails, naming the cause and the alternative, if io_uring cannot be used or this driver is taken. */
    synchronized void checkAvailable() {
        if (device != null) {
            throw new IllegalStateException("this io_uring driver already drives " + device.name()
                    + ": build each device with its own IoUringNic");
        }
        IoUringAvailability a = availability.get();
        if (!a.available()) {
            throw Errno.EOPNOTSUPP.exception("the io_uring NIC driver cannot run here: " + a.message()
                    + "; use the emulated driver instead (NicDriver.emulated(); demo: --nic emulated)");
        }
        if (bundles && (a.features() & IoUringDescriptor.IORING_FEAT_RECVSEND_BUNDLE) == 0) {
            throw Errno.EOPNOTSUPP.exception("receive bundles need IORING_FEAT_RECVSEND_BUNDLE (Linux 6.10), "
                    + "which this kernel does not offer (features 0x" + Integer.toHexString(a.features())
                    + "); build the driver without bundles");
        }
    }

    /** Binds this driver to {@code dev} (at build, after {@link #checkAvailable()}). */
    synchronized void attach(NetDevice dev) {
        if (device != null) {
            throw new IllegalStateException("this io_uring driver already drives " + device.name()
                    + ": build each device with its own IoUringNic");
        }
        ConnTable[] t = new ConnTable[dev.numRxQueues()];
        for (int i = 0; i < t.length; i++) {
            t[i] = new ConnTable();
        }
        tables = t;
        device = dev;
    }

    ConnTable table(int queue) {
        return tables[queue];
    }

    // =====================================================================================
    // Connections
    // =====================================================================================

    /**
     * Listens on 127.0.0.1:{@code port} (0: a free port) and attaches every accepted connection to
     * the queue its flow steers to. Any thread.
     *
     * @throws IllegalStateException if the device is not built or is unregistered
     * @throws SyscallException      if the socket cannot be bound (e.g. {@code EADDRINUSE})
     */
    public Listener listen(int port) {
        NetDevice d = checkDevice();
        int fd = Sockets.tcpSocket();
        try {
            Sockets.setReuseAddr(fd, true);
            Sockets.bindLoopback(fd, port);
            Sockets.listen(fd, 128);
        } catch (RuntimeException e) {
            Sockets.close(fd);
            throw e;
        }
        Listener l = new Listener(this, fd, Sockets.localPort(fd), d.name());
        listeners.add(l);
        l.start();
        return l;
    }

    /**
     * Connects from 127.0.0.1:{@code localPort} (0: a free port) to 127.0.0.1:{@code remotePort}
     * and attaches the connection to the queue its flow steers to. Open the stack's socket on the
     * local port first (pick one with {@code localPort}, or accept that data arriving before a
     * socket exists is consumed). Blocks until connected.
     *
     * @throws SyscallException e.g. {@code ECONNREFUSED}
     */
    public Connection connect(int localPort, int remotePort) {
        checkDevice();
        int fd = Sockets.tcpSocket();
        try {
            Sockets.setReuseAddr(fd, true);
            Sockets.bindLoopback(fd, localPort);
            Sockets.connectLoopback(fd, remotePort);
        } catch (RuntimeException e) {
            Sockets.close(fd);
            throw e;
        }
        Connection c = new Connection(fd, remotePort, Sockets.localPort(fd));
        attachConnection(c);
        return c;
    }

    private NetDevice checkDevice() {
        NetDevice d = device;
        if (d == null) {
            throw new IllegalStateException("the io_uring driver has no device yet: build one with it first");
        }
        if (!d.isRegistered()) {
            throw new IllegalStateException(d.name() + " is unregistered");
        }
        return d;
    }

    /** Steers {@code c} to its queue and hands it to that queue's NAPI, which arms a receive. */
    void attachConnection(Connection c) {
        NetDevice d = device;
        int q = d.steer(c.remotePort, c.localPort);
        c.queue = q;
        tables[q].incoming.add(c);
        d.rxQueue(q).kick();
    }

    /** {@code unregister}: stops the listeners and closes every connection (the queues are stopped). */
    void deviceUnregistered() {
        for (Listener l : listeners) {
            l.close();
        }
        ConnTable[] t = tables;
        if (t != null) {
            for (ConnTable ct : t) {
                Connection c;
                while ((c = ct.incoming.poll()) != null) {
                    c.closeFd();
                }
            }
        }
    }

    @Override
    public String toString() {
        return "IoUringNic[order=" + bufferOrder + ", bundles=" + bundles + ", incremental=" + incremental + "]";
    }

    /** The connections of one queue that its NAPI has not taken yet (new, or handed back at a restart). */
    static final class ConnTable {
        final ConcurrentLinkedQueue<Connection> incoming = new ConcurrentLinkedQueue<>();
    }

    /**
     * A TCP connection the driver receives from. Its receive is armed by the NAPI of its queue; its
     * bytes reach the stack's socket for {@link #localPort()}.
     *
     * <p>Threads: {@link #shutdown()} and the getters from any thread; the rest is NAPI-owned state
     * handed from one generation of queue memory to the next at restart (a thread start/join).
     */
    public static final class Connection {
        final int fd;
        final int remotePort;
        final int localPort;
        volatile int queue = -1;
        private volatile boolean ended;
        private volatile boolean fdClosed;
        // NAPI-owned:
        int slot = -1;
        boolean armed;
        boolean needsArm;
        boolean cancelSent;
        boolean everArmed;
        /** The stack had a socket on {@link #localPort} at some poll: its bytes are received from then on. */
        boolean socketSeen;

        Connection(int fd, int remotePort, int localPort) {
            this.fd = fd;
            this.remotePort = remotePort;
            this.localPort = localPort;
        }

        /** The local port: the stack's socket on it receives this connection's bytes. */
        public int localPort() {
            return localPort;
        }

        /** The peer's port. */
        public int remotePort() {
            return remotePort;
        }

        /** The RX queue the flow was steered to, or -1 before it was attached. */
        public int queueIndex() {
            return queue;
        }

        /** Whether the connection ended (EOF or reset delivered to the stack) and its fd is closed. */
        public boolean isEnded() {
            return ended;
        }

        /**
         * Shuts the connection down in both directions ({@code shutdown(SHUT_RDWR)}): the armed
         * receive then completes with EOF and the driver closes it. Any thread; idempotent.
         */
        public void shutdown() {
            if (!fdClosed) {
                try {
                    Sockets.shutdown(fd, Sockets.SHUT_RDWR);
                } catch (SyscallException e) {
                    // ENOTCONN: the peer is already gone; the receive ends on its own
                }
            }
        }

        void markEnded() {
            ended = true;
            closeFd();
        }

        synchronized void closeFd() {
            if (!fdClosed) {
                fdClosed = true;
                Sockets.close(fd);
            }
        }

        @Override
        public String toString() {
            return "Connection[127.0.0.1:" + remotePort + " -> :" + localPort + ", queue " + queue
                    + (ended ? ", ended" : "") + "]";
        }
    }

    /** A listening socket of the driver: accepts on a thread of its own and attaches each connection. */
    public static final class Listener implements AutoCloseable {
        private final IoUringNic nic;
        private final int fd;
        private final int port;
        private final Thread thread;
        private volatile boolean closed;
        private volatile long accepted;
        private final java.util.concurrent.LinkedBlockingQueue<Connection> acceptedQueue =
                new java.util.concurrent.LinkedBlockingQueue<>();

        Listener(IoUringNic nic, int fd, int port, String devName) {
            this.nic = nic;
            this.fd = fd;
            this.port = port;
            this.thread = Thread.ofPlatform().daemon().name(devName + "-accept-" + port).unstarted(this::acceptLoop);
        }

        void start() {
            thread.start();
        }

        /** The port it listens on. */
        public int port() {
            return port;
        }

        /** Connections accepted so far. */
        public long accepted() {
            return accepted;
        }

        /**
         * The next connection accepted (already attached and receiving), waiting up to
         * {@code timeout}; {@code null} if none came.
         */
        public Connection nextAccepted(java.time.Duration timeout) throws InterruptedException {
            return acceptedQueue.poll(timeout.toNanos(), java.util.concurrent.TimeUnit.NANOSECONDS);
        }

        private void acceptLoop() {
            int[] peer = new int[1];
            while (!closed) {
                int cfd;
                try {
                    cfd = Sockets.accept(fd, peer);
                } catch (SyscallException e) {
                    if (closed) {
                        return;
                    }
                    System.getLogger("dev.netmem.rxqueue").log(System.Logger.Level.WARNING,
                            "io_uring listener on port " + port + ": " + e.getMessage());
                    return;
                }
                accepted++;
                Connection c = new Connection(cfd, peer[0], port);
                nic.attachConnection(c);
                acceptedQueue.add(c);
            }
        }

        /** Stops accepting and closes the listening socket. Idempotent. */
        @Override
        public void close() {
            synchronized (this) {
                if (closed) {
                    return;
                }
                closed = true;
            }
            try {
                Sockets.shutdown(fd, Sockets.SHUT_RDWR); // wakes the blocked accept
            } catch (SyscallException e) {
                // not listening any more: nothing to wake
            }
            try {
                thread.join(5_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            Sockets.close(fd);
            nic.listeners.remove(this);
        }
    }

    /** Builds an {@link IoUringNic}. */
    public static final class Builder {
        private int bufferOrder;
        private boolean bundles;
        private boolean incremental;
        private Supplier<IoUringAvailability> availability = IoUringAvailability::check;

        private Builder() {
        }

        /**
         * Buffers of {@code PAGE_SIZE << order} bytes (the queue's page-pool order); default 0 (4 KiB).
         * A dma-buf binding serves only pools of its own net_iov order ({@code E2BIG}): order 0 unless
         * bind-rx set {@code rx-buf-size}, which sizes the queue's buffers itself ({@code rx_page_size}).
         */
        public Builder bufferOrder(int order) {
            if (order < 0 || order > 4) {
                throw new IllegalArgumentException("bufferOrder must be in [0, 4] (4 KiB to 64 KiB): " + order);
            }
            bufferOrder = order;
            return this;
        }

        /** Receive bundles ({@code IORING_RECVSEND_BUNDLE}); default off. */
        public Builder bundles(boolean on) {
            bundles = on;
            return this;
        }

        /** Incremental buffer consumption ({@code IOU_PBUF_RING_INC}); default off. */
        public Builder incremental(boolean on) {
            incremental = on;
            return this;
        }

        /**
         * How to decide whether io_uring can be used; default {@link IoUringAvailability#check()}.
         * For callers that checked already, and for tests that force the unavailable path.
         */
        public Builder availability(Supplier<IoUringAvailability> check) {
            availability = Objects.requireNonNull(check, "check");
            return this;
        }

        /** The driver, to pass to {@link NetDevice.Builder#driver}. */
        public IoUringNic build() {
            return new IoUringNic(this);
        }
    }

    /** The page-pool order for the queues' main pools. */
    int poolOrder() {
        return Math.min(bufferOrder, PagePoolParams.MAX_PAGE_ORDER);
    }
}
