package dev.netmem.rxqueue.wire;

import dev.netmem.rxqueue.nic.NetDevice;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.Objects;
import java.util.SplittableRandom;
import java.util.concurrent.locks.LockSupport;

/**
 * A synthetic packet generator: {@code count} TCP segments of one flow with payload sizes drawn
 * from {@code [minSize, maxSize]}, paced at {@code ratePps} (0 = as fast as the device takes them),
 * payload bytes from a {@link PayloadPattern} applied to the running stream offset. Reliable mode
 * retries packets the device refuses, so a receiver sees the whole stream in order.
 */
public final class SyntheticWire implements Wire {
    private final Gen gen;

    private SyntheticWire(Builder b) {
        gen = new Gen(b);
    }

    /** A builder for a flow from {@code srcPort} to {@code dstPort} of {@code device}. */
    public static Builder builder(NetDevice device, int srcPort, int dstPort) {
        return new Builder(device, srcPort, dstPort);
    }

    @Override
    public long packetsSent() {
        return gen.packets;
    }

    @Override
    public long bytesSent() {
        return gen.bytes;
    }

    /** Packets the device refused (unreliable mode only). */
    public long packetsRefused() {
        return gen.refused;
    }

    @Override
    public boolean await(Duration timeout) throws InterruptedException {
        return gen.awaitThread(timeout);
    }

    @Override
    public void close() {
        gen.stopThread();
    }

    private static final class Gen extends WireThread {
        private final long count;
        private final int minSize;
        private final int maxSize;
        private final long ratePps;
        private final PayloadPattern pattern;
        private final boolean reliable;
        private final SplittableRandom random;
        volatile long refused;

        Gen(Builder b) {
            super(b.device, b.srcPort, b.dstPort, "wire-" + b.device.name() + "-" + b.srcPort + ">" + b.dstPort);
            this.count = b.count;
            this.minSize = b.minSize;
            this.maxSize = b.maxSize;
            this.ratePps = b.ratePps;
            this.pattern = b.pattern;
            this.reliable = b.reliable;
            this.random = new SplittableRandom(b.seed);
        }

        @Override
        void run() {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment buf = arena.allocate(maxSize);
                long offset = 0;
                long gap = ratePps == 0 ? 0 : 1_000_000_000L / ratePps;
                long next = System.nanoTime();
                for (long i = 0; i < count && !stop; i++) {
                    int size = minSize == maxSize ? minSize : random.nextInt(minSize, maxSize + 1);
                    MemorySegment p = buf.asSlice(0, size);
                    pattern.fill(p, offset);
                    if (gap > 0) {
                        next += gap;
                        long wait = next - System.nanoTime();
                        if (wait > 0) {
                            LockSupport.parkNanos(wait);
                        }
                    }
                    if (send(p, reliable)) {
                        offset += size;
                    } else {
                        refused = refused + 1;
                    }
                }
            }
        }
    }

    /** Builds and starts a {@link SyntheticWire}. */
    public static final class Builder {
        private final NetDevice device;
        private final int srcPort;
        private final int dstPort;
        private long count = Long.MAX_VALUE;
        private int minSize = 1024;
        private int maxSize = 1024;
        private long ratePps;
        private PayloadPattern pattern = PayloadPattern.repeating(7);
        private boolean reliable = true;
        private long seed = 1;

        private Builder(NetDevice device, int srcPort, int dstPort) {
            this.device = Objects.requireNonNull(device, "device");
            this.srcPort = srcPort;
            this.dstPort = dstPort;
        }

        /** Packets to send; default unbounded (until closed). */
        public Builder count(long n) {
            count = n;
            return this;
        }

        /** Payload sizes, uniform in {@code [min, max]}; default 1024. */
        public Builder sizes(int min, int max) {
            minSize = min;
            maxSize = max;
            return this;
        }

        /** Packets per second, 0 for unpaced; default 0. */
        public Builder ratePps(long pps) {
            ratePps = pps;
            return this;
        }

        /** The payload pattern; default {@code repeating(7)}. */
        public Builder pattern(PayloadPattern p) {
            pattern = Objects.requireNonNull(p, "pattern");
            return this;
        }

        /** Retry refused packets (default) or count them as refused. */
        public Builder reliable(boolean r) {
            reliable = r;
            return this;
        }

        /** Seed of the size distribution. */
        public Builder seed(long s) {
            seed = s;
            return this;
        }

        /**
         * Validates and starts the generator thread.
         *
         * @throws IllegalArgumentException if a parameter is out of range
         */
        public SyntheticWire start() {
            if (minSize < 1 || maxSize < minSize || count < 0 || ratePps < 0) {
                throw new IllegalArgumentException("need 1 <= minSize <= maxSize, count >= 0, ratePps >= 0: minSize="
                        + minSize + ", maxSize=" + maxSize + ", count=" + count + ", ratePps=" + ratePps);
            }
            SyntheticWire w = new SyntheticWire(this);
            w.gen.start();
            return w;
        }
    }
}
