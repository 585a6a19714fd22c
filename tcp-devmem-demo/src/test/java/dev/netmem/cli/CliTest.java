package dev.netmem.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The pieces every netmem command line shares. */
class CliTest {
    @TempDir
    Path dir;

    @Test
    void shouldPrintLogIdsAsIdsOnOneLine() {
        LogRecord r = new LogRecord(Level.WARNING, "stalled pool shutdown: id {0}, {1} inflight {2} sec{3}");
        r.setParameters(new Object[] {1000, 1285, 60L, ""});
        assertEquals("netmem: WARNING: stalled pool shutdown: id 1000, 1285 inflight 60 sec" + System.lineSeparator(),
                new OneLineLogFormat().format(r));
    }

    @Test
    void shouldDescribeAFailureInOneLine() {
        assertEquals("cannot listen", Cli.describe(new Cli.Failure("cannot listen", new java.io.IOException("x"))));
        assertEquals("no data for 30 s (IOException)", Cli.describe(new java.io.IOException("no data for 30 s")));
        assertEquals("boom (IllegalStateException)", Cli.describe(new java.util.concurrent.ExecutionException(
                new IllegalStateException("boom"))));
        assertEquals("x (IOException)", Cli.describe(new java.io.UncheckedIOException(new java.io.IOException("x"))));
        assertEquals("NullPointerException", Cli.describe(new NullPointerException()));
    }

    @Test
    void shouldSayInOneLineWhatItRemovedOfAnExitedProcess() throws Exception {
        Process p = new ProcessBuilder("true").start();
        p.waitFor();
        Files.createFile(dir.resolve("netmem-dmabuf-" + p.pid() + "-1"));
        Files.createFile(dir.resolve("netmem-zcrx-" + p.pid() + "-2"));
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        List<Path> removed = Cli.removeStaleFiles(dir, new PrintStream(err, true, StandardCharsets.UTF_8));
        assertEquals(2, removed.size());
        assertEquals("netmem: removed 2 shared files in " + dir + " left by exited process " + p.pid() + "\n",
                err.toString(StandardCharsets.UTF_8));
        ByteArrayOutputStream again = new ByteArrayOutputStream();
        assertEquals(List.of(), Cli.removeStaleFiles(dir, new PrintStream(again, true, StandardCharsets.UTF_8)));
        assertEquals("", again.toString(StandardCharsets.UTF_8));
    }
}
