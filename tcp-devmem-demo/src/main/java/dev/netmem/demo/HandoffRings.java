package dev.netmem.demo;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * The shared-memory hand-off between the receiver and the consumer JVM, modelled on the zcrx
 * completion and refill rings: a <b>record ring</b> (receiver → consumer: where each received frag
 * lies in the dma-buf and its token) and a <b>token ring</b> (consumer → receiver: tokens to give
 * back with {@code dontneed}). Each ring has one producer and one consumer, in different processes.
 *
 * <pre>
 *   0     recTail  u64   written by the receiver (release), read by the consumer (acquire)
 *   64    recHead  u64   written by the consumer (release), read by the receiver (acquire)
 *   128   tokTail  u64   written by the consumer (release), read by the receiver (acquire)
 *   192   tokHead  u64   written by the receiver (release), read by the consumer (acquire)
 *   256   ready    u32   the consumer mapped everything and waits for records (release / acquire)
 *   4096  records  recEntries x {u64 offset, u32 size, u32 token}
 *   ...   tokens   tokEntries x u32
 * </pre>
 * Counters run free (u64); a slot is {@code counter & (entries - 1)}. Entries are written plainly
 * and published by the release store of the tail; a consumer reads the tail with acquire, then the
 * entries, then frees the slots with a release store of its head, which the producer reads with
 * acquire before it reuses them. Records and tokens move in batches: one tail store per batch.
 *
 * <p>The region is a 0600 file in {@code /dev/shm} named with the creating pid; the receiver
 * creates and deletes it.
 */
final class HandoffRings implements AutoCloseable {
    /** The header, one cache line per counter so the two processes do not share lines. */
    static final StructLayout HEADER = MemoryLayout.structLayout(
            ValueLayout.JAVA_LONG.withName("recTail"), MemoryLayout.paddingLayout(56),
            ValueLayout.JAVA_LONG.withName("recHead"), MemoryLayout.paddingLayout(56),
            ValueLayout.JAVA_LONG.withName("tokTail"), MemoryLayout.paddingLayout(56),
            ValueLayout.JAVA_LONG.withName("tokHead"), MemoryLayout.paddingLayout(56),
            ValueLayout.JAVA_INT.withName("ready"), MemoryLayout.paddingLayout(4092 - 256)).withName("handoff_header");
    /** One record: a frag of the dma-buf and the token that holds it. */
    static final StructLayout RECORD = MemoryLayout.structLayout(
            ValueLayout.JAVA_LONG.withName("offset"), ValueLayout.JAVA_INT.withName("size"),
            ValueLayout.JAVA_INT.withName("token")).withName("handoff_record");

    private static final VarHandle REC_TAIL = HEADER.varHandle(MemoryLayout.PathElement.groupElement("recTail"));
    private static final VarHandle REC_HEAD = HEADER.varHandle(MemoryLayout.PathElement.groupElement("recHead"));
    private static final VarHandle TOK_TAIL = HEADER.varHandle(MemoryLayout.PathElement.groupElement("tokTail"));
    private static final VarHandle TOK_HEAD = HEADER.varHandle(MemoryLayout.PathElement.groupElement("tokHead"));
    private static final VarHandle READY = HEADER.varHandle(MemoryLayout.PathElement.groupElement("ready"));
    private static final long REC_OFFSET = RECORD.byteOffset(MemoryLayout.PathElement.groupElement("offset"));
    private static final long REC_SIZE = RECORD.byteOffset(MemoryLayout.PathElement.groupElement("size"));
    private static final long REC_TOKEN = RECORD.byteOffset(MemoryLayout.PathElement.groupElement("token"));

    private final Path path;
    private final boolean owner;
    private final Arena arena;
    private final MemorySegment seg;
    private final int recEntries;
    private final int tokEntries;
    private final long recBase;
    private final long tokBase;
    // each side's private copies of the counters it writes, and its cached view of the other side
    private long recTail;
    private long recHead;
    private long tokTail;
    private long tokHead;

    private HandoffRings(Path path, boolean owner, Arena arena, MemorySegment seg, int recEntries, int tokEntries) {
        this.path = path;
        this.owner = owner;
        this.arena = arena;
        this.seg = seg;
        this.recEntries = recEntries;
        this.tokEntries = tokEntries;
        this.recBase = HEADER.byteSize();
        this.tokBase = recBase + recEntries * RECORD.byteSize();
    }

    static long regionSize(int recEntries, int tokEntries) {
        return HEADER.byteSize() + recEntries * RECORD.byteSize() + tokEntries * 4L;
    }

    /**
     * The receiver's side: creates the 0600 region in {@code dir} for {@code entries} records and as
     * many tokens (a power of two).
     */
    static HandoffRings create(Path dir, int entries) throws IOException {
        if (entries < 1 || Integer.bitCount(entries) != 1) {
            throw new IllegalArgumentException("entries must be a power of two: " + entries);
        }
        Path p = dir.resolve("netmem-handoff-" + ProcessHandle.current().pid() + "-" + System.nanoTime());
        Files.createFile(p, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        return map(p, true, entries);
    }

    /**
     * Both sides in one private, in-memory region (no file), for a process that exercises the rings
     * by itself: the consumer's warm-up.
     */
    static HandoffRings inMemory(int entries) {
        if (entries < 1 || Integer.bitCount(entries) != 1) {
            throw new IllegalArgumentException("entries must be a power of two: " + entries);
        }
        Arena arena = Arena.ofConfined();
        return new HandoffRings(null, false, arena, arena.allocate(regionSize(entries, entries), 64), entries, entries);
    }

    /** The consumer's side: maps the region the receiver created. */
    static HandoffRings open(Path p, int entries) throws IOException {
        return map(p, false, entries);
    }

    private static HandoffRings map(Path p, boolean owner, int entries) throws IOException {
        long size = regionSize(entries, entries);
        Arena arena = Arena.ofShared();
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            if (owner) {
                ch.truncate(0);
                ch.position(size - 1);
                ch.write(java.nio.ByteBuffer.wrap(new byte[1]));
            } else if (ch.size() != size) {
                throw new IOException("handoff region " + p + " has " + ch.size() + " bytes, expected " + size);
            }
            MemorySegment seg = ch.map(FileChannel.MapMode.READ_WRITE, 0, size, arena);
            return new HandoffRings(p, owner, arena, seg, entries, entries);
        } catch (IOException | RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    /** The region file; null for an {@link #inMemory} region. */
    Path path() {
        return path;
    }

    // ---- receiver: records out, tokens in ----------------------------------------------------

    /** Free record slots (receiver). */
    int recordSpace() {
        return recEntries - (int) (recTail - (long) REC_HEAD.getAcquire(seg, 0L)); // pairs with the consumer's setRelease
    }

    /** Writes a record in the next slot; visible to the consumer after {@link #publishRecords()}. */
    void putRecord(long offset, int size, int token) {
        long at = recBase + (recTail & (recEntries - 1)) * RECORD.byteSize();
        seg.set(ValueLayout.JAVA_LONG, at + REC_OFFSET, offset);
        seg.set(ValueLayout.JAVA_INT, at + REC_SIZE, size);
        seg.set(ValueLayout.JAVA_INT, at + REC_TOKEN, token);
        recTail++;
    }

    /** Publishes the records written so far: one release store (the consumer's getAcquire of recTail). */
    void publishRecords() {
        REC_TAIL.setRelease(seg, 0L, recTail);
    }

    /** Takes up to {@code max} returned tokens into {@code out}; frees their slots with one release store. */
    int takeTokens(int[] out, int max) {
        long tail = (long) TOK_TAIL.getAcquire(seg, 0L); // pairs with the consumer's setRelease of tokTail
        int n = (int) Math.min(max, tail - tokHead);
        for (int i = 0; i < n; i++) {
            out[i] = seg.get(ValueLayout.JAVA_INT, tokBase + ((tokHead + i) & (tokEntries - 1)) * 4L);
        }
        if (n > 0) {
            tokHead += n;
            TOK_HEAD.setRelease(seg, 0L, tokHead); // the consumer's getAcquire of tokHead is the partner
        }
        return n;
    }

    /** The receiver's account of the hand-off, for a report of a stalled consumer. */
    String receiverState() {
        return "records published " + recTail + ", released by the consumer " + (long) REC_HEAD.getAcquire(seg, 0L)
                + "; tokens taken back " + tokHead + " of " + (long) TOK_TAIL.getAcquire(seg, 0L) + " published";
    }

    /** Whether the consumer said it is ready. */
    boolean consumerReady() {
        return (int) READY.getAcquire(seg, 0L) != 0; // pairs with markReady's setRelease
    }

    // ---- consumer: records in, tokens out ----------------------------------------------------

    /** Consumer: says it mapped everything and waits for records. */
    void markReady() {
        READY.setRelease(seg, 0L, 1);
    }

    /** Consumer: records ready to read. */
    int recordsReady() {
        return (int) ((long) REC_TAIL.getAcquire(seg, 0L) - recHead); // pairs with publishRecords
    }

    long recordOffset(int i) {
        return seg.get(ValueLayout.JAVA_LONG, recSlot(i) + REC_OFFSET);
    }

    int recordSize(int i) {
        return seg.get(ValueLayout.JAVA_INT, recSlot(i) + REC_SIZE);
    }

    int recordToken(int i) {
        return seg.get(ValueLayout.JAVA_INT, recSlot(i) + REC_TOKEN);
    }

    private long recSlot(int i) {
        return recBase + ((recHead + i) & (recEntries - 1)) * RECORD.byteSize();
    }

    /** Consumer: frees {@code n} record slots (one release store; the receiver's getAcquire of recHead). */
    void releaseRecords(int n) {
        recHead += n;
        REC_HEAD.setRelease(seg, 0L, recHead);
    }

    /** Consumer: free token slots. */
    int tokenSpace() {
        return tokEntries - (int) (tokTail - (long) TOK_HEAD.getAcquire(seg, 0L)); // pairs with takeTokens
    }

    /** Consumer: writes a token; visible after {@link #publishTokens()}. */
    void putToken(int token) {
        seg.set(ValueLayout.JAVA_INT, tokBase + (tokTail & (tokEntries - 1)) * 4L, token);
        tokTail++;
    }

    /** Consumer: publishes the tokens written so far (release; the receiver's getAcquire of tokTail). */
    void publishTokens() {
        TOK_TAIL.setRelease(seg, 0L, tokTail);
    }

    /** Unmaps; the receiver's side also deletes the file. */
    @Override
    public void close() throws IOException {
        arena.close();
        if (owner) {
            Files.deleteIfExists(path);
        }
    }
}
