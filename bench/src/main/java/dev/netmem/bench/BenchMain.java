package dev.netmem.bench;

import dev.netmem.bench.report.DemoRuns;
import dev.netmem.bench.report.JmhResults;
import dev.netmem.bench.report.Json;
import dev.netmem.bench.report.Report;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.openjdk.jmh.profile.GCProfiler;
import org.openjdk.jmh.results.format.ResultFormatType;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/**
 * Runs every benchmark in one JMH run and writes the results: {@code results/latest.json} (JMH's
 * JSON), then, derived from it and from the demo's summaries in {@code results/demo/} (which
 * {@code scripts/bench.sh} saves before the run) by {@link Report}: {@code latest.md},
 * {@code latest.png}, {@code summary.json} and {@code performance-section.md}. Started by
 * {@code ./netmem bench}.
 *
 * <pre>
 * BenchMain [--quick] [--report-only] [--include REGEX] [-p NAME=V1,V2]... [--prof NAME[:OPTS]]... [--results DIR]
 *   --quick        every benchmark, 1 fork, short iterations (a few minutes)
 *   (default)      the full run: 2 forks, 4 x 1 s warm-up, 6 x 1 s measurement (about 15 minutes)
 *   --report-only  regenerate the files from results/latest.json, keeping its machine description
 *   --include      a JMH include regex instead of every benchmark (a partial run; for development)
 *   -p             a JMH parameter override, e.g. -p provider=host,dmabuf
 *   --prof         another JMH profiler besides gc (stack, perfasm, ...), for the evidence behind a figure
 * </pre>
 */
public final class BenchMain {
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

    private BenchMain() {
    }

    /**
     * Runs the benchmarks (or only the report) as the arguments say.
     *
     * @throws Exception if JMH or a benchmark fails, or the results cannot be written
     */
    public static void main(String[] args) throws Exception {
        boolean quick = false;
        boolean reportOnly = false;
        String include = ALL;
        Path dir = Path.of("results");
        Map<String, String> params = new LinkedHashMap<>();
        List<String> profilers = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--quick" -> quick = true;
                case "--full" -> quick = false;
                case "--report-only" -> reportOnly = true;
                case "--include" -> include = args[++i];
                case "--results" -> dir = Path.of(args[++i]);
                case "--prof" -> profilers.add(args[++i]);
                case "-p" -> {
                    String[] kv = args[++i].split("=", 2);
                    params.put(kv[0], kv[1]);
                }
                default -> throw new IllegalArgumentException("unknown argument: " + args[i]
                        + " (use --quick, --full, --report-only, --include REGEX, -p NAME=VALUES, --prof NAME[:OPTS], --results DIR)");
            }
        }
        Path latest = dir.resolve("latest.json");
        Map<String, Object> machine;
        if (reportOnly) {
            machine = previousMachine(dir.resolve("summary.json"));
        } else {
            Path tmp = dir.resolve("tmp");
            Files.createDirectories(tmp);
            Path json = tmp.resolve("jmh.json");
            String mode = quick ? "quick" : "full";
            try (Machine m = Machine.startRun(ALL.equals(include) ? mode : mode + ", partial: " + include)) {
                new Runner(options(quick, include, params, profilers, json).build()).run();
                machine = m.describe();
            }
            Files.copy(json, latest, StandardCopyOption.REPLACE_EXISTING);
        }
        Report report = new Report(JmhResults.read(latest), machine, DemoRuns.read(dir.resolve("demo")));
        report.writeAll(dir, README_LINK);
        System.out.println("[netmem-bench] wrote " + dir.toAbsolutePath() + "/{latest.json,latest.md,latest.png,"
                + "summary.json,performance-section.md}");
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
    private static Map<String, Object> previousMachine(Path summary) throws java.io.IOException {
        if (Files.exists(summary) && Json.parse(Files.readString(summary)) instanceof Map<?, ?> s
                && s.get("machine") instanceof Map<?, ?> m) {
            return (Map<String, Object>) m;
        }
        return new LinkedHashMap<>(Map.of("description", "unknown (regenerated without a machine description)"));
    }

}
