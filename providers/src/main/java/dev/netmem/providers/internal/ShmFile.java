package dev.netmem.providers.internal;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A shared-memory file mapped read-write with FFM ({@link FileChannel#map(FileChannel.MapMode, long,
 * long, Arena)}): created with mode 0600 under a directory (normally {@code /dev/shm}), or opened from
 * an existing path. Any process that maps the same file sees the same bytes.
 *
 * <p>{@link #close()} unmaps and, if this object created the file, deletes it. Not thread-safe:
 * the owner (a {@code Dmabuf} or a zcrx ifq) serialises close against its own users.
 *
 * <p>A file this JVM created and never closed is deleted when the JVM exits normally (a shutdown
 * hook), as the kernel frees a process's dma-bufs and io_uring regions when it dies: another process
 * that still maps it keeps its mapping, but nothing is left behind in {@code /dev/shm}. A JVM killed
 * with SIGKILL runs no hooks; its files stay until {@link #removeStale} (which every netmem program
 * runs at start) finds that their creator is gone.
 */
public final class ShmFile implements AutoCloseable {
    /** {@code PAGE_SIZE} of the mapping granularity. */
    public static final long PAGE_SIZE = 4096;

    private static final AtomicLong SEQ = new AtomicLong();
    /** {@code netmem-<kind>-<pid>-<rest>}: what {@link #create} names, and what {@link #removeStale} sweeps. */
    private static final Pattern OWNED_NAME = Pattern.compile("netmem-[a-z]+-([0-9]{1,18})-.+");
    private static final FileAttribute<Set<PosixFilePermission>> MODE_0600 =
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"));

    /** Files this JVM created and has not closed yet; deleted by {@link #EXIT_CLEANUP} on exit. */
    private static final Set<Path> LIVE = ConcurrentHashMap.newKeySet();
    private static final Thread EXIT_CLEANUP = new Thread(ShmFile::deleteLive, "netmem-shm-cleanup");
    private static final AtomicBoolean HOOKED = new AtomicBoolean();

    private final Path path;
    private final boolean created;
    private final Arena arena;
    private final MemorySegment segment;

    private ShmFile(Path path, boolean created, Arena arena, MemorySegment segment) {
        this.path = path;
        this.created = created;
        this.arena = arena;
        this.segment = segment;
    }

    /** {@code size} rounded up to a whole number of pages. */
    public static long roundUpToPages(long size) {
        return (size + PAGE_SIZE - 1) & -PAGE_SIZE;
    }

    /**
     * Creates {@code <dir>/<prefix>-<pid>-<seq>} with mode 0600 (set at creation, so no other user can
     * ever open it), {@code size} bytes rounded up to pages, and maps it.
     *
     * @throws IllegalArgumentException if {@code size <= 0}
     * @throws UncheckedIOException     if the file cannot be created or mapped
     */
    public static ShmFile create(Path dir, String prefix, long size) {
        Objects.requireNonNull(dir, "dir");
        if (size <= 0) {
            throw new IllegalArgumentException(prefix + " size must be > 0: " + size);
        }
        long bytes = roundUpToPages(size);
        Path path;
        while (true) {
            path = dir.resolve(prefix + "-" + ProcessHandle.current().pid() + "-" + SEQ.incrementAndGet());
            try {
                Files.createFile(path, MODE_0600);
                break;
            } catch (FileAlreadyExistsException e) {
                // a stale file of an earlier process with the same pid: take the next name
            } catch (IOException e) {
                throw new UncheckedIOException("cannot create " + path, e);
            }
        }
        if (HOOKED.compareAndSet(false, true)) {
            Runtime.getRuntime().addShutdownHook(EXIT_CLEANUP);
        }
        LIVE.add(path);
        try {
            return map(path, bytes, true);
        } catch (RuntimeException e) {
            LIVE.remove(path);
            deleteQuietly(path);
            throw e;
        }
    }

    /**
     * Removes from {@code dir} what processes that no longer run left there, as the kernel frees the
     * memory of a process that died: every file or directory named {@code netmem-<kind>-<pid>-<rest>}
     * (this class's files, and directories such as the soak's) whose {@code <pid>} is not a live
     * process. Files of live processes, and names of any other form, are left alone; an entry that
     * cannot be removed (another user's, say) is skipped. Pids are this PID namespace's: processes
     * that share {@code dir} must share it too.
     *
     * @return what was removed
     */
    public static List<Path> removeStale(Path dir) {
        Objects.requireNonNull(dir, "dir");
        List<Path> removed = new ArrayList<>();
        try (Stream<Path> entries = Files.list(dir)) {
            for (Path p : (Iterable<Path>) entries::iterator) {
                long pid = creatorPid(p.getFileName().toString());
                if (pid > 0 && ProcessHandle.of(pid).isEmpty() && deleteTree(p)) {
                    removed.add(p);
                }
            }
        } catch (IOException | UncheckedIOException e) {
            // dir vanished or unreadable: nothing to sweep
        }
        return removed;
    }

    /**
     * The pid in a name {@code netmem-<kind>-<pid>-<rest>}, or -1 for any other name.
     */
    public static long creatorPid(String name) {
        Matcher m = OWNED_NAME.matcher(name);
        if (!m.matches()) {
            return -1;
        }
        try {
            return Long.parseLong(m.group(1));
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private static boolean deleteTree(Path p) {
        try {
            if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
                try (Stream<Path> children = Files.list(p)) {
                    for (Path c : (Iterable<Path>) children::iterator) {
                        deleteTree(c);
                    }
                }
            }
            Files.deleteIfExists(p);
            return true;
        } catch (IOException | UncheckedIOException e) {
            return false;
        }
    }

    private static void deleteLive() {
        for (Path p : LIVE) {
            deleteQuietly(p);
        }
    }

    /**
     * Maps an existing file, all of it.
     *
     * @throws IllegalArgumentException if the file is empty
     * @throws UncheckedIOException     if it cannot be opened or mapped
     */
    public static ShmFile open(Path path) {
        Objects.requireNonNull(path, "path");
        long size;
        try {
            size = Files.size(path);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open " + path, e);
        }
        if (size <= 0) {
            throw new IllegalArgumentException("cannot map empty file " + path);
        }
        return map(path, size, false);
    }

    private static ShmFile map(Path path, long size, boolean created) {
        Arena arena = Arena.ofShared();
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            // READ_WRITE past the end grows the file to size (a new file is empty).
            MemorySegment seg = ch.map(FileChannel.MapMode.READ_WRITE, 0, size, arena);
            return new ShmFile(path, created, arena, seg);
        } catch (IOException e) {
            arena.close();
            throw new UncheckedIOException("cannot map " + path, e);
        }
    }

    private static void deleteQuietly(Path path) {
        try {
            Files.deleteIfExists(path);
        } catch (IOException ignored) {
            // best effort: the caller reports the original failure
        }
    }

    /** The file. */
    public Path path() {
        return path;
    }

    /** Whether this object created the file (and so deletes it on close). */
    public boolean created() {
        return created;
    }

    /** The mapping. */
    public MemorySegment segment() {
        return segment;
    }

    /** Unmaps, then deletes the file if this object created it. */
    @Override
    public void close() {
        arena.close();
        if (created) {
            deleteQuietly(path);
            LIVE.remove(path);
        }
    }
}
