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
        Process p = ChildProcesses.start(new ProcessBuilder("bash", "-c", "sleep 600 & sleep 600 & wait"));
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
