package dev.netmem.bench.report;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The benchmark results of one JMH run, read from its JSON result file ({@code -rf json}).
 *
 * @param results one entry per benchmark and parameter combination, in file order
 * @param jvm     the forked JVM as JMH recorded it ({@code vmName vmVersion}, JDK version)
 */
public record JmhResults(List<Result> results, String jvm) {

    /**
     * One benchmark × parameters result.
     *
     * @param benchmark  the full benchmark name, {@code package.Class.method} (a group's name for a group)
     * @param params     the {@code @Param} values
     * @param score      the primary score
     * @param error      its 99.9% half-interval, or NaN with too few samples
     * @param unit       the primary score's unit
     * @param secondary  secondary results by label (group members, {@code gc.alloc.rate.norm}, …)
     * @param forks      forks in the run
     * @param warmup     warm-up iterations × time
     * @param measure    measurement iterations × time
     */
    public record Result(String benchmark, Map<String, String> params, double score, double error, String unit,
                         Map<String, Metric> secondary, int forks, String warmup, String measure) {

        /** {@code Class.method}: the name without the package. */
        public String shortName() {
            int dot = benchmark.lastIndexOf('.', benchmark.lastIndexOf('.') - 1);
            return benchmark.substring(dot + 1);
        }

        /** Allocated bytes per operation ({@code gc.alloc.rate.norm}), if the GC profiler ran. */
        public Optional<Metric> bytesPerOp() {
            return Optional.ofNullable(secondary.get("gc.alloc.rate.norm"));
        }
    }

    /**
     * A score with its error.
     *
     * @param score the mean
     * @param error the 99.9% half-interval, or NaN
     * @param unit  the unit JMH gives
     */
    public record Metric(double score, double error, String unit) {
    }

    /** Reads {@code file}. */
    public static JmhResults read(Path file) throws IOException {
        return parse(Files.readString(file));
    }

    /**
     * Parses the text of a JMH JSON result file.
     *
     * @throws IllegalArgumentException if it is not one
     */
    public static JmhResults parse(String json) {
        if (!(Json.parse(json) instanceof List<?> list)) {
            throw new IllegalArgumentException("a JMH JSON result is an array of benchmarks");
        }
        List<Result> out = new ArrayList<>();
        String jvm = "";
        for (Object o : list) {
            Map<?, ?> b = (Map<?, ?>) o;
            Map<String, String> params = new LinkedHashMap<>();
            if (b.get("params") instanceof Map<?, ?> p) {
                p.forEach((k, v) -> params.put(String.valueOf(k), String.valueOf(v)));
            }
            Map<String, Metric> secondary = new LinkedHashMap<>();
            if (b.get("secondaryMetrics") instanceof Map<?, ?> sec) {
                sec.forEach((k, v) -> secondary.put(String.valueOf(k), metric((Map<?, ?>) v)));
            }
            Metric primary = metric((Map<?, ?>) b.get("primaryMetric"));
            out.add(new Result(String.valueOf(b.get("benchmark")), params, primary.score(), primary.error(),
                    primary.unit(), secondary, (int) number(b.get("forks")),
                    b.get("warmupIterations") == null ? "" : (int) number(b.get("warmupIterations")) + " × "
                            + b.get("warmupTime"),
                    b.get("measurementIterations") == null ? "" : (int) number(b.get("measurementIterations")) + " × "
                            + b.get("measurementTime")));
            jvm = b.get("vmName") + " " + b.get("vmVersion") + " (JDK " + b.get("jdkVersion") + ")";
        }
        return new JmhResults(List.copyOf(out), jvm);
    }

    /**
     * The result of {@code shortName} ({@code Class.method}, or {@code Class.group}) whose parameters
     * include {@code params}.
     */
    public Optional<Result> find(String shortName, Map<String, String> params) {
        for (Result r : results) {
            if (r.shortName().equals(shortName) && r.params().entrySet().containsAll(params.entrySet())) {
                return Optional.of(r);
            }
        }
        return Optional.empty();
    }

    private static Metric metric(Map<?, ?> m) {
        return new Metric(number(m.get("score")), number(m.get("scoreError")), String.valueOf(m.get("scoreUnit")));
    }

    /** JMH writes NaN and infinities as strings. */
    private static double number(Object o) {
        return switch (o) {
            case Number n -> n.doubleValue();
            case String s -> Double.parseDouble(s);
            case null -> Double.NaN;
            default -> throw new IllegalArgumentException("not a number: " + o);
        };
    }
}
