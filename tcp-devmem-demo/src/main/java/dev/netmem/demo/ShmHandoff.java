package dev.netmem.demo;

import dev.netmem.providers.dmabuf.Dmabuf;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * The conventional receiver that moves the data the way netmem's dma-buf zero-copy path does, with
 * nothing of netmem in it: {@code SocketChannel.read} straight into a file in {@code /dev/shm}
 * (the kernel's one receive copy lands in shared memory), each read published as a record on the
 * demo's {@link HandoffRings}, and the demo's {@link Consumer} JVM verifying it in place and handing
 * the slot back. One receiving thread, reads of up to 1 MiB, no page pool, no tokens held per
 * buffer: about the least a receiver written in Java has to do to get received bytes checked in
 * place by another process. The receive benchmark runs it as {@code nio_shm}, beside netmem's
 * cross-process paths, as the conventional design to hold them against.
 *
 * <p>The file is a byte ring of {@link #REGION_BYTES}: a read never wraps (it stops at the end of
 * the file), and space is reused once the consumer has returned the record that held it. The
 * consumer returns records in the order it got them, so the returned token with the highest
 * sequence number says how far the ring is free.
 *
 * <p>Use: {@link #start} (the consumer JVM is ready when it returns), {@link #receive} for the
 * connection, then {@link #finish}; {@link #close} always.
 */
public final class ShmHandoff implements AutoCloseable {
    /** The shared file's size, as the demo's dma-buf for 64 KiB buffers. */
    public static final long REGION_BYTES = 64L << 20;
    /** The largest read, as the plain NIO receiver's buffer. */
    public static final int READ_BYTES = 1 << 20;
    /** Records the consumer may hold (a power of two). */
    private static final int ENTRIES = 1024;

    private final Path file;
    private final MappedByteBuffer region;
    private final HandoffRings rings;
    private final Process consumer;
    private final DataOutputStream toConsumer;
    private final DataInputStream fromConsumer;
    private final long[] ends = new long[ENTRIES];
    private final int[] tokens = new int[ENTRIES];
    private long freed;
    private boolean finished;

    /** What the consumer JVM reported at the end. */
    public record Outcome(long bytesVerified, long patternErrors, String sha256, long consumerCpuNanos) {
        /**
         * Whether it checked exactly {@code expected} bytes and found them right: no pattern error,
         * and for a run that hashed, the stream's SHA-256.
         */
        public boolean verified(long expected) {
            return bytesVerified == expected && patternErrors == 0
                    && (sha256.isEmpty() || sha256.equals(HexFormat.of().formatHex(StreamPattern.sha256(expected))));
        }
    }

    private ShmHandoff(Path file, MappedByteBuffer region, HandoffRings rings, Process consumer) {
        this.file = file;
        this.region = region;
        this.rings = rings;
        this.consumer = consumer;
        this.toConsumer = new DataOutputStream(new BufferedOutputStream(consumer.getOutputStream(), 1 << 12));
        this.fromConsumer = new DataInputStream(new BufferedInputStream(consumer.getInputStream(), 1 << 12));
    }

    /**
     * Creates the shared file and rings and starts the consumer JVM; returns once it says it is ready.
     *
     * @param verify {@code pattern}, {@code sha256} or {@code both}
     * @throws IOException if the consumer does not start or dies first
     */
    public static ShmHandoff start(String verify) throws IOException {
        if (!List.of("pattern", "sha256", "both").contains(verify)) {
            throw new IllegalArgumentException("verify must be pattern, sha256 or both: " + verify);
        }
        Path file = Dmabuf.DEFAULT_DIR.resolve("netmem-shm-" + ProcessHandle.current().pid() + "-" + System.nanoTime());
        Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        HandoffRings rings = null;
        Process consumer = null;
        try {
            MappedByteBuffer region;
            try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
                region = ch.map(FileChannel.MapMode.READ_WRITE, 0, REGION_BYTES); // extends the file
            }
            rings = HandoffRings.create(Dmabuf.DEFAULT_DIR, ENTRIES);
            consumer = Demo.startConsumerJvm(List.of(file.toString(), verify,
                    Consumer.HANDOFF_PREFIX + rings.path() + ":" + ENTRIES));
            ShmHandoff h = new ShmHandoff(file, region, rings, consumer);
            int op = h.fromConsumer.read();
            if (op != Consumer.OP_READY) {
                throw new IOException("the consumer JVM did not become ready (" + (op < 0 ? "it exited" : "op " + op) + ")");
            }
            return h;
        } catch (IOException | RuntimeException e) {
            if (consumer != null) {
                consumer.destroyForcibly();
            }
            if (rings != null) {
                rings.close();
            }
            Files.deleteIfExists(file);
            throw e;
        }
    }

    /**
     * Reads {@code ch} to its end into the shared file, handing each read to the consumer as it
     * lands. Returns the bytes received.
     *
     * @throws IOException if the socket fails or the consumer dies
     */
    public long receive(SocketChannel ch) throws IOException {
        long tail = 0;
        int seq = 0;
        while (true) {
            takeBack();
            long off = tail % REGION_BYTES;
            int max = (int) Math.min(READ_BYTES, Math.min(REGION_BYTES - off, REGION_BYTES - (tail - freed)));
            if (max == 0 || rings.recordSpace() == 0) { // the consumer holds the whole ring
                if (takeBack() == 0) {
                    if (!consumer.isAlive()) {
                        throw new IOException("the consumer JVM exited (code " + consumer.exitValue() + ")");
                    }
                    LockSupport.parkNanos(20_000);
                }
                continue;
            }
            region.limit((int) (off + max)).position((int) off);
            int n = ch.read(region);
            if (n < 0) {
                return tail;
            }
            int token = seq++ & (ENTRIES - 1);
            tail += n;
            ends[token] = tail;
            rings.putRecord(off, n, token);
            rings.publishRecords();
        }
    }

    /** Takes the records the consumer handed back; the last one says how far the ring is free. */
    private int takeBack() {
        int n = rings.takeTokens(tokens, tokens.length);
        if (n > 0) {
            freed = ends[tokens[n - 1]];
        }
        return n;
    }

    /**
     * Tells the consumer the stream's length and waits (up to 60 s) for its result, taking back what
     * it hands back meanwhile.
     *
     * @throws IOException if it dies, answers otherwise or sends nothing in 60 s
     */
    public Outcome finish(long total) throws IOException {
        toConsumer.writeByte(Consumer.OP_END);
        toConsumer.writeLong(total);
        toConsumer.flush();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (fromConsumer.available() == 0) {
            takeBack();
            if (!consumer.isAlive() && fromConsumer.available() == 0) {
                throw new IOException("the consumer JVM exited (code " + consumer.exitValue() + ") without its result");
            }
            if (System.nanoTime() - deadline > 0) {
                throw new IOException("the consumer JVM sent no result in 60 s; its "
                        + ThreadDump.frames(consumer.pid(), "main", 8));
            }
            LockSupport.parkNanos(100_000);
        }
        int op = fromConsumer.read();
        if (op != Consumer.OP_HASH) {
            throw new IOException("the consumer JVM ended without its result (" + (op < 0 ? "exit" : "op " + op) + ")");
        }
        Outcome o = new Outcome(fromConsumer.readLong(), fromConsumer.readLong(), fromConsumer.readUTF(),
                fromConsumer.readLong());
        finished = true;
        return o;
    }

    /**
     * Waits for the consumer to exit after {@link #finish}, or kills it (a run that failed before its
     * result: the consumer would wait for records), and removes the shared files.
     */
    @Override
    public void close() throws IOException {
        try {
            if (!finished) {
                consumer.destroyForcibly();
            }
            toConsumer.close();
            if (!consumer.waitFor(30, TimeUnit.SECONDS)) {
                consumer.destroyForcibly();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            consumer.destroyForcibly();
        } finally {
            rings.close();
            Files.deleteIfExists(file);
        }
    }
}
