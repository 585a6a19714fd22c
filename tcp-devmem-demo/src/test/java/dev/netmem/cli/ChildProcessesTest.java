package dev.netmem.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Stopping a child stops what it started too: nothing is left behind to be reparented. */
class ChildProcessesTest {
    @Test
    @Timeout(60)
    void shouldStopAProcessAndEveryDescendant() throws Exception {
        // the root execs a sleep of its own, so its exit status is its SIGTERM's whichever dies first
        // (a shell's `wait` would return 0 if its children were stopped before it)
        Process p = ChildProcesses.start(new ProcessBuilder("bash", "-c", "sleep 600 & sleep 600 & exec sleep 600"));
        List<ProcessHandle> descendants = List.of();
        while (descendants.size() < 2) {
            Thread.onSpinWait();
            descendants = p.descendants().toList();
        }
        ChildProcesses.stopTree(p.toHandle());
        assertEquals(143, p.waitFor()); // SIGTERM
        for (ProcessHandle h : descendants) {
            h.onExit().get();
            assertFalse(h.isAlive(), h.toString());
        }
    }
}
