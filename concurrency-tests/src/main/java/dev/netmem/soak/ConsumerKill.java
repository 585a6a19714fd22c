package dev.netmem.soak;

import dev.netmem.demo.DemoMain;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The "consumer killed while holding buffers" fault: runs the zero-copy demo in this JVM, waits for its
 * consumer process (a child JVM that holds dma-buf tokens, or user-ring buffers, while it verifies
 * them), lets it run for a moment, stops it with SIGSTOP so that it holds what reaches it, SIGKILLs it
 * ({@link ProcessHandle#destroyForcibly()}), and reads
 * the demo's JSON summary: the consumer must be reported dead, nothing outstanding, inflight 0 after
 * teardown, its shared files removed; with dmabuf the socket must have reclaimed the dead consumer's tokens. (With the user
 * ring the consumer holds buffers through the refill ring, not tokens: closing the ifq scrubs them,
 * and {@code tokens_reclaimed} is 0 by design.)
 */
final class ConsumerKill {
    private static final String CONSUMER_CLASS = "dev.netmem.demo.Consumer";
    /** How long the stopped consumer is left to hold what the receiver hands it before the SIGKILL. */
    private static final Duration STOPPED_HOLD = Duration.ofMillis(500);
    /** The demo's {@code --rate}: a stream the stopped consumer's buffers fill in its hold, on a fraction of a core. */
    static final String DEMO_RATE = "32m";

    /** What one kill did. */
    record Outcome(String provider, boolean killed, int exit, boolean consumerDied, long tokensReclaimed,
                   long tokensOutstanding, long inflightAfter, String problem) {
        boolean ok() {
            return problem == null;
        }
    }

    private ConsumerKill() {
    }

    /** Runs the demo with {@code provider} and kills its consumer; never throws for a failed check. */
    static Outcome run(String provider, Duration hold) throws InterruptedException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        CompletableFuture<Integer> demo = new CompletableFuture<>();
        Thread.ofPlatform().daemon().name("soak-demo-" + provider).start(() -> {
            try (PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
                 PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8)) {
                // paced: unpaced, the demo's stream takes both cores from the soak's own traffic for as long as
                // it runs (a CI run's verified packets fell to a tenth, and flow 2 saw no injected failure)
                demo.complete(DemoMain.run(List.of("--provider", provider, "--seconds", "60", "--rate", DEMO_RATE,
                        "--json", "--quiet", "--debug"), // a failure then carries its stack trace into the soak report
                        o, e));
            } catch (Throwable t) {
                demo.completeExceptionally(t);
            }
        });
        ProcessHandle consumer = awaitConsumer(demo, Duration.ofSeconds(60));
        boolean killed = false;
        String stopProblem = null;
        if (consumer != null) {
            Thread.sleep(hold); // it said ready and is verifying
            // Then stopped, it holds what reaches it from now on: on a loaded machine a slow stream otherwise
            // leaves a consumer that has handed every token back by the time it is killed.
            stopProblem = sigstop(consumer);
            Thread.sleep(STOPPED_HOLD); // records and completions pile up, unverified and unreturned
            killed = consumer.destroyForcibly(); // SIGKILL (a stopped process dies too)
            consumer.onExit().orTimeout(30, TimeUnit.SECONDS).exceptionally(x -> null).join();
        }
        int exit;
        try {
            exit = demo.get(120, TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            return new Outcome(provider, killed, -1, false, 0, -1, -1, "demo did not finish: " + e);
        }
        String json = lastLine(out.toString(StandardCharsets.UTF_8));
        boolean died = "true".equals(field(json, "consumer_died"));
        long reclaimed = longField(json, "tokens_reclaimed");
        long outstanding = longField(json, "tokens_outstanding");
        long inflight = longField(json, "inflight_after");
        String problem = null;
        if (!killed) {
            problem = "no consumer process was found to kill";
        } else if (!died || exit == 0) {
            problem = "the demo did not report the consumer dead (exit " + exit + ")";
        } else if (outstanding != 0 || inflight != 0) {
            problem = "not everything was reclaimed: tokens_outstanding " + outstanding + ", inflight_after " + inflight;
        } else if (!err.toString(StandardCharsets.UTF_8).contains("shared files removed true")) {
            problem = "the demo's shared files were not all removed";
        } else if (provider.equals("dmabuf") && reclaimed <= 0) {
            problem = "the dead consumer's tokens were not reclaimed (tokens_reclaimed " + reclaimed + ")";
        }
        if (problem != null && stopProblem != null) {
            problem += "; " + stopProblem;
        }
        if (problem != null) {
            problem += "; demo said: " + json + " " + err.toString(StandardCharsets.UTF_8).strip();
        }
        return new Outcome(provider, killed, exit, died, reclaimed, outstanding, inflight, problem);
    }

    /** Sends SIGSTOP to {@code p} with {@code kill(1)}; returns why it could not, or {@code null}. */
    private static String sigstop(ProcessHandle p) throws InterruptedException {
        try {
            Process k = new ProcessBuilder("kill", "-STOP", Long.toString(p.pid())).redirectErrorStream(true).start();
            String said = new String(k.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            int rc = k.waitFor();
            return rc == 0 ? null : "kill -STOP exited " + rc + ": " + said;
        } catch (java.io.IOException e) {
            return "kill -STOP could not run: " + e.getMessage();
        }
    }

    private static ProcessHandle awaitConsumer(CompletableFuture<Integer> demo, Duration timeout)
            throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline && !demo.isDone()) {
            Optional<ProcessHandle> c = ProcessHandle.current().descendants()
                    .filter(h -> h.info().arguments().map(a -> List.of(a).contains(CONSUMER_CLASS)).orElse(false))
                    .findFirst();
            if (c.isPresent() && attached(c.get())) {
                return c.get();
            }
            Thread.sleep(50);
        }
        return null;
    }

    /**
     * Whether the consumer has mapped its shared rings (the hand-off rings of a dma-buf run, the zcrx
     * region of a user-ring run): it is about to say ready, so data flows to it from then on.
     */
    private static boolean attached(ProcessHandle consumer) {
        try {
            String maps = java.nio.file.Files.readString(java.nio.file.Path.of("/proc", Long.toString(consumer.pid()),
                    "maps"));
            return maps.contains("netmem-handoff") || maps.contains("netmem-zcrx");
        } catch (java.io.IOException e) {
            return false; // it is gone, or not yet readable
        }
    }

    private static String lastLine(String s) {
        String[] lines = s.strip().split("\n");
        return lines[lines.length - 1];
    }

    private static String field(String json, String name) {
        Matcher m = Pattern.compile("\"" + name + "\":(\"[^\"]*\"|[^,}]+)").matcher(json);
        return m.find() ? m.group(1).replace("\"", "") : null;
    }

    private static long longField(String json, String name) {
        String v = field(json, name);
        try {
            return v == null ? -1 : Long.parseLong(v);
        } catch (NumberFormatException e) {
            return -1;
        }
    }
}
