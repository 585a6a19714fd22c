package dev.netmem.bench;

import dev.netmem.rxqueue.DevmemRecord;
import dev.netmem.rxqueue.DevmemSocket;
import dev.netmem.rxqueue.NetDevice;
import dev.netmem.rxqueue.RxQueue;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.time.Duration;
import java.util.ArrayList;
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
 * The full RX path through one queue of an emulated NIC ({@code rxqueue}): the benchmark thread is
 * the wire and the application; the queue's NAPI thread runs beside it.
 *
 * <pre>
 *   benchmark thread: NetDevice.receive ──► NIC DMA-writes a posted descriptor (page pool buffer)
 *   NAPI thread:      poll ──► skb (header frag + payload page) ──► socket; re-post from the pool
 *   benchmark thread: recvmsg copies the bytes out and frees the skb: not the NAPI thread, so the
 *                     buffers go to the pool's ring, and the NAPI's refills bring them back
 * </pre>
 *
 * One operation is one packet; {@link #BATCH} packets are sent, then read back, per invocation.
 * Packets per second are {@code 1e9 / (ns/op)}. Host pages for now: the dmabuf and user-ring queues
 * need their own application side (devmem tokens, the zcrx refill ring).
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

    /** Creates the benchmark (JMH instantiates it). */
    public Bench3RxPath() {
    }

    /** A one-queue device up, with a socket on {@link #DST_PORT}. */
    @State(Scope.Thread)
    public static class Rx {
        /** The memory behind the queue; host pages only, for now. */
        @Param({PoolMemory.HOST})
        public String provider;
        /** TCP payload bytes per packet. */
        @Param({"1024"})
        public int payloadSize;
        NetDevice device;
        DevmemSocket socket;
        MemorySegment payload;
        MemorySegment iov;
        final List<DevmemRecord> records = new ArrayList<>();
        long sentBytes;
        long readBytes;
        private final Arena arena = Arena.ofShared();

        /** Creates the state (JMH instantiates it). */
        public Rx() {
        }

        /** Brings the device up and opens the socket. */
        @Setup(Level.Trial)
        public void open() {
            if (!PoolMemory.HOST.equals(provider)) {
                throw new IllegalArgumentException("the RX path benchmark supports host pages only: " + provider);
            }
            payload = arena.allocate(payloadSize);
            for (int i = 0; i < payloadSize; i++) {
                payload.set(ValueLayout.JAVA_BYTE, i, (byte) i);
            }
            iov = arena.allocate((long) BATCH * payloadSize);
            device = NetDevice.builder("bench-rx").rxQueues(1).build();
            device.open();
            socket = device.openSocket(DST_PORT);
        }

        /** Reads what has arrived, without waiting. */
        void readAvailable() {
            readBytes += socket.recvmsg(iov, records, DevmemSocket.MSG_DONTWAIT, Duration.ZERO);
        }

        /** Logs the queue's counters, closes the socket and unregisters the device. */
        @TearDown(Level.Trial)
        public void close() {
            RxQueue q = device.rxQueue(0);
            System.out.println("[netmem-bench] rxPath/" + provider + ": rxPackets=" + q.rxPackets() + ", rxMissed="
                    + q.rxMissed() + ", rxAllocFail=" + q.rxAllocFail() + ", rxDropped=" + q.rxDropped());
            socket.close();
            device.unregister();
            arena.close();
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
                s.readAvailable();
                Thread.onSpinWait();
            }
        }
        while (s.readBytes < s.sentBytes) {
            s.readBytes += s.socket.recvmsg(s.iov, s.records, 0, READ_WAIT);
        }
        return s.readBytes;
    }
}
