package dev.netmem.stress;

import dev.netmem.cli.Cli;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Stack;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import org.openjdk.jcstress.JCStress;
import org.openjdk.jcstress.Options;
import org.openjdk.jcstress.annotations.Expect;
import org.openjdk.jcstress.infra.Status;
import org.openjdk.jcstress.infra.collectors.DiskReadCollector;
import org.openjdk.jcstress.infra.collectors.InProcessCollector;
import org.openjdk.jcstress.infra.collectors.TestResult;
import org.openjdk.jcstress.infra.grading.GradingResult;
import org.openjdk.jcstress.infra.grading.TestGrading;
import org.openjdk.jcstress.infra.runners.TestList;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.IParameterConsumer;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

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
@Command(name = "stress",
        description = "jcstress tests of the refcount and teardown races: per test, how often each outcome was "
            + "seen and how many were forbidden. Writes stress-summary.json and jcstress's HTML report into the "
            + "working directory (./netmem stress: concurrency-tests/target/stress-<mode>/).",
        exitCodeList = "0:every test ran, none errored, no forbidden outcome was seen")
public final class StressMain implements Callable<Integer> {
    @Mixin
    private Cli.Common common;

    @Spec
    private CommandSpec spec;

    @Option(names = "--quick", description = "CI mode (the default): jcstress 'quick' preset, one JVM "
            + "configuration with -ea, about a minute.")
    private boolean quick;

    @Option(names = "--full", description = "Release mode: jcstress 'default' preset, every JVM configuration, "
            + "split compilation, one fork per configuration (--jcstress -fsm 5 for five).")
    private boolean full;

    @Option(names = "--tests", paramLabel = "REGEX", description = "Only the tests whose name this regular "
            + "expression finds (e.g. RingVsNapi).")
    private String tests;

    @Option(names = "--jcstress", arity = "0..*", paramLabel = "ARGS", parameterConsumer = Rest.class,
            description = "Everything after it goes to jcstress (e.g. --jcstress -time 2000).")
    private List<String> extra = new ArrayList<>();

    private final PrintStream out;
    private final PrintStream err;

    private StressMain(PrintStream out, PrintStream err) {
        this.out = out;
        this.err = err;
    }

    /** Aggregated observations of one test over all its configurations. */
    record TestSummary(String name, Map<String, Long> counts, Map<String, Expect> grades, long samples,
                       long forbidden, int configs, List<String> errors) {
    }

    /** {@code StressMain [--quick|--full] [--tests REGEX] [--jcstress ARGS...]}. */
    public static void main(String[] args) {
        Cli.forMain();
        System.exit(run(args, System.out, System.err));
    }

    static int run(String[] args, PrintStream out, PrintStream err) {
        return commandLine(out, err).execute(args);
    }

    /** This program's command line, printing to these streams (also what shell completion is made from). */
    public static CommandLine commandLine(PrintStream out, PrintStream err) {
        return Cli.commandLine(new StressMain(out, err), "netmem stress", out, err);
    }

    /** Takes every remaining argument, options included, for jcstress. */
    static final class Rest implements IParameterConsumer {
        @Override
        public void consumeParameters(Stack<String> args, ArgSpec argSpec, CommandSpec commandSpec) {
            List<String> rest = new ArrayList<>();
            while (!args.isEmpty()) {
                rest.add(args.pop());
            }
            List<String> all = new ArrayList<>(argSpec.<List<String>>getValue());
            all.addAll(rest);
            argSpec.setValue(all);
        }
    }

    @Override
    public Integer call() throws Exception {
        if (quick && full) {
            throw new ParameterException(spec.commandLine(), "give --quick or --full, not both");
        }
        String mode = full ? "full" : "quick";
        String filter = "dev\\.netmem\\.";
        if (tests != null) {
            filter = checkTests(tests);
        }
        List<String> jc = new ArrayList<>(List.of("-t", filter, "-c", "2", "-v"));
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
            throw new ParameterException(spec.commandLine(), "jcstress rejected the options " + jc);
        }
        Cli.startRun(err);
        long t0 = System.nanoTime();
        try {
            new JCStress(opts).run();
        } catch (AssertionError e) {
            // jcstress's own failure report; the summary below counts the same failures
            spec.commandLine().getErr().println("jcstress: " + e.getMessage());
        }
        double secs = (System.nanoTime() - t0) / 1e9;
        List<TestSummary> summaries = summarize(opts.getResultFile());
        return report(mode, secs, summaries, out, Path.of("stress-summary.json"));
    }

    /**
     * The {@code --tests} filter, checked before anything runs: a valid regular expression that finds
     * at least one of this module's tests (jcstress would otherwise run nothing and leave no results).
     */
    private String checkTests(String regex) {
        Pattern p;
        try {
            p = Pattern.compile(regex);
        } catch (PatternSyntaxException e) {
            throw new ParameterException(spec.commandLine(), "--tests is not a regular expression: "
                    + e.getDescription() + " at index " + e.getIndex() + " of " + regex);
        }
        TreeSet<String> all = new TreeSet<>(TestList.tests());
        if (all.stream().noneMatch(t -> p.matcher(t).find())) {
            StringBuilder names = new StringBuilder();
            for (String t : all) {
                names.append(names.isEmpty() ? "" : ", ").append(t.replaceFirst("^dev\\.netmem\\.stress\\.", ""));
            }
            throw new ParameterException(spec.commandLine(), "--tests " + regex + " matches no test; the tests: "
                    + names);
        }
        return regex;
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
