package dev.netmem.uring;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Receive buffers in a MAP_SHARED mapping of a /dev/shm file, as a dmabuf provider's pages are;
 * the file is removed on close. Buffer {@code bid} is bytes {@code [bid * size, (bid + 1) * size)}.
 */
final class ShmBuffers implements AutoCloseable {
    private static final AtomicInteger IDS = new AtomicInteger();

    private final Arena arena = Arena.ofShared();
    private final Path path;
    private final MemorySegment segment;
    private final int bufSize;
    private final int count;

    ShmBuffers(int count, int bufSize) {
        this.count = count;
        this.bufSize = bufSize;
        this.path = Path.of("/dev/shm", "netmem-uring-test-" + ProcessHandle.current().pid() + "-" + IDS.incrementAndGet());
        try (FileChannel fc = FileChannel.open(path, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ,
                StandardOpenOption.WRITE)) {
            this.segment = fc.map(FileChannel.MapMode.READ_WRITE, 0, (long) count * bufSize, arena);
        } catch (IOException e) {
            arena.close();
            throw new UncheckedIOException(e);
        }
    }

    MemorySegment segment() {
        return segment;
    }

    long address(int bid) {
        return segment.address() + (long) bid * bufSize;
    }

    long offset(int bid) {
        return (long) bid * bufSize;
    }

    int bufSize() {
        return bufSize;
    }

    int count() {
        return count;
    }

    Path path() {
        return path;
    }

    /** Posts every buffer on the ring, bid = index. */
    void postAll(BufRing ring) {
        for (int bid = 0; bid < count; bid++) {
            ring.add(address(bid), bufSize, bid, bid);
        }
        ring.advance(count);
    }

    @Override
    public void close() {
        arena.close();
        try {
            Files.deleteIfExists(path);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
