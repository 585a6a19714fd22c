package dev.netmem.uring;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A small measurement, not a unit test: one loopback TCP stream per run (1 GiB by default), received
 * by (a) Java NIO {@code SocketChannel.read} into a 1 MiB direct buffer and (b) a multishot
 * {@code IORING_OP_RECV} into a provided-buffer ring of 4, 16 and 64 KiB buffers in a /dev/shm
 * mapping, with and without bundles. Variants alternate within each repetition; medians in Gbit/s.
 * The sender is a Java NIO thread writing a pre-filled 1 MiB buffer; bytes are counted, not verified
 * (the tests verify).
 *
 * <pre>
 * mvn -B -q -pl uring test-compile exec:exec@recv-throughput [-Drecv.args="--gib 1 --reps 5 --buffers 256"]
 * </pre>
 */
public final class RecvThroughput {
    private static final int CHUNK = 1 << 20;

    private RecvThroughput() {
    }

    /** {@code --gib N} (stream size), {@code --reps N}, {@code --buffers N} (ring entries for every buffer size). */
    public static void main(String[] args) throws Exception {
        long bytes = 1L << 30;
        int reps = 5;
        int buffers = 256;
        for (int i = 0; i + 1 < args.length; i += 2) {
            switch (args[i]) {
                case "--gib" -> bytes = (long) (Double.parseDouble(args[i + 1]) * (1L << 30));
                case "--reps" -> reps = Integer.parseInt(args[i + 1]);
                case "--buffers" -> buffers = Integer.parseInt(args[i + 1]);
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        IoUringAvailability a = IoUringAvailability.check();
        System.out.println(a.message());
        if (!a.available()) {
            return;
        }
        Map<String, List<Double>> results = new LinkedHashMap<>();
        List<String> variants = new ArrayList<>(List.of("nio read, 1 MiB direct buffer"));
        for (int size : new int[] {4096, 16384, 65536}) {
            for (boolean bundle : new boolean[] {false, true}) {
                variants.add(uringName(buffers, size, bundle));
            }
        }
        variants.forEach(v -> results.put(v, new ArrayList<>()));
        System.out.printf("%d MiB per run, %d repetitions, variants alternate, %d available processors%n",
                bytes >> 20, reps, Runtime.getRuntime().availableProcessors());
        for (int rep = 1; rep <= reps; rep++) {
            for (String v : variants) {
                double gbps = v.startsWith("nio") ? nio(bytes) : uring(bytes, buffers, bufSize(v), v.endsWith("bundles"));
                results.get(v).add(gbps);
                System.out.printf("  rep %d  %-52s %6.2f Gbit/s%n", rep, v, gbps);
            }
        }
        System.out.printf("%n%-52s %8s %16s%n", "receive path", "median", "range");
        for (var e : results.entrySet()) {
            double[] xs = e.getValue().stream().mapToDouble(Double::doubleValue).sorted().toArray();
            System.out.printf("%-52s %8.2f %7.2f - %6.2f%n", e.getKey(), xs[xs.length / 2], xs[0], xs[xs.length - 1]);
        }
    }

    private static String uringName(int buffers, int size, boolean bundle) {
        return "io_uring multishot recv, " + buffers + " x " + size / 1024 + " KiB" + (bundle ? ", bundles" : "");
    }

    private static int bufSize(String variant) {
        String kib = variant.substring(variant.indexOf(" x ") + 3, variant.indexOf(" KiB"));
        return Integer.parseInt(kib) * 1024;
    }

    private static Thread sender(int port, long bytes) {
        Thread t = new Thread(() -> {
            try (SocketChannel ch = SocketChannel.open(new InetSocketAddress("127.0.0.1", port))) {
                ByteBuffer buf = ByteBuffer.allocateDirect(CHUNK);
                new Pattern(1).fill(buf, 0);
                long left = bytes;
                while (left > 0) {
                    buf.clear().limit((int) Math.min(CHUNK, left));
                    while (buf.hasRemaining()) {
                        left -= ch.write(buf);
                    }
                }
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }, "sender");
        t.setDaemon(true);
        t.start();
        return t;
    }

    private static double gbps(long bytes, long nanos) {
        return bytes * 8.0 / nanos;
    }

    private static double nio(long bytes) throws Exception {
        try (ServerSocketChannel server = ServerSocketChannel.open()) {
            server.setOption(StandardSocketOptions.SO_REUSEADDR, true);
            server.bind(new InetSocketAddress("127.0.0.1", 0));
            Thread sender = sender(((InetSocketAddress) server.getLocalAddress()).getPort(), bytes);
            try (SocketChannel ch = server.accept()) {
                ByteBuffer buf = ByteBuffer.allocateDirect(CHUNK);
                long start = System.nanoTime();
                long received = 0;
                for (int n; (n = ch.read(buf.clear())) >= 0; ) {
                    received += n;
                }
                long nanos = System.nanoTime() - start;
                sender.join();
                check(received, bytes, "nio");
                return gbps(received, nanos);
            }
        }
    }

    private static double uring(long bytes, int buffers, int bufSize, boolean bundle) throws Exception {
        int listener = Sockets.tcpSocket();
        try (IoUring ring = IoUring.open(IoUringParams.of(64, 4096));
             ShmBuffers area = new ShmBuffers(buffers, bufSize);
             BufRing bufs = BufRing.register(ring, 0, buffers, 0)) {
            area.segment().fill((byte) 0); // fault the pages in before the clock starts, as a pool's are
            Sockets.setReuseAddr(listener, true);
            Sockets.bindLoopback(listener, 0);
            Sockets.listen(listener, 1);
            Thread sender = sender(Sockets.localPort(listener), bytes);
            int fd = Sockets.accept(listener);
            try {
                MultishotReceiver rx = new MultishotReceiver(ring, bufs, area, fd, bundle, null);
                long start = System.nanoTime();
                rx.start();
                rx.runToEnd();
                long nanos = System.nanoTime() - start;
                sender.join();
                check(rx.received, bytes, "io_uring " + rx);
                if (!rx.eof) {
                    throw new IllegalStateException("stream did not end with EOF: " + rx);
                }
                return gbps(rx.received, nanos);
            } finally {
                Sockets.close(fd);
            }
        } finally {
            Sockets.close(listener);
        }
    }

    private static void check(long received, long expected, String what) {
        if (received != expected) {
            throw new IllegalStateException(what + ": received " + received + " of " + expected + " bytes "
                    + Arrays.toString(new long[] {received, expected}));
        }
    }
}
