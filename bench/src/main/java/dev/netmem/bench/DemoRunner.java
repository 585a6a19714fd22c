package dev.netmem.bench;

import dev.netmem.cli.ChildProcesses;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The bench's demo phase: runs {@code scripts/demo.sh --json --quiet} for each provider and mode as a
 * child process, bounded by a timeout, and keeps the JSON summary (the demo's last line of stdout) of
 * each run in {@code results/demo/}. The new summaries replace the old ones only when every run has
 * ended, so an interrupted phase leaves the previous ones in place. Output of each run:
 * {@code results/tmp/demo-<provider>-<mode>.out} and {@code .err}.
 */
final class DemoRunner {
    private final PrintStream console;
    private final Path results;
    private final Path tmp;
    private final int seconds;
    private final int timeoutSeconds;

    DemoRunner(PrintStream console, Path results, Path tmp, int seconds, int timeoutSeconds) {
        this.console = console;
        this.results = results;
        this.tmp = tmp;
        this.seconds = seconds;
        this.timeoutSeconds = timeoutSeconds;
    }

    /** Runs every provider x mode, then replaces {@code results/demo/*.json} with what verified. */
    void runAll(List<String> providers, List<String> modes) throws IOException, InterruptedException {
        Path staging = tmp.resolve("demo");
        deleteJson(staging);
        Files.createDirectories(staging);
        for (String provider : providers) {
            for (String mode : modes) {
                runOne(provider, mode, staging);
            }
        }
        Path demo = results.resolve("demo");
        deleteJson(demo);
        Files.createDirectories(demo);
        try (Stream<Path> s = Files.list(staging)) {
            for (Path p : (Iterable<Path>) s::iterator) {
                Files.move(p, demo.resolve(p.getFileName()), StandardCopyOption.REPLACE_EXISTING);
            }
        }
    }

    private void runOne(String provider, String mode, Path staging) throws IOException, InterruptedException {
        String name = "demo-" + provider + "-" + mode;
        Path out = tmp.resolve(name + ".out");
        Path err = tmp.resolve(name + ".err");
        console.printf("[netmem-bench] demo --provider %s --mode %s --seconds %d%n", provider, mode, seconds);
        Process p = ChildProcesses.start(new ProcessBuilder("bash", "scripts/demo.sh", "--provider", provider, "--mode",
                mode, "--seconds", String.valueOf(seconds), "--json", "--quiet")
                .redirectOutput(out.toFile()).redirectError(err.toFile()));
        String exit;
        if (p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            exit = "exited " + p.exitValue();
        } else {
            ChildProcesses.stopTree(p.toHandle());
            exit = "stopped after " + timeoutSeconds + " s (its figures stay pending)";
        }
        List<String> lines = Files.readAllLines(out);
        if (!lines.isEmpty() && lines.getLast().startsWith("{")) {
            Files.writeString(staging.resolve(provider + "-" + mode + ".json"), lines.getLast() + "\n");
        }
        String summary = "no summary";
        for (String l : Files.readAllLines(err)) {
            if (l.startsWith("received")) {
                summary = l;
                break;
            }
        }
        console.printf("[netmem-bench] demo %s: %s%n", exit, summary);
    }

    private static void deleteJson(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return;
        }
        try (Stream<Path> s = Files.list(dir)) {
            for (Path p : (Iterable<Path>) s::iterator) {
                if (p.getFileName().toString().endsWith(".json")) {
                    Files.delete(p);
                }
            }
        }
    }
}
