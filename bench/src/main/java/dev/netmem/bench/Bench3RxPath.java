package dev.netmem.bench;

import dev.netmem.api.NetIov;
import dev.netmem.providers.dmabuf.Dmabuf;
import dev.netmem.providers.zcrx.ZcrxArea;
import dev.netmem.providers.zcrx.ZcrxIfq;
import dev.netmem.providers.zcrx.ZcrxUserRing;
import dev.netmem.rxqueue.netdev.Netdev;
import dev.netmem.rxqueue.netdev.RxBinding;
import dev.netmem.rxqueue.nic.NetDevice;
import dev.netmem.rxqueue.nic.RxQueue;
import dev.netmem.rxqueue.stack.DevmemControl;
import dev.netmem.rxqueue.stack.DevmemSocket;
import dev.netmem.rxqueue.stack.DmabufToken;
import dev.netmem.rxqueue.stack.NetStack;
import dev.netmem.rxqueue.zcrx.IoUringZcrx;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.time.Duration;
import java.util.List;
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
 * The full RX path through one queue of an emulated NIC ({@code rxqueue}), per provider: the
 * benchmark thread is the wire and the application; the queue's NAPI thread runs beside it.
 *
 * <pre>
 *   benchmark thread: NetDevice.receive ──► NIC DMA-writes a posted descriptor (page pool buffer)
 *   NAPI thread:      poll ──► skb (header frag + payload buffer) ──► socket; re-post from the pool
 *   benchmark thread: the application reads and frees, off the NAPI thread, so the buffers go back
 *                     through the pool's ring and the NAPI's refills bring them back:
 *                       host       recvmsg copies the payload out and frees the skb
 *                       dmabuf     recvmsg(MSG_SOCK_DEVMEM) returns dma-buf records; their tokens
 *                                  go back with dontneed
 *                       user_ring  recvZc posts completions; the user ring reads them and refills
 * </pre>
 *
 * One operation is one packet; {@link #BATCH} packets are sent, then read back, per invocation.
 * Packets per second are {@code 1e9 / (ns/op)}.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(jvmArgsAppend = BenchMain.UNSAFE_ALLOWED)
public class Bench3RxPath {
    /** Packets per invocation: one NAPI budget. */
    public static final int BATCH = 64;
    static final int SRC_PORT = 40000;
    static final int DST_PORT = 5201;
    /** How long a read waits for the NAPI thread before it tries again. */
    static final Duration READ_WAIT = Duration.ofMillis(10);
    /** Buffers of the dma-buf or user area behind the queue. */
    static final int AREA_PAGES = 4096;

    /** Creates the benchmark (JMH instantiates it). */
    public Bench3RxPath() {
    }

    /** A one-queue device up, bound to the provider, with a socket on {@link #DST_PORT}. */
    @State(Scope.Thread)
    public static class Rx {
        /** The memory behind the queue ({@link PoolMemory} names). */
        @Param({PoolMemory.HOST, PoolMemory.DMABUF, PoolMemory.USER_RING})
        public String provider;
        /** TCP payload bytes per packet. */
        @Param({"1024"})
        public int payloadSize;
        NetDevice device;
        DevmemSocket socket;
        MemorySegment payload;
        long sentBytes;
        long readBytes;
        private App app;
        private RxBinding binding;

        /** Creates the state (JMH instantiates it). */
        public Rx() {
        }

        /** Brings the device up, binds the provider to queue 0 and opens the socket. */
        @Setup(Level.Trial)
        public void open() {
            payload = Arena.ofAuto().allocate(payloadSize);
            for (int i = 0; i < payloadSize; i++) {
                payload.set(ValueLayout.JAVA_BYTE, i, (byte) i);
            }
            device = NetDevice.builder("bench-rx").rxQueues(1).build();
            device.open();
            socket = NetStack.of(device).openSocket(DST_PORT);
            app = switch (provider) {
                case PoolMemory.HOST -> new CopyApp(socket, payloadSize);
                case PoolMemory.DMABUF -> {
                    Dmabuf dmabuf = Dmabuf.create((long) AREA_PAGES * NetIov.PAGE_SIZE);
                    binding = Netdev.open().bindRx(device, dmabuf, 0);
                    dmabuf.close(); // the binding holds its own reference
                    yield new DevmemApp(socket);
                }
                case PoolMemory.USER_RING -> {
                    MemorySegment area = Arena.ofAuto().allocate((long) AREA_PAGES * NetIov.PAGE_SIZE,
                            NetIov.PAGE_SIZE);
                    binding = IoUringZcrx.bindRxUserRing(Netdev.open(), device, ZcrxArea.ofUserMemory(area), 0, AREA_PAGES,
                            2 * AREA_PAGES, Dmabuf.DEFAULT_DIR);
                    ZcrxIfq ifq = (ZcrxIfq) binding.provider();
                    yield new UserRingApp(socket, ifq, ZcrxUserRing.open(ifq.regionPath(), area));
                }
                default -> throw new IllegalArgumentException("unknown provider '" + provider + "'");
            };
        }

        /** Reads what has arrived, waiting up to {@code wait} for the first bytes. */
        void read(Duration wait) {
            readBytes += app.read(wait);
        }

        /** Logs the queue's counters, then closes the socket, the binding and the device. */
        @TearDown(Level.Trial)
        public void close() {
            RxQueue q = device.rxQueue(0);
            System.out.println("[netmem-bench] rxPath/" + provider + ": rxPackets=" + q.rxPackets() + ", rxMissed="
                    + q.rxMissed() + ", rxAllocFail=" + q.rxAllocFail() + ", rxDropped=" + q.rxDropped());
            app.close();
            socket.close();
            if (binding != null) {
                binding.close();
            }
            device.unregister();
        }
    }

    /**
     * {@link #BATCH} packets in from the wire, then read out on this (application) thread. A packet
     * the NIC refuses (no posted descriptor yet, or the receive window full) is retried after reading
     * what has arrived, as a reliable sender would.
     */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public long rxPath(Rx s) {
        for (int sent = 0; sent < BATCH; ) {
            if (s.device.receive(SRC_PORT, DST_PORT, s.payload)) {
                sent++;
                s.sentBytes += s.payloadSize;
            } else {
                s.read(Duration.ZERO);
                Thread.onSpinWait();
            }
        }
        while (s.readBytes < s.sentBytes) {
            s.read(READ_WAIT);
        }
        return s.readBytes;
    }

    /** The application side of one provider: reads, and gives the buffers back. */
    private interface App extends AutoCloseable {
        /** Bytes read, waiting up to {@code wait} for the first. */
        long read(Duration wait);

        @Override
        default void close() {
        }
    }

    /** Host pages: {@code recvmsg} copies the payload out and frees each skb. */
    private record CopyApp(DevmemSocket socket, MemorySegment iov) implements App {
        CopyApp(DevmemSocket socket, int payloadSize) {
            this(socket, Arena.ofAuto().allocate((long) BATCH * payloadSize));
        }

        @Override
        public long read(Duration wait) {
            return socket.recvmsg(iov, List.of(), wait.isZero() ? DevmemSocket.MSG_DONTWAIT : 0, wait);
        }
    }

    /** devmem TCP: records for the payload left in the dma-buf, tokens returned with {@code dontneed}. */
    private static final class DevmemApp implements App {
        private final DevmemSocket socket;
        private final MemorySegment linear = Arena.ofAuto().allocate(64L << 10);
        /** cmsgs written into memory ({@code put_cmsg}): a record per frag, no object per record. */
        private final DevmemControl records = DevmemControl.ofRecords(1024);
        /** {@code runs[k]} holds {@code k} tokens: {@code dontneed} takes the whole array. */
        private final DmabufToken[][] runs = new DmabufToken[DevmemSocket.MAX_DONTNEED_TOKENS + 1][];
        /** One token object per token value, made once: the application side allocates nothing. */
        private final DmabufToken[] tokenOf = new DmabufToken[1 << 16];

        DevmemApp(DevmemSocket socket) {
            this.socket = socket;
            for (int k = 0; k < runs.length; k++) {
                runs[k] = new DmabufToken[k];
            }
        }

        @Override
        public long read(Duration wait) {
            records.clear();
            int flags = DevmemSocket.MSG_SOCK_DEVMEM | (wait.isZero() ? DevmemSocket.MSG_DONTWAIT : 0);
            long n = socket.recvmsg(linear, records, flags, wait);
            DmabufToken[] full = runs[DevmemSocket.MAX_DONTNEED_TOKENS];
            int k = 0;
            for (int r = 0; r < records.count(); r++) {
                if (records.isDmabuf(r)) {
                    full[k++] = token(records.fragToken(r));
                    if (k == full.length) {
                        socket.dontneed(full);
                        k = 0;
                    }
                }
            }
            if (k > 0) {
                System.arraycopy(full, 0, runs[k], 0, k);
                socket.dontneed(runs[k]);
            }
            return n;
        }

        private DmabufToken token(int t) {
            DmabufToken tok = t < tokenOf.length ? tokenOf[t] : null;
            if (tok == null) {
                tok = DmabufToken.of(t);
                if (t < tokenOf.length) {
                    tokenOf[t] = tok;
                }
            }
            return tok;
        }
    }

    /** io_uring zcrx: {@code recvZc} posts completions; the user ring reads them and refills. */
    private static final class UserRingApp implements App {
        private final DevmemSocket socket;
        private final ZcrxIfq ifq;
        private final ZcrxUserRing ring;
        private final ZcrxUserRing.CompletionHandler refill;
        private long completed;

        UserRingApp(DevmemSocket socket, ZcrxIfq ifq, ZcrxUserRing ring) {
            this.socket = socket;
            this.ifq = ifq;
            this.ring = ring;
            this.refill = (off, len, flags) -> {
                completed += len;
                ring.refill(off, len);
            };
        }

        @Override
        public long read(Duration wait) {
            IoUringZcrx.recvZc(socket, ifq, wait);
            long before = completed;
            ring.poll(refill);
            return completed - before;
        }

        @Override
        public void close() {
            ring.close();
        }
    }
}
