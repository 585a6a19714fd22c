package dev.netmem.demo;

import dev.netmem.api.ErrnoException;
import dev.netmem.api.PagePool;
import dev.netmem.api.PagePoolStats;
import dev.netmem.cli.Cli;
import dev.netmem.providers.dmabuf.Dmabuf;
import dev.netmem.providers.dmabuf.DmabufBinding;
import dev.netmem.providers.zcrx.ZcrxArea;
import dev.netmem.providers.zcrx.ZcrxIfq;
import dev.netmem.providers.zcrx.ZcrxIfqReg;
import dev.netmem.providers.zcrx.ZcrxUserRing;
import dev.netmem.rxqueue.netdev.DmabufAttrs;
import dev.netmem.rxqueue.netdev.Netdev;
import dev.netmem.rxqueue.netdev.NetdevNlSock;
import dev.netmem.rxqueue.netdev.PagePoolInfo;
import dev.netmem.rxqueue.netdev.RxBinding;
import dev.netmem.rxqueue.nic.IoUringNic;
import dev.netmem.rxqueue.nic.NetDevice;
import dev.netmem.rxqueue.nic.NicDriver;
import dev.netmem.rxqueue.nic.RxQueue;
import dev.netmem.rxqueue.stack.DevmemControl;
import dev.netmem.rxqueue.stack.DevmemSocket;
import dev.netmem.rxqueue.stack.NetStack;
import dev.netmem.rxqueue.wire.StreamWire;
import dev.netmem.rxqueue.zcrx.IoUringZcrx;
import dev.netmem.uring.IoUringAvailability;
import dev.netmem.uring.IoUringDescriptor;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The zero-copy TCP receive demo: a real TCP stream on loopback enters an emulated NIC whose queue 0
 * is bound to a memory provider; the application receives with the devmem socket API and a
 * consumer in a separate JVM reads the payload in place (see {@link Consumer}).
 *
 * <pre>
 *   Sender --TCP 127.0.0.1--> StreamWire --> NetDevice queue 0 (header split; payload into the
 *   dmabuf pages of its page pool) --> DevmemSocket.recvmsg: LINEAR + DMABUF{offset,size,token}
 *   --> consumer JVM (maps the dmabuf, verifies in place) --> tokens --> DevmemSocket.dontneed
 * </pre>
 */
final class Demo {
    static final int MSS = 4000;
    /** The dma-buf's size: 16 MiB, or 1024 buffers when they are larger than 16 KiB. */
    private static final long MIN_DMABUF_BYTES = 16L << 20;
    private static final int MIN_DMABUF_BUFFERS = 1024;
    private static final int IOV_BYTES = 256 << 10;
    /** Records one recvmsg may write: two per 4 KiB of the iov (a frag and a linear part each, at most). */
    private static final int CONTROL_RECORDS = IOV_BYTES / 4096 * 2;
    /** The consumer JVM's flags, each said once, here. */
    private static final List<String> CONSUMER_JVM_FLAGS = List.of(
            // Chronicle Bytes (the consumer's zero-copy view) reaches into these JDK internals on JDK 25
            "--add-opens=java.base/java.lang=ALL-UNNAMED", "--add-opens=java.base/java.lang.reflect=ALL-UNNAMED",
            "--add-opens=java.base/java.io=ALL-UNNAMED", "--add-opens=java.base/java.util=ALL-UNNAMED",
            "--add-opens=java.base/java.nio=ALL-UNNAMED", "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
            "--add-exports=java.base/sun.nio.ch=ALL-UNNAMED", "--add-exports=java.base/jdk.internal.ref=ALL-UNNAMED",
            // ... and uses sun.misc.Unsafe's memory access, which JDK 25 otherwise warns about (JEP 471)
            "--add-exports=jdk.unsupported/sun.misc=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow",
            // its native helpers (and the zcrx user ring's FFM views) on the class path
            "--enable-native-access=ALL-UNNAMED",
            // a small heap and the serial collector: the consumer holds no data, so it starts fast and
            // leaves the second core to the receiver
            "-Xmx256m", "-XX:+UseSerialGC");

    private final DemoOptions o;
    private final PrintStream out;
    private final PrintStream err;
    private final AtomicLong received = new AtomicLong();
    private final AtomicLong tokensReturned = new AtomicLong();
    /**
     * Application flow control: records the consumer may hold (the record ring's size). A devmem
     * receiver must return tokens or the dma-buf runs dry: this caps what the consumer holds at half.
     */
    private static final int HANDOFF_ENTRIES = (int) (MIN_DMABUF_BYTES / 4096 / 2);
    private final int[] tokenBatch = new int[1024];
    /** {@code struct dmabuf_token} entries for {@code dontneed}, as setsockopt takes them: no object per run. */
    private final MemorySegment runBatch = Arena.ofAuto().allocate(
            (long) DevmemSocket.DMABUF_TOKEN_SIZE * DevmemSocket.MAX_DONTNEED_TOKENS, Integer.BYTES);
    private volatile boolean consumerDied;
    private volatile PagePool statsPool;
    private volatile String consumerFailure;
    private String senderStopped;
    /** The queues' counters at the end of the run, summed: {@link #RX_COUNTER_NAMES}. */
    private final long[] rxCounters = new long[6];
    private static final String[] RX_COUNTER_NAMES = {"packets", "dropped", "missed", "alloc_fail", "nobufs", "rearms"};
    /** The built-in sender's thread: interrupted (its channel closes) when the consumer died. */
    private Thread senderThread;
    private String nicName = "?";
    /** Whether the io_uring driver receives in bundles (--uring, or the kernel's default). */
    private boolean bundles;
    private double setupSeconds;
    private long cpuAtStart;
    /** This process's CPU time when the clock stopped. */
    private long cpuAtStop;
    private long consumerCpuNanos;
    /** This JVM's CPU by thread job from the clock's start; null where thread CPU time is not measured. */
    private ThreadCpu threadCpu;
    /** {@link #threadCpu} when the clock stopped. */
    private ThreadCpu.Breakdown cpuBy;
    /** The built-in sender's thread name, for {@link ThreadCpu}. */
    static final String SENDER_THREAD = "demo-sender";

    Demo(DemoOptions o, PrintStream out, PrintStream err) {
        this.o = o;
        this.out = out;
        this.err = err;
    }

    /**
     * A binding the provider or the driver refused for {@code --rx-buf-len} (the size passes the
     * option's own check, 4k to 64k, yet a driver may not support or accept it): the demo's one-line
     * failure (exit 1), naming the size, the binding and the refusal with its errno.
     */
    static Cli.Failure bindRefused(DemoOptions o, RuntimeException e) {
        String attr = o.provider().equals("dmabuf") ? "bind-rx rx_buf_size " : "zcrx rx_buf_len ";
        String errno = e instanceof ErrnoException x ? " (" + x.errno().name() + ")" : "";
        return new Cli.Failure("queue 0 refused the " + o.provider() + " binding with " + attr + o.rxBufLen()
                + " (--rx-buf-len): " + e.getMessage() + errno, e);
    }

    /** What one connection produced. */
    record ConnResult(long bytes, String sha256Verified, long patternErrors, boolean consumerOk) {
    }

    /** Runs the demo; returns the process exit status. */
    int run() throws Exception {
        long runStart = System.nanoTime();
        NicDriver driver = chooseDriver();
        // 64 MiB for queue 0's traffic, 2 MiB for each idle queue's ring (256 pages, 256 header frags, bulk refills)
        NetDevice dev = NetDevice.builder("demo0").rxQueues(o.queues()).headerSplit(true, 0)
                .hostBytes((64L << 20) + (o.queues() - 1) * (2L << 20)).driver(driver).build();
        IoUringNic nic = driver instanceof IoUringNic u ? u : null;
        nicName = driver.name();
        dev.open();
        Dmabuf dmabuf = null;
        RxBinding binding = null;
        ZcrxIfq ifq = null;
        List<Integer> poolIds = new ArrayList<>();
        long sentBytes = 0;
        String shaSent = null;
        long totalReceived = 0;
        double seconds = 0;
        List<ConnResult> conns = new ArrayList<>();
        PagePoolStats stats = null;
        int tokensOutstanding = 0;
        int tokensReclaimed = 0;
        long inflightAfter;
        try (NetdevNlSock nl = Netdev.open();
             Endpoint server = nic != null ? new Endpoint(nic.listen(Math.max(o.listenPort(), 0)))
                     : new Endpoint(new ServerSocket(Math.max(o.listenPort(), 0), 50, InetAddress.getLoopbackAddress()))) {
            int port = server.port();
            server.setTimeout(o.listenPort() < 0 ? 30_000 : 600_000); // never wait for a client forever
            dev.addFlowRule(port, 0);
            // at least 1024 buffers, so 64 KiB ones leave room beyond the ring (256) and in flight
            // (16 MiB of 64 KiB buffers is only the ring: 8 GiB streams ran at 0.82x the rate of 64 MiB, medians of 3)
            long dmabufBytes = Math.max(MIN_DMABUF_BYTES, (long) MIN_DMABUF_BUFFERS * (o.rxBufLen() == 0 ? 4096 : o.rxBufLen()));
            try {
                switch (o.provider()) {
                    case "dmabuf" -> {
                        dmabuf = Dmabuf.create(dmabufBytes);
                        // --rx-buf-len: bind-rx's rx-buf-size, net_iovs and a queue pool of that size
                        DmabufAttrs attrs = DmabufAttrs.of(dmabuf);
                        binding = nl.bindRx(dev, o.rxBufLen() == 0 ? attrs : attrs.withRxBufSize(o.rxBufLen()), 0);
                    }
                    case "user-ring" -> {
                        dmabuf = Dmabuf.create(dmabufBytes);
                        // The refill ring holds every buffer of the area, so returning buffers never blocks;
                        // the completion ring has room for them all plus copy-fallback completions.
                        // --rx-buf-len: buffers of that size, and a queue pool of that size (rx_page_size)
                        int bufLen = o.rxBufLen() == 0 ? 4096 : o.rxBufLen();
                        int buffers = (int) (dmabufBytes / bufLen);
                        binding = IoUringZcrx.bindRxUserRing(nl, dev, ZcrxArea.ofDmabuf(dmabuf), 0,
                                ZcrxIfqReg.of(buffers, 2 * buffers).withRxBufLen(o.rxBufLen()), Dmabuf.DEFAULT_DIR);
                        ifq = (ZcrxIfq) binding.provider();
                    }
                    default -> { } // host pages: nothing to bind
                }
            } catch (ErrnoException | IllegalArgumentException e) {
                if (o.rxBufLen() == 0) {
                    throw e;
                }
                throw bindRefused(o, e);
            }
            for (PagePoolInfo info : Netdev.pagePoolDump(dev.ifindex())) {
                poolIds.add(info.id());
            }
            if (!o.quiet()) {
                err.printf("netmem demo: nic=%s provider=%s mode=%s queue 0 of %s (%d queues), port %d%s%n",
                        driver.name(), o.provider(), o.mode(), dev.name(), o.queues(), port,
                        (dmabuf == null ? "" : ", dmabuf " + dmabuf.path() + " (" + (dmabufBytes >> 20) + " MiB)")
                                + (ifq == null ? "" : ", rx_buf_len " + ifq.rxBufLen())
                                + (binding != null && binding.provider() instanceof DmabufBinding db
                                        ? ", rx_buf_size " + db.niovSize() : ""));
            }
            long start = 0;
            CompletableFuture<Sender.Result> sender = null;
            if (o.listenPort() > 0 && !o.quiet()) {
                err.printf("listening on 127.0.0.1:%d for %d connection(s), e.g. socat -u FILE:data TCP:127.0.0.1:%d%n",
                        port, o.connections(), port);
            }
            statsPool = dev.rxQueue(0).pagePool();
            if (o.listenPort() < 0) {
                StreamPattern.slice(0, 0); // the sender's pattern is built now, not after the clock started
            }
            Progress progress = null;
            try {
                int want = o.listenPort() < 0 ? 1 : o.connections();
                for (int c = 0; c < want && !consumerDied; c++) {
                    // the io_uring driver receives from the first byte: the stack's socket must exist before the client
                    DevmemSocket early = nic != null ? NetStack.of(dev).openSocket(port) : null;
                    ConsumerLink link = startConsumer(dmabuf, ifq);
                    if (consumerDied) {
                        if (early != null) {
                            early.close();
                        }
                        break; // it died starting: there is nobody to hand data to
                    }
                    if (c == 0) {
                        // the clock starts once the consumer is attached and ready: its JVM's start-up is set-up
                        start = System.nanoTime();
                        setupSeconds = (start - runStart) / 1e9;
                        cpuAtStart = cpuNanos();
                        threadCpu = ThreadCpu.start(napiNames(dev), cpuAtStart); // this thread receives: the application
                        progress = o.quiet() ? null : new Progress(statsPool, start);
                        if (o.listenPort() < 0) {
                            CompletableFuture<Sender.Result> f = new CompletableFuture<>();
                            ThreadCpu cpu = threadCpu;
                            senderThread = Thread.ofPlatform().name(SENDER_THREAD).daemon().start(() -> {
                                try {
                                    f.complete(Sender.send("127.0.0.1", port, o.bytes(), o.seconds(),
                                            !o.verify().equals("pattern"), o.rate()));
                                } catch (IOException | RuntimeException e) {
                                    f.completeExceptionally(e);
                                } finally {
                                    if (cpu != null) {
                                        cpu.ending();
                                    }
                                }
                            });
                            sender = f;
                        }
                    }
                    try (Socket accepted = server.accept()) {
                        DevmemSocket sock = early != null ? early : NetStack.of(dev).openSocket(port);
                        StreamWire wire = accepted == null ? null : StreamWire.fromSocket(dev, accepted, MSS);
                        try {
                            ConnResult r = receiveConnection(sock, wire, dmabuf, ifq, link);
                            conns.add(r);
                            totalReceived += r.bytes();
                            if (o.listenPort() > 0) {
                                out.printf("connection %d: %d bytes, sha256 %s%n", c + 1, r.bytes(), r.sha256Verified());
                            }
                        } finally {
                            if (wire != null) {
                                wire.close();
                            } else {
                                server.shutdownLast(); // a sender still sending gets an error, as when a wire closes
                            }
                            int held = sock.outstandingTokens();
                            sock.close(); // returns every token still out (tcp_release_user_frags)
                            tokensReclaimed += held;
                            tokensOutstanding += sock.outstandingTokens();
                        }
                    }
                }
            } finally {
                if (progress != null) {
                    progress.stop();
                }
            }
            seconds = start == 0 ? 0 : (System.nanoTime() - start) / 1e9;
            cpuAtStop = start == 0 ? cpuAtStart : cpuNanos();
            cpuBy = threadCpu == null ? null : threadCpu.since(cpuAtStop);
            if (sender != null && consumerDied) {
                // Nobody verifies what it sends now: stop it (closing its channel) rather than wait for a
                // peer that may sit on a zero window, or its --seconds, to end it.
                senderThread.interrupt();
            }
            if (sender != null) {
                try {
                    Sender.Result s;
                    try {
                        s = sender.get(60, TimeUnit.SECONDS);
                    } catch (java.util.concurrent.TimeoutException e) {
                        throw new java.util.concurrent.TimeoutException(
                                "the built-in sender did not finish in 60 s after the receive ended");
                    }
                    sentBytes = s.bytes();
                    shaSent = s.sha256();
                } catch (java.util.concurrent.ExecutionException e) {
                    if (!consumerDied) {
                        throw e;
                    }
                    // we closed the connection on it: what it wrote until then
                    sentBytes = e.getCause() instanceof Sender.Stopped st ? st.bytes() : 0;
                    senderStopped = e.getCause().getCause() instanceof java.nio.channels.ClosedByInterruptException
                            ? "the demo stopped it when the consumer died"
                            : String.valueOf(e.getCause().getMessage());
                }
            }
            stats = dev.rxQueue(0).pagePool().stats();
            for (int q = 0; q < o.queues(); q++) {
                RxQueue rq = dev.rxQueue(q);
                rxCounters[0] += rq.rxPackets();
                rxCounters[1] += rq.rxDropped();
                rxCounters[2] += rq.rxMissed();
                rxCounters[3] += rq.rxAllocFail();
                rxCounters[4] += rq.rxNoBufs();
                rxCounters[5] += rq.rxRearms();
            }
        } finally {
            if (binding != null) {
                binding.close();
            }
            dev.close();
            if (dmabuf != null) {
                dmabuf.close();
            }
        }
        inflightAfter = awaitInflightZero(poolIds);
        return summarize(sentBytes, shaSent, totalReceived, seconds, conns, stats, tokensOutstanding, tokensReclaimed,
                inflightAfter, dmabuf);
    }

    /**
     * Starts a consumer JVM ({@link Consumer}) with {@code args}: this JVM's java, the consumer's
     * flags and this class path; its stderr goes to ours.
     */
    static Process startConsumerJvm(List<String> args) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(ProcessHandle.current().info().command().orElse("java"));
        cmd.addAll(CONSUMER_JVM_FLAGS);
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), Consumer.class.getName()));
        cmd.addAll(args);
        return new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
    }

    /** The consumer process of one connection and what connects the receiver to it. */
    private record ConsumerLink(Process process, DataOutputStream to, CompletableFuture<ConnResult> result,
                                Thread control, HandoffRings rings) {
    }

    /**
     * Starts the consumer JVM and waits until it has mapped the shared memory and is ready. In
     * zero-copy dma-buf mode, records and tokens cross through {@link HandoffRings}; the pipe then
     * carries only control (ready, end, result).
     */
    private ConsumerLink startConsumer(Dmabuf dmabuf, ZcrxIfq ifq) throws IOException {
        boolean zerocopy = o.mode().equals("zerocopy");
        boolean pattern = o.listenPort() < 0 && !o.verify().equals("sha256"); // listen: a client's bytes
        boolean hash = o.verify().equals("both") || o.verify().equals("sha256");
        String mapPath = zerocopy && dmabuf != null ? dmabuf.path().toString() : "-";
        HandoffRings rings = zerocopy && dmabuf != null && ifq == null
                ? HandoffRings.create(Dmabuf.DEFAULT_DIR, HANDOFF_ENTRIES) : null;
        List<String> args = new ArrayList<>();
        args.add(mapPath);
        args.add(pattern && hash ? "both" : pattern ? "pattern" : hash ? "sha256" : "none");
        if (zerocopy && ifq != null) {
            args.add(ifq.regionPath().toString());
        } else if (rings != null) {
            args.add(Consumer.HANDOFF_PREFIX + rings.path() + ":" + HANDOFF_ENTRIES);
        }
        Process consumer = startConsumerJvm(args);
        DataOutputStream toConsumer = new DataOutputStream(new BufferedOutputStream(consumer.getOutputStream(), 1 << 16));
        DataInputStream fromConsumer = new DataInputStream(new BufferedInputStream(consumer.getInputStream(), 1 << 16));
        CompletableFuture<ConnResult> result = new CompletableFuture<>();
        java.util.concurrent.CountDownLatch ready = new java.util.concurrent.CountDownLatch(1);
        Thread control = Thread.ofPlatform().name("demo-consumer-control").daemon().start(
                () -> readControl(fromConsumer, result, consumer, ready));
        try {
            if (!ready.await(60, TimeUnit.SECONDS) && !consumerDied) {
                throw new IOException("the consumer JVM did not become ready in 60 s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while starting the consumer", e);
        }
        return new ConsumerLink(consumer, toConsumer, result, control, rings);
    }

    /** Receives one connection until the stream ends and every byte was handed to the consumer. */
    private ConnResult receiveConnection(DevmemSocket sock, StreamWire wire, Dmabuf dmabuf, ZcrxIfq ifq,
                                         ConsumerLink link) throws Exception {
        boolean zerocopy = o.mode().equals("zerocopy");
        DataOutputStream toConsumer = link.to();
        HandoffRings rings = link.rings();
        Process consumer = link.process();
        CompletableFuture<ConnResult> result = link.result();
        Thread tokens = link.control();
        long bytes = 0;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment iov = arena.allocate(IOV_BYTES);
            DevmemControl control = DevmemControl.ofRecords(CONTROL_RECORDS); // cmsgs in memory: nothing allocated per frag
            byte[] heap = new byte[IOV_BYTES];
            ZcrxUserRing ring = !zerocopy && ifq != null ? ZcrxUserRing.open(ifq.regionPath(), dmabuf.path()) : null;
            long copied = 0;
            long lastProgress = System.nanoTime();
            try {
                while (!consumerDied) {
                    int n;
                    if (ifq != null) {
                        try {
                            n = IoUringZcrx.recvZc(sock, ifq, Duration.ofMillis(50));
                        } catch (dev.netmem.api.ErrnoException e) {
                            if (e.errno() != dev.netmem.api.Errno.ENOSPC) {
                                throw e;
                            }
                            n = 0; // the completion ring is full: whoever consumes it is behind
                            java.util.concurrent.locks.LockSupport.parkNanos(100_000);
                        }
                        if (ring != null) {
                            copied += drainCopy(ring, heap, toConsumer); // copy mode: the application drains the CQ
                        }
                    } else {
                        if (rings != null) {
                            returnHandedBack(sock, rings);
                        }
                        control.clear();
                        n = sock.recvmsg(iov, control, DevmemSocket.MSG_SOCK_DEVMEM, Duration.ofMillis(50));
                        if (n > 0) {
                            forward(sock, iov, control, n, zerocopy, dmabuf, heap, toConsumer, rings);
                        }
                    }
                    if (n > 0) {
                        bytes += n;
                        received.addAndGet(n);
                        lastProgress = System.nanoTime();
                        continue;
                    }
                    if (wire == null) {
                        if (sock.isEndOfStream()) { // the peer's FIN came after every byte it sent
                            break;
                        }
                    } else {
                        if (wire.failure() != null) {
                            throw new IOException("wire failed", wire.failure());
                        }
                        // Done when the wire hit end of stream and every byte it handed the NIC was received.
                        if (wire.await(Duration.ZERO) && bytes == wire.bytesSent()) {
                            break;
                        }
                    }
                    if (System.nanoTime() - lastProgress > TimeUnit.SECONDS.toNanos(30)) {
                        throw new IOException("no data for 30 s: received " + bytes + " bytes"
                                + (wire == null ? "" : " of " + wire.bytesSent() + " the NIC took") + "; "
                                + stallReport(ifq));
                    }
                }
                while (ring != null && copied < bytes && !consumerDied) {
                    copied += drainCopy(ring, heap, toConsumer);
                }
            } finally {
                if (ring != null) {
                    ring.close();
                }
            }
            if (!consumerDied) {
                toConsumer.writeByte(Consumer.OP_END);
                toConsumer.writeLong(bytes);
                toConsumer.flush();
            }
        } catch (IOException e) {
            if (!consumerDied) {
                throw e;
            }
        }
        ConnResult r;
        try {
            r = awaitResult(result, consumer, rings == null ? () -> "" : () -> " (" + rings.receiverState() + ")");
            if (rings != null) {
                returnHandedBack(sock, rings); // the consumer published its last tokens before its result
            }
        } finally {
            consumer.destroy();
            consumer.waitFor(10, TimeUnit.SECONDS);
            tokens.join(10_000);
            if (rings != null) {
                rings.close();
            }
        }
        return new ConnResult(bytes, r.sha256Verified(), r.patternErrors(), r.consumerOk());
    }

    /**
     * The consumer's result: normally its last control message; a consumer that exited without one is
     * dead even when its control pipe shows no end of file (a copy of the pipe's write end held by
     * another process would hide it). Waits at most 60 s for a live consumer; a timeout's message ends
     * with {@code state}'s account of the hand-off and where the consumer's main thread is.
     */
    private ConnResult awaitResult(CompletableFuture<ConnResult> result, Process consumer,
                                   java.util.function.Supplier<String> state) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        long exitedAt = 0;
        while (true) {
            try {
                return result.get(100, TimeUnit.MILLISECONDS);
            } catch (java.util.concurrent.TimeoutException e) {
                long now = System.nanoTime();
                if (!consumer.isAlive()) {
                    if (exitedAt == 0) {
                        exitedAt = now;
                    } else if (now - exitedAt > TimeUnit.SECONDS.toNanos(2)) { // its last message had time to arrive
                        consumerDied = true;
                        consumerFailure = "consumer process exited before finishing (exit code "
                                + consumer.exitValue() + ")";
                        result.complete(new ConnResult(0, "", 0, false));
                    }
                } else if (now - deadline > 0) {
                    throw new java.util.concurrent.TimeoutException(
                            "the consumer sent no result in 60 s after the stream ended" + state.get() + "; its "
                                    + ThreadDump.frames(consumer.pid(), "main", 8));
                }
            }
        }
    }

    /** The io_uring driver unless asked otherwise or unavailable (then the emulated NIC, saying why). */
    private NicDriver chooseDriver() {
        if (o.nic().equals("emulated")) {
            return NicDriver.emulated();
        }
        IoUringAvailability a = IoUringAvailability.check();
        if (!a.available()) {
            err.println("netmem demo: io_uring unavailable (" + a.message() + "): using the emulated NIC");
            return NicDriver.emulated();
        }
        bundles = o.uringGiven() ? o.bundles()
                : (a.features() & IoUringDescriptor.IORING_FEAT_RECVSEND_BUNDLE) != 0;
        return IoUringNic.builder().availability(() -> a).bundles(bundles).incremental(o.incremental())
                .bufferOrder(o.bufferOrder()).build();
    }

    /** Where connections come from: the io_uring driver's listener (it attaches them itself) or a server socket. */
    private static final class Endpoint implements AutoCloseable {
        private final IoUringNic.Listener listener;
        private final ServerSocket server;
        private int timeoutMillis;
        private IoUringNic.Connection last;

        Endpoint(IoUringNic.Listener listener) {
            this.listener = listener;
            this.server = null;
        }

        Endpoint(ServerSocket server) {
            this.listener = null;
            this.server = server;
        }

        int port() {
            return listener != null ? listener.port() : server.getLocalPort();
        }

        void setTimeout(int millis) throws IOException {
            timeoutMillis = millis;
            if (server != null) {
                server.setSoTimeout(millis);
            }
        }

        /**
         * The next connection: a socket for a wire to read (emulated), or {@code null} once the
         * io_uring driver accepted and attached one.
         */
        Socket accept() throws IOException {
            if (server != null) {
                return server.accept();
            }
            try {
                last = listener.nextAccepted(Duration.ofMillis(timeoutMillis));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new java.io.InterruptedIOException("interrupted waiting for a client");
            }
            if (last == null) {
                throw new java.net.SocketTimeoutException("no client connected in " + timeoutMillis + " ms");
            }
            return null;
        }

        /** Shuts down the io_uring connection last accepted (its peer stops sending). */
        void shutdownLast() {
            if (last != null) {
                last.shutdown();
            }
        }

        @Override
        public void close() throws IOException {
            if (listener != null) {
                listener.close();
            } else {
                server.close();
            }
        }
    }

    private String stallReport(ZcrxIfq ifq) {
        return (ifq == null ? "" : ifq.stats() + ", buffers out " + ifq.buffersOut() + ", ") + "page pool "
                + (statsPool == null ? "?" : statsPool.stats() + ", inflight " + statsPool.inflight());
    }

    /** User ring, copy mode: copies every ready completion to the heap, refills, forwards; returns bytes. */
    private static long drainCopy(ZcrxUserRing ring, byte[] heap, DataOutputStream to) {
        long[] done = {0};
        ring.poll((off, len, flags) -> {
            MemorySegment.copy(ring.data(off, len), ValueLayout.JAVA_BYTE, 0, heap, 0, len);
            while (!ring.refill(off, len)) {
                Thread.onSpinWait();
            }
            sendCopy(to, heap, len);
            done[0] += len;
        });
        return done[0];
    }

    private void forward(DevmemSocket sock, MemorySegment iov, DevmemControl records, int n, boolean zerocopy,
                         Dmabuf dmabuf, byte[] heap, DataOutputStream to, HandoffRings rings) throws IOException {
        if (records.count() == 0) { // readable data (host pages): recvmsg copied it into iov
            MemorySegment.copy(iov, ValueLayout.JAVA_BYTE, 0, heap, 0, n);
            sendCopy(to, heap, n);
            return;
        }
        long linear = 0;
        for (int r = 0; r < records.count(); r++) {
            int size = records.fragSize(r);
            if (!records.isDmabuf(r)) { // SCM_DEVMEM_LINEAR: recvmsg copied these bytes into iov
                MemorySegment.copy(iov, ValueLayout.JAVA_BYTE, linear, heap, 0, size);
                sendCopy(to, heap, size);
                linear += size;
            } else {
                long fragOffset = records.fragOffset(r);
                int fragToken = records.fragToken(r);
                if (zerocopy) {
                    while (rings.recordSpace() == 0) { // the consumer holds a full ring: take tokens back
                        rings.publishRecords();
                        if (returnHandedBack(sock, rings) == 0) {
                            if (consumerDied) {
                                throw new IOException("consumer died");
                            }
                            java.util.concurrent.locks.LockSupport.parkNanos(20_000);
                        }
                    }
                    rings.putRecord(fragOffset, size, fragToken);
                } else { // what a conventional receiver does: copy the payload into its own heap buffer
                    MemorySegment.copy(dmabuf.segment(), ValueLayout.JAVA_BYTE, fragOffset, heap, 0, size);
                    runBatch.set(ValueLayout.JAVA_INT, 0, fragToken);
                    runBatch.set(ValueLayout.JAVA_INT, 4, 1);
                    sock.dontneed(runBatch, DevmemSocket.DMABUF_TOKEN_SIZE);
                    tokensReturned.incrementAndGet();
                    sendCopy(to, heap, size);
                }
            }
        }
        if (rings != null) {
            rings.publishRecords(); // one release store per received batch
        }
        to.flush();
    }

    /**
     * Takes the tokens the consumer handed back through the token ring and returns them to the
     * socket, up to {@link DevmemSocket#MAX_DONTNEED_TOKENS} runs per {@code dontneed}; consecutive
     * tokens make one run. Returns the tokens taken.
     */
    private int returnHandedBack(DevmemSocket sock, HandoffRings rings) {
        int total = 0;
        int n;
        while ((n = rings.takeTokens(tokenBatch, tokenBatch.length)) > 0) {
            int runs = 0;
            int i = 0;
            while (i < n) {
                int startTok = tokenBatch[i];
                int count = 1;
                while (i + count < n && tokenBatch[i + count] == startTok + count) {
                    count++;
                }
                runBatch.set(ValueLayout.JAVA_INT, (long) runs * DevmemSocket.DMABUF_TOKEN_SIZE, startTok);
                runBatch.set(ValueLayout.JAVA_INT, (long) runs * DevmemSocket.DMABUF_TOKEN_SIZE + 4, count);
                runs++;
                i += count;
                if (runs == DevmemSocket.MAX_DONTNEED_TOKENS || i == n) {
                    tokensReturned.addAndGet(sock.dontneed(runBatch, (long) runs * DevmemSocket.DMABUF_TOKEN_SIZE));
                    runs = 0;
                }
            }
            total += n;
        }
        return total;
    }

    private static void sendCopy(DataOutputStream to, byte[] heap, int len) {
        try {
            to.writeByte(Consumer.OP_COPY);
            to.writeInt(len);
            to.write(heap, 0, len);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** Reads the consumer's control messages (ready, then its result); detects a dead consumer. */
    private void readControl(DataInputStream in, CompletableFuture<ConnResult> result, Process consumer,
                             java.util.concurrent.CountDownLatch ready) {
        try {
            while (true) {
                int op = in.readUnsignedByte();
                if (op == Consumer.OP_READY) {
                    ready.countDown();
                } else if (op == Consumer.OP_HASH) {
                    long bytes = in.readLong();
                    long errors = in.readLong();
                    String sha = in.readUTF();
                    consumerCpuNanos += in.readLong();
                    result.complete(new ConnResult(bytes, sha, errors, true));
                    return;
                } else {
                    throw new IOException("unknown consumer op " + op);
                }
            }
        } catch (EOFException e) {
            consumerDied = true;
            consumerFailure = "consumer process exited before finishing"
                    + (consumer.isAlive() ? "" : " (exit code " + consumer.exitValue() + ")");
            result.complete(new ConnResult(0, "", 0, false));
        } catch (Exception e) {
            consumerDied = true;
            consumerFailure = "consumer failed: " + e;
            result.complete(new ConnResult(0, "", 0, false));
        } finally {
            ready.countDown();
        }
    }

    /**
     * CPU seconds of the run: this process while the clock ran, plus every consumer JVM's from when it said
     * ready until it sent its result.
     */
    private double cpuSeconds() {
        return (cpuAtStop - cpuAtStart + consumerCpuNanos) / 1e9;
    }

    /** The names of {@code dev}'s NAPI instances, which its queues' poll threads carry. */
    private static java.util.Set<String> napiNames(NetDevice dev) {
        java.util.Set<String> names = new java.util.HashSet<>();
        for (int q = 0; q < dev.numRxQueues(); q++) {
            names.add(dev.rxQueue(q).napi().name());
        }
        return names;
    }

    /** CPU time of this process so far (user + system, every thread), in nanoseconds. */
    static long cpuNanos() {
        return ProcessHandle.current().info().totalCpuDuration().map(java.time.Duration::toNanos).orElse(0L);
    }

    /** Waits (up to 5 s) for every pool the demo used to release; returns what is still in flight. */
    private static long awaitInflightZero(List<Integer> poolIds) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (true) {
            long inflight = 0;
            for (int id : poolIds) {
                inflight += PagePool.byId(id).map(PagePool::inflight).orElse(0);
            }
            if (inflight == 0 || System.nanoTime() > deadline) {
                return inflight;
            }
            Thread.sleep(20);
        }
    }

    private int summarize(long sent, String shaSent, long got, double seconds, List<ConnResult> conns,
                          PagePoolStats stats, int tokensOutstanding, int tokensReclaimed, long inflightAfter,
                          Dmabuf dmabuf) {
        String shaVerified = conns.isEmpty() ? "" : conns.getLast().sha256Verified();
        long patternErrors = conns.stream().mapToLong(ConnResult::patternErrors).sum();
        boolean consumerOk = !consumerDied && conns.stream().allMatch(ConnResult::consumerOk);
        boolean verified = consumerOk && patternErrors == 0 && !conns.isEmpty()
                && (o.listenPort() > 0 || sent == got) // every byte the built-in sender sent arrived
                && (shaSent == null || shaSent.equals(shaVerified)); // null: no sender, or --verify pattern
        boolean filesGone = dmabuf == null || !java.nio.file.Files.exists(dmabuf.path());
        double gbps = seconds > 0 ? got * 8 / seconds / 1e9 : 0;
        PrintStream text = o.json() ? err : out;
        text.printf("%n== netmem demo summary ==%n");
        text.printf("nic %s%s, provider %s, mode %s, %d queue(s)%n", nicName, uringOptions(), o.provider(), o.mode(),
                o.queues());
        if (senderStopped != null) {
            text.printf("sent      %,d bytes, then the connection was closed on the sender (%s)%n", sent, senderStopped);
        } else if (shaSent != null) {
            text.printf("sent      %,d bytes  sha256 %s%n", sent, shaSent);
        }
        double cpuS = cpuSeconds();
        text.printf("received  %,d bytes in %.2f s = %.2f Gbit/s (clock from the consumer ready; set-up took %.2f s)%n",
                got, seconds, gbps, setupSeconds);
        text.printf("cpu       %.2f s in the receiver and consumer JVMs while receiving = %.2f s per GB%n", cpuS,
                got == 0 ? 0 : cpuS / (got / 1e9));
        if (cpuBy != null) {
            text.printf("          by thread: NAPI %.2f s, application %.2f s, sender %.2f s, consumer JVM %.2f s, "
                    + "rest of the receiver JVM (JIT, GC, others) %.2f s%n", cpuBy.napi(), cpuBy.application(),
                    cpuBy.sender(), consumerCpuNanos / 1e9, cpuBy.rest());
        }
        switch (o.verify()) {
            case "pattern" -> text.printf("verified  the pattern %s, pattern errors %d (no sha256: --verify pattern) -> %s%n",
                    howVerified(), patternErrors, verified ? "OK" : "FAILED");
            case "sha256" -> text.printf("verified  sha256 %s %s (pattern not checked: --verify sha256) -> %s%n",
                    shaVerified, howVerified(), verified ? "OK" : "FAILED");
            default -> text.printf("verified  sha256 %s %s, pattern errors %d -> %s%n", shaVerified, howVerified(),
                    patternErrors, verified ? "OK" : "FAILED");
        }
        if (consumerFailure != null) {
            text.printf("consumer  %s; its %d tokens were reclaimed by closing the socket%n", consumerFailure,
                    tokensReclaimed);
        }
        text.printf("page pool %s%n", stats);
        text.printf("rx queues packets %,d, dropped %,d, missed %,d, alloc fail %,d, ENOBUFS %,d, re-arms %,d%n",
                rxCounters[0], rxCounters[1], rxCounters[2], rxCounters[3], rxCounters[4], rxCounters[5]);
        text.printf("tokens outstanding %d, inflight after teardown %d, shared files removed %s%n",
                tokensOutstanding, inflightAfter, filesGone);
        boolean ok = verified && tokensOutstanding == 0 && inflightAfter == 0 && filesGone;
        if (o.json()) {
            out.println(json(sent, shaSent, got, seconds, gbps, shaVerified, verified, tokensOutstanding,
                    tokensReclaimed, inflightAfter, stats, patternErrors));
        }
        return ok ? 0 : 1;
    }

    /** The io_uring driver options in use, as {@code " (bundles, order=2)"}, or nothing. */
    private String uringOptions() {
        List<String> opts = new ArrayList<>();
        if (bundles) {
            opts.add("bundles");
        }
        if (o.incremental()) {
            opts.add("incremental");
        }
        if (o.bufferOrder() > 0) {
            opts.add("order=" + o.bufferOrder());
        }
        return opts.isEmpty() || !nicName.equals("io_uring") ? "" : " (" + String.join(", ", opts) + ")";
    }

    /** Where the consumer read what it verified: in place only for zerocopy from shared memory. */
    private String howVerified() {
        if (o.mode().equals("copy")) {
            return "by the consumer JVM from copies piped to it (--mode copy)";
        }
        if (o.provider().equals("host")) {
            return "by the consumer JVM from copies piped to it (host pages are not shared: recvmsg copied the payload)";
        }
        return "in place by the consumer JVM";
    }

    private String json(long sent, String shaSent, long got, double seconds, double gbps, String shaVerified,
                        boolean verified, int tokensOutstanding, int tokensReclaimed, long inflightAfter,
                        PagePoolStats s, long patternErrors) {
        StringBuilder b = new StringBuilder("{");
        b.append("\"nic\":\"").append(nicName).append("\",");
        b.append("\"provider\":\"").append(o.provider()).append("\",\"mode\":\"").append(o.mode()).append('"');
        b.append(",\"queues\":").append(o.queues());
        b.append(",\"bytes_sent\":").append(sent).append(",\"bytes\":").append(got);
        b.append(",\"seconds\":").append(String.format(Locale.ROOT, "%.3f", seconds));
        b.append(",\"gbps\":").append(String.format(Locale.ROOT, "%.3f", gbps));
        double cpuS = cpuSeconds();
        b.append(",\"setup_s\":").append(String.format(Locale.ROOT, "%.3f", setupSeconds));
        b.append(",\"cpu_s\":").append(String.format(Locale.ROOT, "%.3f", cpuS));
        b.append(",\"cpu_s_per_gb\":").append(String.format(Locale.ROOT, "%.4f", got == 0 ? 0 : cpuS / (got / 1e9)));
        if (cpuBy != null) {
            b.append(",\"cpu_s_napi\":").append(String.format(Locale.ROOT, "%.3f", cpuBy.napi()));
            b.append(",\"cpu_s_application\":").append(String.format(Locale.ROOT, "%.3f", cpuBy.application()));
            b.append(",\"cpu_s_sender\":").append(String.format(Locale.ROOT, "%.3f", cpuBy.sender()));
            b.append(",\"cpu_s_consumer\":").append(String.format(Locale.ROOT, "%.3f", consumerCpuNanos / 1e9));
            b.append(",\"cpu_s_rest\":").append(String.format(Locale.ROOT, "%.3f", cpuBy.rest()));
        }
        b.append(",\"sha256_sent\":").append(shaSent == null || consumerDied ? "null" : "\"" + shaSent + "\"");
        b.append(",\"sha256_verified\":\"").append(shaVerified).append('"');
        b.append(",\"verified\":").append(verified);
        b.append(",\"pattern_errors\":").append(patternErrors);
        b.append(",\"consumer_died\":").append(consumerDied);
        b.append(",\"tokens_outstanding\":").append(tokensOutstanding);
        b.append(",\"tokens_reclaimed\":").append(tokensReclaimed);
        b.append(",\"inflight_after\":").append(inflightAfter);
        b.append(",\"rx\":{");
        for (int i = 0; i < RX_COUNTER_NAMES.length; i++) {
            b.append(i == 0 ? "" : ",").append('"').append(RX_COUNTER_NAMES[i]).append("\":").append(rxCounters[i]);
        }
        b.append('}');
        if (s != null) {
            b.append(",\"page_pool\":{");
            String[] names = {"fast", "slow", "slow_high_order", "empty", "refill", "waive", "cached", "cache_full",
                "ring", "ring_full", "released_refcnt"};
            long[] v = s.toArray();
            for (int i = 0; i < names.length; i++) {
                b.append(i == 0 ? "" : ",").append('"').append(names[i]).append("\":").append(v[i]);
            }
            b.append('}');
        }
        return b.append('}').toString();
    }

    /** The live progress line on stderr. */
    private final class Progress {
        private final Thread thread;
        private volatile boolean stop;

        Progress(PagePool pool, long start) {
            thread = Thread.ofPlatform().daemon().name("demo-progress").start(() -> {
                long lastBytes = 0;
                long lastAt = start;
                while (!stop) {
                    try {
                        Thread.sleep(500);
                    } catch (InterruptedException e) {
                        return;
                    }
                    long b = received.get();
                    long now = System.nanoTime();
                    double s = (now - start) / 1e9;
                    double current = (b - lastBytes) * 8 / ((now - lastAt) / 1e9) / 1e9;
                    lastBytes = b;
                    lastAt = now;
                    String hit = "n/a";
                    if (pool.statsEnabled()) {
                        PagePoolStats st = pool.stats();
                        long allocs = st.fast() + st.refill() + st.empty();
                        hit = allocs == 0 ? "n/a" : String.format(Locale.ROOT, "%.1f%%", 100.0 * st.fast() / allocs);
                    }
                    err.printf("\r%,14d bytes  now %6.2f Gbit/s  mean %6.2f Gbit/s  in-flight %5d  fast-cache hits %s   ",
                            b, current, b * 8 / s / 1e9, pool.inflight(), hit);
                }
            });
        }

        void stop() throws InterruptedException {
            stop = true;
            thread.interrupt();
            thread.join(2000);
            err.println();
        }
    }
}
