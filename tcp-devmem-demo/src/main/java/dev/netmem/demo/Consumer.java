package dev.netmem.demo;

import dev.netmem.providers.zcrx.ZcrxArea;
import dev.netmem.providers.zcrx.ZcrxUserRing;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
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
 * <p>Protocol on stdin (from the receiver), all big-endian:
 * <pre>
 *   'Z' u64 dmabufOffset, u32 size, u32 token   payload left in the dmabuf (zero-copy mode)
 *   'C' u32 size, size bytes                   payload copied by the receiver (copy mode, linear bytes)
 *   'E' u64 totalBytes                         end of stream
 * </pre>
 * and on stdout (to the receiver): {@code 'T' u32 n, n x u32 token} batches of tokens to return, then
 * {@code 'H' u64 bytes, u64 patternErrors, UTF sha256} after {@code 'E'}.
 *
 * <p>Verification reads 8-byte words straight from the mapping ({@code BytesStore.readLong} at an
 * absolute offset) and compares them with {@link PayloadPattern}; no payload is copied into the
 * consumer's heap. The SHA-256 is fed the mapped bytes as a {@code ByteBuffer} slice.
 *
 * <p>With a third argument, the zcrx refill/completion region of a user-ring binding, the consumer
 * instead takes completions straight from the shared completion ring, reads each buffer in place in
 * the area (the same dmabuf file), and returns it through the refill ring; stdin then only carries
 * {@code 'E' u64 totalBytes}.
 *
 * <p>Usage: {@code Consumer <dmabuf-path|-> <pattern|none> [zcrx-region-path]}.
 */
public final class Consumer {
    static final int OP_ZEROCOPY = 'Z';
    static final int OP_COPY = 'C';
    static final int OP_END = 'E';
    static final int OP_TOKENS = 'T';
    static final int OP_HASH = 'H';
    private static final int TOKEN_BATCH = 64;

    private final BytesStore<?, ?> view;
    private final MappedByteBuffer mapped;
    private final PayloadPattern pattern;
    private final MessageDigest sha = Sender.sha256();
    private long pos;
    private long patternErrors;

    private Consumer(MappedByteBuffer mapped, PayloadPattern pattern) {
        this.mapped = mapped;
        this.view = mapped == null ? null : BytesStore.wrap(mapped);
        this.pattern = pattern;
    }

    /** Entry point of the consumer JVM. */
    public static void main(String[] args) throws IOException {
        if (args.length != 2 && args.length != 3) {
            System.err.println("usage: Consumer <dmabuf-path|-> <pattern|none> [zcrx-region-path]");
            System.exit(2);
        }
        MappedByteBuffer mapped = null;
        if (!args[0].equals("-")) {
            try (FileChannel ch = FileChannel.open(Path.of(args[0]), StandardOpenOption.READ)) {
                mapped = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size());
            }
        }
        Consumer c = new Consumer(mapped, args[1].equals("pattern") ? new PayloadPattern(Sender.SEED) : null);
        DataInputStream in = new DataInputStream(new BufferedInputStream(System.in, 1 << 16));
        DataOutputStream out = new DataOutputStream(new BufferedOutputStream(System.out, 1 << 12));
        if (args.length == 3) {
            try (ZcrxUserRing ring = ZcrxUserRing.open(Path.of(args[2]), Path.of(args[0]))) {
                c.runUserRing(ring, in, out);
            }
        } else {
            c.run(in, out);
        }
    }

    /** User-ring mode: completions in, refill entries out, until the receiver's total has been read. */
    private void runUserRing(ZcrxUserRing ring, DataInputStream in, DataOutputStream out) throws IOException {
        long total = -1;
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
                java.util.concurrent.locks.LockSupport.parkNanos(20_000);
            }
        }
        out.writeByte(OP_HASH);
        out.writeLong(pos);
        out.writeLong(patternErrors);
        out.writeUTF(HexFormat.of().formatHex(sha.digest()));
        out.flush();
    }

    private void run(DataInputStream in, DataOutputStream out) throws IOException {
        int[] tokens = new int[TOKEN_BATCH];
        int nt = 0;
        byte[] copy = new byte[1 << 16];
        while (true) {
            int op;
            try {
                op = in.readUnsignedByte();
            } catch (EOFException e) {
                return; // the receiver went away
            }
            if (op == OP_ZEROCOPY) {
                long off = in.readLong();
                int size = in.readInt();
                int token = in.readInt();
                verifyInPlace(off, size);
                tokens[nt++] = token;
            } else if (op == OP_COPY) {
                int size = in.readInt();
                if (copy.length < size) {
                    copy = new byte[size];
                }
                in.readFully(copy, 0, size);
                verifyHeap(copy, size);
            } else if (op == OP_END) {
                in.readLong(); // the receiver's total; in this mode every record already arrived
                flushTokens(out, tokens, nt);
                out.writeByte(OP_HASH);
                out.writeLong(pos);
                out.writeLong(patternErrors);
                out.writeUTF(HexFormat.of().formatHex(sha.digest()));
                out.flush();
                return;
            } else {
                throw new IOException("consumer: unknown op " + op);
            }
            if (nt == TOKEN_BATCH || (nt > 0 && in.available() == 0)) {
                flushTokens(out, tokens, nt);
                nt = 0;
            }
        }
    }

    private static void flushTokens(DataOutputStream out, int[] tokens, int n) throws IOException {
        if (n == 0) {
            out.flush();
            return;
        }
        out.writeByte(OP_TOKENS);
        out.writeInt(n);
        for (int i = 0; i < n; i++) {
            out.writeInt(tokens[i]);
        }
        out.flush();
    }

    /** Checks and hashes {@code size} bytes at dmabuf offset {@code off}, reading the mapping in place. */
    private void verifyInPlace(long off, int size) throws IOException {
        if (view == null || off < 0 || off + size > view.capacity()) {
            throw new IOException("consumer: frag outside the dmabuf: offset=" + off + ", size=" + size);
        }
        if (pattern != null) {
            int i = 0;
            while (i < size && ((pos + i) & 7) != 0) {
                check(view.readByte(off + i), pos + i);
                i++;
            }
            for (; i + 8 <= size; i += 8) {
                if (view.readLong(off + i) != pattern.word((pos + i) >>> 3)) {
                    for (int b = 0; b < 8; b++) {
                        check(view.readByte(off + i + b), pos + i + b);
                    }
                }
            }
            for (; i < size; i++) {
                check(view.readByte(off + i), pos + i);
            }
        }
        ByteBuffer slice = mapped.slice((int) off, size);
        sha.update(slice);
        pos += size;
    }

    private void verifyHeap(byte[] b, int size) {
        if (pattern != null) {
            for (int i = 0; i < size; i++) {
                check(b[i], pos + i);
            }
        }
        sha.update(b, 0, size);
        pos += size;
    }

    private void check(byte actual, long at) {
        if (actual != pattern.at(at)) {
            patternErrors++;
        }
    }
}
