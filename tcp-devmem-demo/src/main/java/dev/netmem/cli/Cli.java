package dev.netmem.cli;

import dev.netmem.providers.internal.ShmFile;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/**
 * What every netmem command line shares ({@code ./netmem demo|bench|stress|soak}): picocli parsing
 * with one help style, the exit codes, one-line runtime errors (the stack trace only with
 * {@code --debug}), and the sweep of shared-memory files that exited processes left behind.
 *
 * <p>Exit codes: {@link #EXIT_OK} 0, {@link #EXIT_FAILED} 1 (the run failed: a check, or a runtime
 * error), {@link #EXIT_USAGE} 2 (bad usage: nothing was run or deleted).
 */
public final class Cli {
    /** The run succeeded. */
    public static final int EXIT_OK = 0;
    /** The run failed: a check did not pass, or a runtime error (one line on stderr). */
    public static final int EXIT_FAILED = 1;
    /** Bad usage: an unknown option or a bad value; nothing was run. */
    public static final int EXIT_USAGE = 2;
    /** Where shared files live, and where {@link #removeStaleFiles} looks. */
    public static final Path SHM_DIR = Path.of("/dev/shm");

    private Cli() {
    }

    /** The options every command has: {@code -h/--help} and {@code --debug}. Used as a picocli mixin. */
    public static final class Common {
        @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit.")
        boolean help;

        @Option(names = "--debug", description = "On a failure, print the stack trace too.")
        boolean debug;

        /** Creates the mixin (picocli fills it). */
        public Common() {
        }
    }

    /** A runtime failure whose message says everything the user needs: printed as one line, exit 1. */
    public static final class Failure extends RuntimeException {
        private static final long serialVersionUID = 1L;

        /** A failure with this message, caused by {@code cause} (shown with {@code --debug}). */
        public Failure(String message, Throwable cause) {
            super(message, cause);
        }

        /** A failure with this message. */
        public Failure(String message) {
            super(message);
        }
    }

    /**
     * A picocli command line for {@code command} named {@code name} (e.g. {@code "netmem demo"}),
     * printing to these streams, with netmem's help sections, exit codes and error handling; also
     * applied to its subcommands.
     */
    public static CommandLine commandLine(Object command, String name, PrintStream out, PrintStream err) {
        CommandLine cl = new CommandLine(command);
        cl.setCommandName(name);
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        style(cl);
        cl.setParameterExceptionHandler((ex, args) -> {
            CommandLine c = ex.getCommandLine();
            String qualified = c.getCommandSpec().qualifiedName();
            c.getErr().println(qualified + ": " + ex.getMessage() + " (see ./" + qualified + " --help)");
            return EXIT_USAGE;
        });
        cl.setExecutionExceptionHandler((ex, c, parseResult) -> {
            String qualified = c.getCommandSpec().qualifiedName();
            if (c.getParseResult().hasMatchedOption("--debug")) {
                ex.printStackTrace(err);
            } else {
                // a Failure without a cause says it all; anything else may need its stack trace
                boolean more = !(ex instanceof Failure) || ex.getCause() != null;
                c.getErr().println(qualified + ": " + describe(ex) + (more ? " (--debug shows the stack trace)" : ""));
            }
            return EXIT_FAILED;
        });
        cl.setExecutionStrategy(parseResult -> {
            Integer help = CommandLine.executeHelpRequest(parseResult);
            if (help != null) {
                return help;
            }
            return new CommandLine.RunLast().execute(parseResult);
        });
        return cl;
    }

    private static void style(CommandLine cl) {
        Map<String, String> codes = new LinkedHashMap<>();
        // a command may say what success means with @Command(exitCodeList = "0:...")
        codes.put("0", cl.getCommandSpec().usageMessage().exitCodeList().getOrDefault("0", "success"));
        codes.put("1", "the run failed: a check did not pass, or a runtime error (one line; --debug for the stack trace)");
        codes.put("2", "bad usage: nothing was run");
        cl.getCommandSpec().usageMessage().sortOptions(false).exitCodeListHeading("%nExit codes:%n")
                .exitCodeList(codes).optionListHeading("%nOptions:%n").commandListHeading("%nCommands:%n");
        for (CommandLine sub : cl.getSubcommands().values()) {
            style(sub);
        }
    }

    /** One line for a runtime failure: its own message for a {@link Failure}, else the type and message. */
    static String describe(Throwable ex) {
        if (ex instanceof Failure) {
            return ex.getMessage();
        }
        Throwable t = ex;
        while ((t instanceof java.util.concurrent.ExecutionException || t instanceof java.io.UncheckedIOException)
                && t.getCause() != null) {
            t = t.getCause();
        }
        String type = t.getClass().getSimpleName();
        return t.getMessage() == null ? type : t.getMessage() + " (" + type + ")";
    }

    /**
     * What a command does once its options are valid, before it runs: removes what exited processes
     * left in {@link #SHM_DIR} ({@link #removeStaleFiles}). Bad usage never gets here: it runs nothing.
     */
    public static void startRun(PrintStream err) {
        removeStaleFiles(SHM_DIR, err);
    }

    /**
     * Removes what processes that are gone left in {@code dir} (normally {@code /dev/shm}), as the
     * kernel frees a dead process's memory, and says so in one line on {@code err} if it removed
     * anything. See {@link ShmFile#removeStale}.
     *
     * @return the paths removed
     */
    public static List<Path> removeStaleFiles(Path dir, PrintStream err) {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        List<Path> removed = ShmFile.removeStale(dir);
        if (!removed.isEmpty()) {
            TreeSet<Long> pids = new TreeSet<>();
            for (Path p : removed) {
                pids.add(ShmFile.creatorPid(p.getFileName().toString()));
            }
            err.println("netmem: removed " + removed.size() + " shared file" + (removed.size() == 1 ? "" : "s")
                    + " in " + dir + " left by exited process" + (pids.size() == 1 ? " " : "es ") + joined(pids));
        }
        return removed;
    }

    private static String joined(TreeSet<Long> pids) {
        StringBuilder b = new StringBuilder();
        for (long p : pids) {
            b.append(b.isEmpty() ? "" : ", ").append(p);
        }
        return b.toString();
    }

    /**
     * Prepares this JVM to run a netmem program's {@code main}: one-line log records
     * ({@link OneLineLogFormat}), and a shutdown hook that stops every child process when the program
     * is interrupted ({@link ChildProcesses}).
     */
    public static void forMain() {
        OneLineLogFormat.install();
        ChildProcesses.stopAllOnExit();
    }
}
