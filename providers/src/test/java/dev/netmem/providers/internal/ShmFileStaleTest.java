package dev.netmem.providers.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Files of processes that are gone are swept at start, as the kernel frees a dead process's memory. */
class ShmFileStaleTest {
    @TempDir
    Path dir;

    /** The pid of a process that has exited. */
    private static long deadPid() throws Exception {
        Process p = new ProcessBuilder("true").start();
        p.waitFor();
        long pid = p.pid();
        assertTrue(ProcessHandle.of(pid).isEmpty(), "pid " + pid + " still runs");
        return pid;
    }

    @Test
    void shouldRemoveOnlyWhatAnExitedProcessLeft() throws Exception {
        long dead = deadPid();
        long me = ProcessHandle.current().pid();
        Path deadDmabuf = Files.createFile(dir.resolve("netmem-dmabuf-" + dead + "-1"));
        Path deadSoakDir = Files.createDirectory(dir.resolve("netmem-soak-" + dead + "-4711"));
        Files.createFile(deadSoakDir.resolve("netmem-zcrx-" + me + "-9"));
        Path mine = Files.createFile(dir.resolve("netmem-zcrx-" + me + "-1"));
        Path foreign = Files.createFile(dir.resolve("other-" + dead + "-1"));
        Path noPid = Files.createFile(dir.resolve("netmem-dmabuf-x" + dead + "-1"));
        try (ShmFile live = ShmFile.create(dir, "netmem-dmabuf", 4096)) {
            List<Path> removed = ShmFile.removeStale(dir);

            assertEquals(Set.of(deadDmabuf, deadSoakDir), Set.copyOf(removed));
            assertFalse(Files.exists(deadDmabuf));
            assertFalse(Files.exists(deadSoakDir));
            Set<Path> left;
            try (var s = Files.list(dir)) {
                left = s.collect(Collectors.toSet());
            }
            assertEquals(Set.of(mine, foreign, noPid, live.path()), left);
        }
    }

    @Test
    void shouldReadTheCreatorPidFromTheName() {
        assertEquals(1234, ShmFile.creatorPid("netmem-dmabuf-1234-1"));
        assertEquals(1234, ShmFile.creatorPid("netmem-soak-1234-98765432"));
        assertEquals(-1, ShmFile.creatorPid("netmem-dmabuf-1234"));
        assertEquals(-1, ShmFile.creatorPid("netmem-1234-1"));
        assertEquals(-1, ShmFile.creatorPid("dmabuf-1234-1"));
    }

    @Test
    void shouldReturnNothingForAMissingDirectory() {
        assertEquals(List.of(), ShmFile.removeStale(dir.resolve("absent")));
    }
}
