package dev.netmem.demo;

import dev.netmem.providers.zcrx.ZcrxArea;
import dev.netmem.providers.zcrx.ZcrxUserRing;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.HexFormat;
import net.openhft.chronicle.bytes.BytesStore;

/**
 * The consumer process: a separate JVM that maps the dmabuf file read-only and reads received
 * payload in place through a zero-copy Chronicle Bytes view, then hands the tokens back.
 *
 * <p>Zero-copy dma-buf mode ({@code handoff:PATH:ENTRIES}): records (dma-buf offset, size, token) arrive
 * on the shared record ring of {@link HandoffRings} and the tokens go back on its token ring, in
 * batches; the pipes carry only control. Copy mode (the conventional baseline): on stdin, all
 * big-endian,
 * <pre>
 *   'C' u32 size, size bytes                   payload copied by the receiver
 *   'E' u64 totalBytes                         end of stream (every mode)
 * </pre>
 * On stdout (to the receiver): {@code 'R'} once mapped and ready, then after {@code 'E'}
 * {@code 'H' u64 bytes, u64 patternErrors, UTF sha256, u64 cpuNanos}: this JVM's CPU time since it
 * said ready, the window the receiver's clock measures (its start-up is the summary's set-up time).
 *
 * <p>Verification reads the mapping in place: a {@link MemorySegment} over the mapping is compared with {@link StreamPattern} by one vectorised
 * {@link MemorySegment#mismatch} per frag (as every path of the receive benchmark checks), and the
 * SHA-256 is fed the mapped bytes as a {@code ByteBuffer} slice; no payload is copied into the
 * consumer's heap.
 *
 * <p>With a third argument, the zcrx refill/completion region of a user-ring binding, the consumer
 * instead takes completions straight from the shared completion ring, reads each buffer in place in
 * the area (the same dmabuf file), and returns it through the refill ring; stdin then only carries
 * {@code 'E' u64 totalBytes}.
 *
 * <p>Usage: {@code Consumer <dmabuf-path|-> <both|pattern|sha256|none> [zcrx-region-path | handoff:PATH:ENTRIES]}:
 * the second argument says how to verify (the pattern check, the SHA-256 of the stream, both or neither).
 */
public final class Consumer {
    static final int OP_COPY = 'C';
    static final int OP_END = 'E';
    static final int OP_HASH = 'H';
    static final int OP_READY = 'R';
    /** Third argument prefix: {@code handoff:PATH:ENTRIES}, the shared record/token rings. */
    static final String HANDOFF_PREFIX = "handoff:";
    /** The receiver JVM that started this consumer. */
    private static final java.util.Optional<ProcessHandle> PARENT = ProcessHandle.current().parent();

    /** This JVM's CPU time when it said ready; {@link #writeResult} reports the CPU time since. */
    private static long cpuAtReady;

    private final BytesStore<?, ?> view;
    private final ByteBuffer mapped;
    /** The same mapping as a segment, for the vectorised pattern check; null without a dmabuf. */
    private final MemorySegment seg;
    private final boolean pattern;
    private final MessageDigest sha = StreamPattern.newSha256();
    private final boolean hash;
    private long pos;
    private long patternErrors;

    private Consumer(ByteBuffer mapped, boolean pattern, boolean hash) {
        this.hash = hash;
        this.mapped = mapped;
        this.view = mapped == null ? null : BytesStore.wrap(mapped);
        this.seg = mapped == null ? null : MemorySegment.ofBuffer(mapped);
        this.pattern = pattern;
    }

    /** Entry point of the consumer JVM. */
    public static void main(String[] args) throws IOException {
        if (args.length != 2 && args.length != 3) {
            System.err.println("usage: Consumer <dmabuf-path|-> <both|pattern|sha256|none> [zcrx-region-path|handoff:PATH:N]");
            System.exit(2);
        }
        MappedByteBuffer mapped = null;
        if (!args[0].equals("-")) {
            try (FileChannel ch = FileChannel.open(Path.of(args[0]), StandardOpenOption.READ)) {
                mapped = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size());
            }
        }
        boolean checkPattern = args[1].equals("both") || args[1].equals("pattern");
        boolean hash = args[1].equals("both") || args[1].equals("sha256");
        Consumer c = new Consumer(mapped, checkPattern, hash);
        warmUp(checkPattern, hash);
        DataInputStream in = new DataInputStream(new BufferedInputStream(System.in, 1 << 16));
        DataOutputStream out = new DataOutputStream(new BufferedOutputStream(System.out, 1 << 12));
        if (args.length == 3 && args[2].startsWith(HANDOFF_PREFIX)) {
            String spec = args[2].substring(HANDOFF_PREFIX.length());
            int colon = spec.lastIndexOf(':');
            try (HandoffRings rings = HandoffRings.open(Path.of(spec.substring(0, colon)),
                    Integer.parseInt(spec.substring(colon + 1)))) {
                warmUpHandoff(checkPattern);
                rings.markReady();
                ready(out);
                c.runHandoff(rings, in, out);
            }
        } else if (args.length == 3) {
            try (ZcrxUserRing ring = ZcrxUserRing.open(Path.of(args[2]), Path.of(args[0]))) {
                ready(out);
                c.runUserRing(ring, in, out);
            }
        } else {
            ready(out);
            c.run(in, out);
        }
    }

    /**
     * Runs the checks on a copy of the pattern until the JIT has compiled them, before the consumer
     * says it is ready: the receive clock starts at ready, so the first frags are not checked by the
     * interpreter while the clock runs. Part of the set-up time the summary reports.
     */
    private static void warmUp(boolean pattern, boolean hash) {
        MemorySegment probe = MemorySegment.ofArray(new byte[4096]);
        probe.copyFrom(MemorySegment.ofBuffer(StreamPattern.slice(0, 4096)));
        MessageDigest md = StreamPattern.newSha256();
        long bad = 0;
        for (int i = 0; i < 20_000; i++) {
            if (pattern) {
                bad += StreamPattern.errors(probe, 0, 4096, 0);
            }
            if (hash && i % 4 == 0) {
                md.update(probe.asByteBuffer());
            }
        }
        if (bad != 0) {
            throw new IllegalStateException("the pattern check fails on the pattern itself");
        }
    }

    /**
     * Runs the zero-copy hand-off loop ({@link #drainHandoff}) against a private in-memory ring and
     * pattern buffer, both sides in this thread, until the JIT has compiled it: records of 1 KiB (the
     * code path does not depend on the size), each verified like a real one. Before ready, so part of
     * the set-up time.
     */
    private static void warmUpHandoff(boolean pattern) throws IOException {
        ByteBuffer twice = ByteBuffer.allocateDirect(2 * StreamPattern.PERIOD);
        twice.put(StreamPattern.slice(0, StreamPattern.PERIOD)).put(StreamPattern.slice(0, StreamPattern.PERIOD)).clear();
        // no hashing here: warmUp already compiled the SHA-256, and 64 MiB of it would add seconds to
        // the set-up on a loaded machine (a consumer the soak kills 1.5 s after it starts would then
        // die before it held a buffer)
        Consumer w = new Consumer(twice, pattern, false);
        int size = 1024;
        int batch = 32;
        int[] tokens = new int[batch];
        try (HandoffRings r = HandoffRings.inMemory(batch)) {
            for (int round = 0; round < 2_000; round++) {
                for (int i = 0; i < batch; i++) {
                    r.putRecord((w.pos + (long) i * size) % StreamPattern.PERIOD, size, i);
                }
                r.publishRecords();
                w.drainHandoff(r);
                r.takeTokens(tokens, batch);
            }
        }
        if (w.patternErrors != 0) {
            throw new IllegalStateException("the hand-off warm-up saw " + w.patternErrors + " pattern errors");
        }
    }

    private static void ready(DataOutputStream out) throws IOException {
        cpuAtReady = cpuNanos();
        out.writeByte(OP_READY);
        out.flush();
    }

    /**
     * Zero-copy dma-buf mode: records from the shared record ring, each verified in place, its token
     * put on the token ring; both rings move in batches (one release store each per batch). Ends when
     * the receiver's total (on stdin) has been read.
     */
    private void runHandoff(HandoffRings rings, DataInputStream in, DataOutputStream out) throws IOException {
        long total = -1;
        int idle = 0;
        while (total < 0 || pos < total) {
            if (drainHandoff(rings) > 0) {
                idle = 0;
                continue;
            }
            // the control pipe is looked at only every 64th idle turn: available() costs two syscalls
            idle++;
            if ((idle & 4095) == 0 && !PARENT.map(ProcessHandle::isAlive).orElse(true)) {
                // available() cannot see end of file: a receiver killed with -9 is noticed here
                throw new IOException("consumer: the receiver (pid " + PARENT.get().pid() + ") went away");
            }
            if (total < 0 && (idle & 63) == 0 && in.available() > 0) {
                int op = in.readUnsignedByte();
                if (op != OP_END) {
                    throw new IOException("consumer: unexpected op " + op + " in handoff mode");
                }
                total = in.readLong();
                continue;
            }
            // nothing ready: spin briefly, then park (the receiver batches, so records come in bursts)
            if (idle > 64) {
                java.util.concurrent.locks.LockSupport.parkNanos(idle > 1024 ? 200_000 : 20_000);
            } else {
                Thread.onSpinWait();
            }
        }
        writeResult(out);
    }

    /**
     * Verifies every record ready on the record ring in place and puts its token on the token ring;
     * frees the record slots and publishes the tokens with one release store each. Returns how many
     * records it took.
     */
    private int drainHandoff(HandoffRings rings) throws IOException {
        int n = rings.recordsReady();
        if (n == 0) {
            return 0;
        }
        for (int i = 0; i < n; i++) {
            verifyInPlace(rings.recordOffset(i), rings.recordSize(i));
            while (rings.tokenSpace() == 0) {
                rings.publishTokens();
                java.util.concurrent.locks.LockSupport.parkNanos(20_000);
            }
            rings.putToken(rings.recordToken(i));
        }
        rings.releaseRecords(n);
        rings.publishTokens();
        return n;
    }

    /** This process's CPU time so far (user + system, every thread), in nanoseconds. */
    private static long cpuNanos() {
        return ProcessHandle.current().info().totalCpuDuration().map(java.time.Duration::toNanos).orElse(0L);
    }

    private void writeResult(DataOutputStream out) throws IOException {
        out.writeByte(OP_HASH);
        out.writeLong(pos);
        out.writeLong(patternErrors);
        out.writeUTF(hash ? HexFormat.of().formatHex(sha.digest()) : "");
        out.writeLong(cpuNanos() - cpuAtReady);
        out.flush();
    }

    /** User-ring mode: completions in, refill entries out, until the receiver's total has been read. */
    private void runUserRing(ZcrxUserRing ring, DataInputStream in, DataOutputStream out) throws IOException {
        long total = -1;
        int idle = 0;
        IOException[] failure = new IOException[1];
        java.util.ArrayDeque<long[]> deferred = new java.util.ArrayDeque<>();
        while (total < 0 || pos < total) {
            int n = ring.poll((off, len, flags) -> {
                try {
                    verifyInPlace(off & ~ZcrxArea.IORING_ZCRX_AREA_MASK, len);
                } catch (IOException e) {
                    failure[0] = e;
                }
                if (!ring.refill(off, len)) {
                    deferred.addLast(new long[] {off, len}); // full until the NAPI side consumes it
                }
            });
            while (!deferred.isEmpty() && ring.refill(deferred.peekFirst()[0], (int) deferred.peekFirst()[1])) {
                deferred.removeFirst();
            }
            if (failure[0] != null) {
                throw failure[0];
            }
            if (total < 0 && in.available() > 0) {
                int op = in.readUnsignedByte();
                if (op != OP_END) {
                    throw new IOException("consumer: unexpected op " + op + " in user-ring mode");
                }
                total = in.readLong();
            }
            if (n == 0) {
                if ((++idle & 4095) == 0 && !PARENT.map(ProcessHandle::isAlive).orElse(true)) {
                    throw new IOException("consumer: the receiver (pid " + PARENT.get().pid() + ") went away");
                }
                java.util.concurrent.locks.LockSupport.parkNanos(20_000);
            }
        }
        writeResult(out);
    }

    private void run(DataInputStream in, DataOutputStream out) throws IOException {
        byte[] copy = new byte[1 << 16];
        while (true) {
            int op;
            try {
                op = in.readUnsignedByte();
            } catch (EOFException e) {
                return; // the receiver went away
            }
            if (op == OP_COPY) {
                int size = in.readInt();
                if (copy.length < size) {
                    copy = new byte[size];
                }
                in.readFully(copy, 0, size);
                verifyHeap(copy, size);
            } else if (op == OP_END) {
                in.readLong(); // the receiver's total; in this mode every byte already arrived
                writeResult(out);
                return;
            } else {
                throw new IOException("consumer: unknown op " + op);
            }
        }
    }

    /** Checks and hashes {@code size} bytes at dmabuf offset {@code off}, reading the mapping in place. */
    private void verifyInPlace(long off, int size) throws IOException {
        if (view == null || off < 0 || off + size > view.capacity()) {
            throw new IOException("consumer: frag outside the dmabuf: offset=" + off + ", size=" + size);
        }
        if (pattern) {
            patternErrors += StreamPattern.errors(seg, off, size, pos);
        }
        if (hash) {
            sha.update(mapped.slice((int) off, size));
        }
        pos += size;
    }

    private void verifyHeap(byte[] b, int size) {
        if (pattern) {
            patternErrors += StreamPattern.errors(MemorySegment.ofArray(b), 0, size, pos);
        }
        if (hash) {
            sha.update(b, 0, size);
        }
        pos += size;
    }
}
