package dev.netmem.stress;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.openjdk.jcstress.JCStress;
import org.openjdk.jcstress.Options;
import org.openjdk.jcstress.annotations.Expect;
import org.openjdk.jcstress.infra.Status;
import org.openjdk.jcstress.infra.collectors.DiskReadCollector;
import org.openjdk.jcstress.infra.collectors.InProcessCollector;
import org.openjdk.jcstress.infra.collectors.TestResult;
import org.openjdk.jcstress.infra.grading.GradingResult;
import org.openjdk.jcstress.infra.grading.TestGrading;

/**
 * {@code ./netmem stress}: runs the jcstress tests of this module and prints, per test, how often
 * each outcome was observed and how many observations were forbidden; exits 0 only when every test
 * ran, none errored, and no forbidden outcome was seen.
 *
 * <p>Modes: {@code --quick} (CI: jcstress "quick" preset, one JVM configuration with {@code -ea},
 * unified compilation) and {@code --full} (releases: jcstress "default" preset, every JVM
 * configuration jcstress detects, split per-actor compilation, one fork per configuration; pass
 * {@code --jcstress -fsm 5} for jcstress's five forks of each stress configuration). jcstress writes its result blob and
 * HTML report into the working directory; the summary goes to stdout and {@code stress-summary.json}.
 */
public final class StressMain {
    private StressMain() {
    }

    /** Aggregated observations of one test over all its configurations. */
    record TestSummary(String name, Map<String, Long> counts, Map<String, Expect> grades, long samples,
                       long forbidden, int configs, List<String> errors) {
    }

    /** {@code StressMain [--quick|--full] [--tests REGEX] [--jcstress ARGS...]}. */
    public static void main(String[] args) throws Exception {
        System.exit(run(args, System.out, System.err));
    }

    static int run(String[] args, PrintStream out, PrintStream err) throws Exception {
        String mode = "quick";
        String tests = "dev\\.netmem\\.";
        List<String> extra = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--quick" -> mode = "quick";
                case "--full" -> mode = "full";
                case "--tests" -> {
                    if (++i == args.length) {
                        err.println("netmem stress: --tests needs a regular expression");
                        return 2;
                    }
                    tests = args[i];
                }
                case "--jcstress" -> {
                    extra.addAll(List.of(args).subList(i + 1, args.length));
                    i = args.length;
                }
                case "-h", "--help" -> {
                    out.println("usage: ./netmem stress [--quick|--full] [--tests REGEX] [--jcstress JCSTRESS-ARGS...]");
                    out.println("  --quick  CI mode (default): jcstress 'quick' preset, one JVM configuration, -ea");
                    out.println("  --full   release mode: jcstress 'default' preset, every JVM configuration, split compilation, -fsm 1");
                    return 0;
                }
                default -> {
                    err.println("netmem stress: unknown option: " + args[i] + " (try --help)");
                    return 2;
                }
            }
        }
        List<String> jc = new ArrayList<>(List.of("-t", tests, "-c", "2", "-v"));
        if (mode.equals("quick")) {
            jc.addAll(List.of("-m", "quick", "-f", "1", "-sc", "false", "-jvmArgs", "-ea -Xmx256m -XX:MaxDirectMemorySize=1g --enable-native-access=ALL-UNNAMED"));
        } else {
            jc.addAll(List.of("-m", "default", "-jvmArgsPrepend", "-ea -XX:MaxDirectMemorySize=1g --enable-native-access=ALL-UNNAMED"));
            if (!extra.contains("-fsm")) {
                // one fork per C2-randomizer configuration instead of five: 126 runs instead of 306 on 2 cores
                jc.addAll(List.of("-fsm", "1"));
            }
        }
        jc.addAll(extra);
        Options opts = new Options(jc.toArray(String[]::new));
        if (!opts.parse()) {
            err.println("netmem stress: jcstress rejected the options " + jc);
            return 2;
        }
        long t0 = System.nanoTime();
        try {
            new JCStress(opts).run();
        } catch (AssertionError e) {
            // jcstress's own failure report; the summary below counts the same failures
            err.println("jcstress: " + e.getMessage());
        }
        double secs = (System.nanoTime() - t0) / 1e9;
        List<TestSummary> summaries = summarize(opts.getResultFile());
        return report(mode, secs, summaries, out, Path.of("stress-summary.json"));
    }

    static List<TestSummary> summarize(String resultFile) throws Exception {
        InProcessCollector collector = new InProcessCollector();
        DiskReadCollector reader = new DiskReadCollector(resultFile, collector);
        reader.dump();
        reader.close();
        Map<String, List<TestResult>> byTest = new TreeMap<>();
        for (TestResult r : collector.getTestResults()) {
            byTest.computeIfAbsent(r.getName(), k -> new ArrayList<>()).add(r);
        }
        List<TestSummary> out = new ArrayList<>();
        for (Map.Entry<String, List<TestResult>> e : byTest.entrySet()) {
            Map<String, Long> counts = new TreeMap<>();
            Map<String, Expect> grades = new TreeMap<>();
            List<String> errors = new ArrayList<>();
            long samples = 0;
            long forbidden = 0;
            for (TestResult r : e.getValue()) {
                if (r.status() != Status.NORMAL) {
                    errors.add(r.status() + ": " + String.join(" | ", r.getMessages()));
                }
                TestGrading g = r.grading();
                for (GradingResult gr : g.gradingResults.values()) {
                    if (gr.count == 0) {
                        continue;
                    }
                    counts.merge(gr.id, gr.count, Long::sum);
                    grades.put(gr.id, gr.expect);
                    samples += gr.count;
                    if (gr.expect == Expect.FORBIDDEN || gr.expect == Expect.UNKNOWN) {
                        forbidden += gr.count;
                    }
                }
            }
            out.add(new TestSummary(e.getKey(), counts, grades, samples, forbidden, e.getValue().size(), errors));
        }
        return out;
    }

    static int report(String mode, double secs, List<TestSummary> tests, PrintStream out, Path json)
            throws IOException {
        long samples = 0;
        long forbidden = 0;
        int errors = 0;
        out.println();
        out.printf(Locale.ROOT, "netmem stress (%s): %d tests, %.0f s%n", mode, tests.size(), secs);
        StringBuilder js = new StringBuilder("{\n  \"mode\": \"" + mode + "\",\n  \"seconds\": "
                + String.format(Locale.ROOT, "%.1f", secs) + ",\n  \"tests\": [\n");
        for (int i = 0; i < tests.size(); i++) {
            TestSummary t = tests.get(i);
            samples += t.samples();
            forbidden += t.forbidden();
            errors += t.errors().size();
            String shortName = t.name().replaceFirst("^dev\\.netmem\\.(stress|rxqueue)\\.", "");
            out.printf(Locale.ROOT, "  %-45s %,15d samples %,6d forbidden  (%d configurations)%n", shortName,
                    t.samples(), t.forbidden(), t.configs());
            StringBuilder outcomes = new StringBuilder();
            for (Map.Entry<String, Long> o : t.counts().entrySet()) {
                Expect ex = t.grades().get(o.getKey());
                out.printf(Locale.ROOT, "      [%s] %,15d  %s%n", o.getKey(), o.getValue(), label(ex));
                outcomes.append(outcomes.isEmpty() ? "" : ", ").append("{\"id\": \"").append(o.getKey())
                        .append("\", \"count\": ").append(o.getValue()).append(", \"expect\": \"").append(ex)
                        .append("\"}");
            }
            for (String e : t.errors()) {
                out.println("      ERROR " + e);
            }
            js.append("    {\"name\": \"").append(t.name()).append("\", \"samples\": ").append(t.samples())
                    .append(", \"forbidden\": ").append(t.forbidden()).append(", \"configurations\": ")
                    .append(t.configs()).append(", \"errors\": ").append(t.errors().size())
                    .append(", \"outcomes\": [").append(outcomes).append("]}")
                    .append(i + 1 < tests.size() ? ",\n" : "\n");
        }
        js.append("  ],\n  \"samples\": ").append(samples).append(",\n  \"forbidden\": ").append(forbidden)
                .append(",\n  \"errors\": ").append(errors).append("\n}\n");
        Files.writeString(json, js);
        boolean ok = forbidden == 0 && errors == 0 && !tests.isEmpty()
                && tests.stream().allMatch(t -> t.samples() > 0);
        out.printf(Locale.ROOT, "forbidden outcomes: %,d of %,d samples; test errors: %d; %s%n", forbidden, samples,
                errors, ok ? "PASS" : "FAIL");
        out.println("summary: " + json.toAbsolutePath() + "; jcstress report: " + json.toAbsolutePath().getParent()
                .resolve("results/index.html"));
        return ok ? 0 : 1;
    }

    private static String label(Expect e) {
        return switch (e) {
            case ACCEPTABLE -> "acceptable";
            case ACCEPTABLE_INTERESTING -> "acceptable, interesting";
            case FORBIDDEN -> "FORBIDDEN";
            case UNKNOWN -> "UNKNOWN (not listed: counted as forbidden)";
        };
    }
}
