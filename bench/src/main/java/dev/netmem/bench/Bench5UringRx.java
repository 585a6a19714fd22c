package dev.netmem.bench;

import dev.netmem.api.NetIov;
import dev.netmem.providers.dmabuf.Dmabuf;
import dev.netmem.rxqueue.net.SkBuff;
import dev.netmem.rxqueue.netdev.Netdev;
import dev.netmem.rxqueue.netdev.RxBinding;
import dev.netmem.rxqueue.nic.IoUringNic;
import dev.netmem.rxqueue.nic.NetDevice;
import dev.netmem.rxqueue.nic.RxQueue;
import dev.netmem.rxqueue.stack.DevmemSocket;
import dev.netmem.rxqueue.stack.NetStack;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * The io_uring driver's receive path, driver to socket, on a real loopback TCP stream: per received
 * frag (one provided buffer the kernel filled), the time and the garbage of
 *
 * <pre>
 *   kernel:            tcp_recvmsg copies into a buffer posted on the queue's provided-buffer ring
 *   NAPI thread:       completion ──► NetIov by buffer id ──► skb (header frag + payload frags, one per
 *                      buffer; a bundle's buffers share an skb) ──► NetStack ──► socket; ring refill
 *   benchmark thread:  tcp_read_sock (the path io_uring's zcrx receive takes) consumes each skb and
 *                      frees it: the buffers go home through the pool's ring, off the NAPI thread
 * </pre>
 *
 * A sender thread in the same fork writes the stream as fast as the socket takes it. JMH's GC profiler
 * counts every thread of the fork (the NAPI thread and the sender included), so {@code B/op} is the
 * garbage per frag of the whole receive path. One operation is one frag; {@link #BATCH} frags per
 * invocation (a frag left over from an skb counts towards the next invocation).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(jvmArgsAppend = {BenchMain.UNSAFE_ALLOWED, "--enable-native-access=ALL-UNNAMED"})
public class Bench5UringRx {
    /** Frags per invocation. */
    public static final int BATCH = 64;
    static final Duration WAIT = Duration.ofMillis(50);

    /** Creates the benchmark (JMH instantiates it). */
    public Bench5UringRx() {
    }

    /** A one-queue io_uring device, the provider bound, a listener, a socket, and a sender streaming into it. */
    @State(Scope.Thread)
    public static class Rx {
        /** The memory behind the queue: host pages or a dma-buf binding. */
        @Param({PoolMemory.HOST, PoolMemory.DMABUF})
        public String provider;
        /**
         * The driver's buffer-ring options: {@code none}, {@code bundles} (several buffers per
         * completion), {@code incremental} ({@code IOU_PBUF_RING_INC}), {@code order2} / {@code order4}
         * (16 / 64 KiB buffers, host pages only), or a {@code +}-joined combination.
         */
        @Param({"none", "bundles"})
        public String opts;
        NetDevice device;
        DevmemSocket socket;
        long frags;
        long bytes;
        private IoUringNic.Listener listener;
        private RxBinding binding;
        private Thread sender;
        private volatile boolean stop;
        final DevmemSocket.SkbReader reader = this::read;

        /** Creates the state (JMH instantiates it). */
        public Rx() {
        }

        private int read(SkBuff skb, int offset, int len) {
            if (offset == 0) {
                frags += skb.nrFrags();
            }
            bytes += len;
            return len;
        }

        /** Brings the device up with the driver, binds the provider, listens, opens the socket, starts the sender. */
        @Setup(Level.Trial)
        public void open() throws IOException {
            IoUringNic.Builder nb = IoUringNic.builder().bundles(opts.contains("bundles"))
                    .incremental(opts.contains("incremental"));
            if (opts.contains("order")) {
                nb.bufferOrder(Integer.parseInt(opts.substring(opts.indexOf("order") + 5, opts.indexOf("order") + 6)));
            }
            IoUringNic nic = nb.build();
            device = NetDevice.builder("bench-uring").rxQueues(1).ringSize(256).driver(nic).build();
            device.open();
            if (provider.equals(PoolMemory.DMABUF)) {
                Dmabuf dmabuf = Dmabuf.create(4096L * NetIov.PAGE_SIZE);
                binding = Netdev.open().bindRx(device, dmabuf, 0);
                dmabuf.close(); // the binding holds its own reference
            } else if (!provider.equals(PoolMemory.HOST)) {
                throw new IllegalArgumentException("unknown provider '" + provider + "'");
            }
            listener = nic.listen(0);
            socket = NetStack.of(device).openSocket(listener.port());
            int port = listener.port();
            sender = Thread.ofPlatform().daemon().name("bench-sender").start(() -> send(port));
        }

        private void send(int port) {
            ByteBuffer buf = ByteBuffer.allocateDirect(1 << 20);
            try (SocketChannel ch = SocketChannel.open(new InetSocketAddress(InetAddress.getLoopbackAddress(), port))) {
                while (!stop) {
                    buf.clear();
                    ch.write(buf);
                }
            } catch (IOException e) {
                if (!stop) {
                    throw new java.io.UncheckedIOException(e);
                }
            }
        }

        /** Logs the queue's counters, then stops the sender and closes everything. */
        @TearDown(Level.Trial)
        public void close() throws InterruptedException {
            RxQueue q = device.rxQueue(0);
            System.out.println("[netmem-bench] uringRx/" + provider + "/" + opts + ": rxPackets="
                    + q.rxPackets() + ", rxNoBufs=" + q.rxNoBufs() + ", rxRearms=" + q.rxRearms() + ", rxDropped="
                    + q.rxDropped() + ", frags read=" + frags + ", bytes read=" + bytes);
            stop = true;
            socket.close();
            listener.close();
            if (binding != null) {
                binding.close();
            }
            device.unregister();
            sender.join(10_000);
        }
    }

    /** Reads skbs until {@link #BATCH} more frags have been consumed. */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public long uringRx(Rx s) {
        long target = s.frags + BATCH;
        while (s.frags < target) {
            s.socket.readSock(s.reader, 16, WAIT);
        }
        return s.bytes;
    }
}
