package dev.netmem.bench;

import dev.netmem.bench.recv.RecvBench;
import dev.netmem.bench.report.DemoRuns;
import dev.netmem.cli.Cli;
import dev.netmem.bench.report.JmhResults;
import dev.netmem.bench.report.Json;
import dev.netmem.bench.report.Report;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import org.openjdk.jmh.profile.GCProfiler;
import org.openjdk.jmh.results.format.ResultFormatType;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code ./netmem bench}: runs the receive benchmark ({@link RecvBench}: a real loopback stream
 * through NIO, NIO piped to another JVM, Netty's io_uring transport and netmem's drivers and
 * providers, medians of alternating repetitions) and every benchmark in one JMH run, then writes the
 * results: {@code results/recv.json} and {@code recv-section.md}, {@code results/latest.json} (JMH's
 * JSON), and, derived from both by {@link Report}: {@code latest.md}, {@code latest.png},
 * {@code summary.json} and {@code performance-section.md}. Runs from the repository root (the
 * launcher's working directory); the console output is also written to {@code results/tmp/latest.log}.
 *
 * <p>Options are checked before anything runs or is written. Interrupting the run (Ctrl-C, SIGTERM)
 * stops every child process (consumer JVMs, JMH forks) before this JVM exits.
 */
@Command(name = "bench",
        description = {
            "Runs the receive benchmark (a loopback TCP stream through NIO, NIO piped to another JVM, Netty "
                + "io_uring and netmem's drivers and providers; medians of 5 alternating repetitions) and every JMH "
                + "benchmark in one run, then writes bench/results/: recv.json, recv-section.md, latest.json (JMH), "
                + "latest.md, latest.png, summary.json, performance-section.md; the console log also goes to "
                + "bench/results/tmp/latest.log.",
            "Without --quick: the full run, 4 GiB per receive run, 2 forks, 4 x 1 s warm-up, 6 x 1 s measurement."},
        exitCodeList = "0:the runs finished and the results were written")
public final class BenchMain implements Callable<Integer> {
    /** Every benchmark class of this module: {@code Bench1…Bench4}. */
    static final String ALL = "dev\\.netmem\\.bench\\.Bench\\d\\w*\\.";
    /**
     * JVM flag of every fork but the Netty {@code …Jdk25Default} ones: lets Netty 4.2 and JCTools use
     * {@code sun.misc.Unsafe} (their best case; Netty turns it off on JDK 24+ without it). netmem itself
     * uses VarHandles and FFM only.
     */
    public static final String UNSAFE_ALLOWED = "--sun-misc-unsafe-memory-access=allow";
    /** The results folder as the README links it. */
    static final String README_LINK = "bench/results";

    @Mixin
    private Cli.Common common;

    @Spec
    private CommandSpec spec;

    @Option(names = "--quick", description = "The same comparisons, shorter: 256 MiB per receive run (a check that "
            + "every path runs and verifies: a path above 10 Gbit/s spends most of such a run in its first, slower "
            + "second); every JMH benchmark 1 fork, 3 x 400 ms.")
    private boolean quick;

    @Option(names = "--full", description = "The full run (the default).")
    private boolean full;

    @Option(names = {"--no-recv", "--no-demo"}, description = "Skip the receive benchmark before the JMH "
            + "benchmarks (the committed recv.json stays and is reported).")
    private boolean noRecv;

    @Option(names = "--report-only", description = "Run nothing: regenerate latest.md, latest.png, summary.json "
            + "and performance-section.md from the results folder's latest.json.")
    private boolean reportOnly;

    @Option(names = "--include", paramLabel = "REGEX", description = "Only the benchmarks this JMH regex "
            + "matches (a partial run, no demo; with --results DIR to keep the committed results).")
    private String include;

    @Option(names = "-p", paramLabel = "NAME=V1,V2", description = "A JMH parameter override, e.g. "
            + "-p provider=host,dmabuf (repeatable).")
    private Map<String, String> params = new LinkedHashMap<>();

    @Option(names = "--prof", paramLabel = "NAME[:OPTS]", description = "Another JMH profiler besides gc "
            + "(stack, perfasm:events=cpu-clock, ...; repeatable; no demo).")
    private List<String> profilers = new ArrayList<>();

    @Option(names = "--results", paramLabel = "DIR", description = "Write there instead of bench/results "
            + "(relative to the repository root).")
    private Path dir = Path.of("bench", "results");

    private final PrintStream out;
    private final PrintStream err;

    private BenchMain(PrintStream out, PrintStream err) {
        this.out = out;
        this.err = err;
    }

    /** Entry point; see {@link #run}. */
    public static void main(String[] args) {
        Cli.forMain();
        System.exit(run(Arrays.asList(args), System.out, System.err));
    }

    /**
     * Runs the benchmarks (or only the report) as the arguments say, with these streams.
     *
     * @return the exit status: 0 when the results were written, 1 on a failure, 2 on bad usage
     */
    public static int run(List<String> args, PrintStream out, PrintStream err) {
        return commandLine(out, err).execute(args.toArray(String[]::new));
    }

    /** This program's command line, printing to these streams (also what shell completion is made from). */
    public static CommandLine commandLine(PrintStream out, PrintStream err) {
        return Cli.commandLine(new BenchMain(out, err), "netmem bench", out, err);
    }

    @Override
    public Integer call() throws Exception {
        if (quick && full) {
            throw new ParameterException(spec.commandLine(), "give --quick or --full, not both");
        }
        if (include != null) {
            try {
                Pattern.compile(include);
            } catch (PatternSyntaxException e) {
                throw new ParameterException(spec.commandLine(), "--include is not a regular expression: "
                        + e.getDescription() + " at index " + e.getIndex() + " of " + include);
            }
        }
        Path latest = dir.resolve("latest.json");
        if (reportOnly && !Files.exists(latest)) {
            throw new Cli.Failure("nothing to report: " + latest + " does not exist (./netmem bench writes it)");
        }
        Cli.startRun(err);
        Path tmp = dir.resolve("tmp");
        Files.createDirectories(tmp);
        try (PrintStream log = new PrintStream(Files.newOutputStream(tmp.resolve("latest.log")), true,
                StandardCharsets.UTF_8)) {
            return runAndReport(tee(out, log), latest, tmp);
        }
    }

    private int runAndReport(PrintStream console, Path latest, Path tmp) throws Exception {
        long start = System.nanoTime();
        Map<String, Object> machine;
        if (reportOnly) {
            machine = previousMachine(dir.resolve("summary.json"));
        } else {
            if (!noRecv && include == null && profilers.isEmpty()) {
                // the receive section: every path a Java user could take, medians of 5 alternating runs
                List<String> recvArgs = new ArrayList<>(List.of("--results", dir.toString()));
                if (quick) {
                    recvArgs.add("--quick");
                }
                int rc = RecvBench.run(recvArgs, console, err);
                if (rc != 0) {
                    throw new Cli.Failure("the receive benchmark failed (exit " + rc + "): see the [recv] lines above");
                }
            }
            Path json = tmp.resolve("jmh.json");
            String mode = quick ? "quick" : "full";
            String what = include == null ? ALL : include;
            PrintStream stdout = System.out;
            System.setOut(console); // JMH prints its progress to System.out
            try (Machine m = Machine.startRun(include == null ? mode : mode + ", partial: " + include)) {
                new Runner(options(quick, what, params, profilers, json).build()).run();
                machine = m.describe();
            } finally {
                System.setOut(stdout);
            }
            Files.copy(json, latest, StandardCopyOption.REPLACE_EXISTING);
        }
        Path recvJson = dir.resolve("recv.json");
        Map<String, Object> recv = Files.exists(recvJson) && Json.parse(Files.readString(recvJson)) instanceof Map<?, ?> m
                ? castMap(m) : Map.of();
        Report report = new Report(JmhResults.read(latest), machine, DemoRuns.fromRecv(recv), recv);
        report.writeAll(dir, README_LINK);
        console.println("[netmem-bench] wrote " + dir.toAbsolutePath() + "/{latest.json,latest.md,latest.png,"
                + "summary.json,performance-section.md}");
        console.printf("[netmem-bench] done in %d s%n", (System.nanoTime() - start) / 1_000_000_000L);
        return Cli.EXIT_OK;
    }

    /** Writes to both streams. */
    private static PrintStream tee(PrintStream a, PrintStream b) {
        return new PrintStream(new java.io.OutputStream() {
            @Override
            public void write(int c) {
                a.write(c);
                b.write(c);
            }

            @Override
            public void write(byte[] buf, int off, int len) {
                a.write(buf, off, len);
                b.write(buf, off, len);
            }

            @Override
            public void flush() {
                a.flush();
                b.flush();
            }
        }, true, StandardCharsets.UTF_8);
    }

    static ChainedOptionsBuilder options(boolean quick, String include, Map<String, String> params,
                                        List<String> profilers, Path json) {
        ChainedOptionsBuilder o = new OptionsBuilder()
                .include(include)
                .addProfiler(GCProfiler.class)
                .resultFormat(ResultFormatType.JSON)
                .result(json.toString())
                .shouldFailOnError(true)
                // A fixed heap: no resizing during measurement. (Prepend: the classes' @Fork annotations
                // append UNSAFE_ALLOWED, and an option here would override them.)
                .jvmArgsPrepend("-Xms1g", "-Xmx1g")
                .timeout(TimeValue.minutes(2));
        if (quick) {
            o.forks(1).warmupIterations(3).warmupTime(TimeValue.milliseconds(400))
                    .measurementIterations(3).measurementTime(TimeValue.milliseconds(400));
        } else {
            o.forks(2).warmupIterations(4).warmupTime(TimeValue.seconds(1))
                    .measurementIterations(6).measurementTime(TimeValue.seconds(1));
        }
        params.forEach((k, v) -> o.param(k, v.split(",")));
        for (String p : profilers) {
            String[] nameOpts = p.split(":", 2);
            o.addProfiler(nameOpts[0], nameOpts.length > 1 ? nameOpts[1] : "");
        }
        return o;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> castMap(Map<?, ?> m) {
        return (Map<String, Object>) m;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> previousMachine(Path summary) throws java.io.IOException {
        if (Files.exists(summary) && Json.parse(Files.readString(summary)) instanceof Map<?, ?> s
                && s.get("machine") instanceof Map<?, ?> m) {
            return (Map<String, Object>) m;
        }
        return new LinkedHashMap<>(Map.of("description", "unknown (regenerated without a machine description)"));
    }

}
