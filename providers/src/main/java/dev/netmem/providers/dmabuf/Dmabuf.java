package dev.netmem.providers.dmabuf;

import dev.netmem.providers.internal.ShmFile;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Models a dma-buf exporter ({@code struct dma_buf}) backed by a shared-memory file: a region that a
 * {@link DmabufBinding} hands out to a page pool as net_iovs, and that another process can map by
 * path to read received data in place.
 *
 * <p>{@link #create(long)} makes a new file under {@link #DEFAULT_DIR} with mode 0600, its size
 * rounded up to whole pages; {@link #open(Path)} maps an existing one (the importer side, for
 * example a consumer process). The object is reference counted like a dma-buf file: the handle
 * returned by {@code create}/{@code open} holds one reference, each binding or zcrx area that imports
 * it takes one with {@link #get()}, and {@link #close()} drops one ({@code dma_buf_put}). The last
 * reference unmaps the file and, if netmem created it, deletes it.
 *
 * <p>Thread safety: reference counting is atomic; the bytes are shared memory with no ordering of
 * their own (the rings or tokens that announce them carry the ordering).
 */
public final class Dmabuf implements AutoCloseable {
    /** Where {@link #create(long)} puts files: {@code /dev/shm}, a tmpfs on Linux. */
    public static final Path DEFAULT_DIR = Path.of("/dev/shm");
    /** The largest size: {@code Long.MAX_VALUE} rounded down to pages (anything above overflows when rounded up). */
    public static final long MAX_SIZE = Long.MAX_VALUE & -ShmFile.PAGE_SIZE;

    private final ShmFile file;
    private final AtomicInteger refs = new AtomicInteger(1);

    private Dmabuf(ShmFile file) {
        this.file = file;
    }

    /**
     * Creates a dma-buf of {@code size} bytes (rounded up to pages) in {@link #DEFAULT_DIR}.
     *
     * @throws IllegalArgumentException if {@code size <= 0}
     * @throws java.io.UncheckedIOException if the file cannot be created or mapped
     */
    public static Dmabuf create(long size) {
        return create(DEFAULT_DIR, size);
    }

    /**
     * Creates a dma-buf of {@code size} bytes (rounded up to pages) as a new mode-0600 file in
     * {@code dir}.
     *
     * @throws IllegalArgumentException if {@code size <= 0} or {@code size > MAX_SIZE}
     * @throws java.io.UncheckedIOException if the file cannot be created or mapped
     */
    public static Dmabuf create(Path dir, long size) {
        if (size <= 0) {
            throw new IllegalArgumentException("dmabuf size must be > 0: " + size);
        }
        if (size > MAX_SIZE) {
            throw new IllegalArgumentException("dmabuf size must be <= " + MAX_SIZE + ": " + size);
        }
        return new Dmabuf(ShmFile.create(dir, "netmem-dmabuf", size));
    }

    /**
     * Maps an existing dma-buf file, all of it. Closing the last reference unmaps it but never
     * deletes it.
     *
     * @throws IllegalArgumentException if the file is empty
     * @throws java.io.UncheckedIOException if it cannot be opened or mapped
     */
    public static Dmabuf open(Path path) {
        return new Dmabuf(ShmFile.open(path));
    }

    /**
     * {@code get_dma_buf}: takes another reference. Any thread.
     *
     * @return this
     * @throws IllegalStateException if the last reference was already dropped
     */
    public Dmabuf get() {
        int r;
        do {
            r = refs.get();
            if (r == 0) {
                throw new IllegalStateException("dmabuf " + file.path() + " is closed");
            }
        } while (!refs.compareAndSet(r, r + 1));
        return this;
    }

    /**
     * {@code dma_buf_put}: drops a reference; the last one unmaps the file and deletes it if netmem
     * created it. Any thread; closing an already closed dma-buf does nothing.
     */
    @Override
    public void close() {
        int r;
        do {
            r = refs.get();
            if (r == 0) {
                return;
            }
        } while (!refs.compareAndSet(r, r - 1));
        if (r == 1) {
            file.close();
        }
    }

    /** The file. */
    public Path path() {
        return file.path();
    }

    /** Size in bytes: a multiple of the page size for created files. */
    public long size() {
        return file.segment().byteSize();
    }

    /** The mapping, valid until the last reference is dropped. */
    public MemorySegment segment() {
        return file.segment();
    }

    /** Whether netmem created the file (and so deletes it with the last reference). */
    public boolean isCreator() {
        return file.created();
    }

    /** References currently held; 0 once closed. */
    public int refCount() {
        return refs.get();
    }

    @Override
    public String toString() {
        return "Dmabuf[" + file.path() + ", " + size() + " B, refs=" + refs.get() + "]";
    }
}
