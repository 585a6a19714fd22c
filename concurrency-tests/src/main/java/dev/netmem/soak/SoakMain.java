package dev.netmem.soak;

import dev.netmem.cli.Cli;
import java.io.PrintStream;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ThreadLocalRandom;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code ./netmem soak}: see {@link Soak}. */
@Command(name = "soak",
        description = "One emulated NIC, all providers at once (host pages, dmabuf, zcrx user ring), traffic "
            + "verified by every receiver while queues are bound, unbound and restarted, provider allocations "
            + "fail at --fail-rate and consumer processes are killed; a checker samples every pool's "
            + "invariants throughout. Ends with every pool RELEASED and nothing leaked, or says what was not.",
        exitCodeList = "0:no invariant was violated and nothing leaked")
public final class SoakMain implements Callable<Integer> {
    @Mixin
    private Cli.Common common;

    @Spec
    private CommandSpec spec;

    @Option(names = "--seconds", paramLabel = "N", description = "Traffic time, 1..86400 (default: 60).")
    private int seconds = 60;

    @Option(names = "--seed", paramLabel = "S", description = "Seed of every random choice (default: random, "
            + "printed).")
    private Long seed;

    @Option(names = "--fail-rate", paramLabel = "R", description = "Provider allocation failure probability, "
            + "0..0.5 (default: 0.01).")
    private double failRate = 0.01;

    @Option(names = "--kills", paramLabel = "K", description = "Consumer processes to SIGKILL while they hold "
            + "buffers, 0..100 (default: 2: a dmabuf and a user-ring demo).")
    private int kills = 2;

    @Option(names = "--json", description = "One JSON line on stdout; the text report goes to stderr.")
    private boolean json;

    private final PrintStream out;
    private final PrintStream err;

    private SoakMain(PrintStream out, PrintStream err) {
        this.out = out;
        this.err = err;
    }

    /** Entry point; see {@link #run}. */
    public static void main(String[] args) {
        Cli.forMain();
        System.exit(run(Arrays.asList(args), System.out, System.err));
    }

    /**
     * Runs the soak with these streams.
     *
     * @return the exit status: 0 only with no violation and no leak, 1 otherwise or on a runtime
     *         failure, 2 on bad usage
     */
    public static int run(List<String> args, PrintStream out, PrintStream err) {
        return commandLine(out, err).execute(args.toArray(String[]::new));
    }

    /** This program's command line, printing to these streams (also what shell completion is made from). */
    public static CommandLine commandLine(PrintStream out, PrintStream err) {
        return Cli.commandLine(new SoakMain(out, err), "netmem soak", out, err);
    }

    @Override
    public Integer call() throws Exception {
        SoakOptions o;
        try {
            o = new SoakOptions(seconds, seed != null ? seed : ThreadLocalRandom.current().nextLong(), failRate, kills,
                    json);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage(), e);
        }
        Cli.startRun(err);
        PrintStream text = o.json() ? err : out;
        SoakReport r = new Soak(o, text).run();
        text.print(r.text());
        if (o.json()) {
            out.println(r.json());
        }
        return r.ok() ? Cli.EXIT_OK : Cli.EXIT_FAILED;
    }
}
