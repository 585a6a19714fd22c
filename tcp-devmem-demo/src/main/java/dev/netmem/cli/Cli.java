package dev.netmem.cli;

import dev.netmem.providers.internal.ShmFile;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.text.MessageFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.logging.ConsoleHandler;
import java.util.logging.Formatter;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
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
            removeStaleFiles(SHM_DIR, err);
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
     * ({@link #installLogFormat}), and a shutdown hook that stops every child process (demo JVMs,
     * consumers, JMH and jcstress forks) when the program is interrupted (Ctrl-C, SIGTERM), so none
     * outlives it.
     */
    public static void forMain() {
        installLogFormat();
        Runtime.getRuntime().addShutdownHook(new Thread(Cli::stopChildren, "netmem-stop-children"));
    }

    private static final Object CHILDREN = new Object();
    private static boolean stopping;

    /**
     * Starts a child process unless this JVM is shutting down (then throws {@link Failure}), so no
     * child can start after the shutdown hook looked for children to stop.
     */
    public static Process startChild(ProcessBuilder pb) throws java.io.IOException {
        synchronized (CHILDREN) {
            if (stopping) {
                throw new Failure("interrupted");
            }
            return pb.start();
        }
    }

    private static void stopChildren() {
        synchronized (CHILDREN) {
            stopping = true;
        }
        // children others started (JMH, jcstress forks) may still appear for a moment: look again
        for (int round = 0; round < 3; round++) {
            List<ProcessHandle> children = ProcessHandle.current().children().toList();
            if (children.isEmpty()) {
                return;
            }
            children.forEach(Cli::stopTree);
        }
    }

    /**
     * Stops a process and everything it started: SIGTERM to all of them at once (so a parent's exit
     * cannot orphan a child before it is signalled), up to 5 s to exit, then SIGKILL.
     */
    public static void stopTree(ProcessHandle root) {
        List<ProcessHandle> all = new java.util.ArrayList<>(root.descendants().toList());
        all.add(root);
        all.forEach(ProcessHandle::destroy);
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(5);
        for (ProcessHandle h : all) {
            long left = deadline - System.nanoTime();
            try {
                if (left > 0) {
                    h.onExit().get(left, java.util.concurrent.TimeUnit.NANOSECONDS);
                }
            } catch (java.util.concurrent.TimeoutException | java.util.concurrent.ExecutionException e) {
                // still running: killed below
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        all.forEach(ProcessHandle::destroyForcibly);
    }

    /**
     * Makes log records (the page pool's stall warnings, for instance) one line each on stderr,
     * {@code netmem: WARNING: ...}, with numbers printed plainly: ids as ids ({@code page pool 1000},
     * as the MXBeans say {@code id=1000}), not {@code 1,000}. For a program's {@code main}.
     */
    public static void installLogFormat() {
        Logger root = Logger.getLogger("");
        for (Handler h : root.getHandlers()) {
            root.removeHandler(h);
        }
        ConsoleHandler console = new ConsoleHandler();
        console.setFormatter(new OneLine());
        try {
            console.setEncoding(StandardCharsets.UTF_8.name());
        } catch (java.io.UnsupportedEncodingException e) {
            throw new IllegalStateException(e);
        }
        root.addHandler(console);
    }

    /** {@code netmem: LEVEL: message}, parameters formatted without grouping separators. */
    public static final class OneLine extends Formatter {
        /** The formatter {@link #installLogFormat} installs. */
        public OneLine() {
        }

        @Override
        public String format(LogRecord r) {
            StringBuilder b = new StringBuilder("netmem: ").append(r.getLevel().getName()).append(": ")
                    .append(message(r));
            if (r.getThrown() != null) {
                b.append(": ").append(describe(r.getThrown()));
            }
            return b.append(System.lineSeparator()).toString();
        }

        /** The record's message with its parameters, numbers printed plainly (ids as ids). */
        public static String message(LogRecord r) {
            Object[] params = r.getParameters();
            String msg = r.getMessage();
            if (params == null || params.length == 0 || msg == null || !msg.contains("{")) {
                return msg;
            }
            Object[] plain = params.clone();
            for (int i = 0; i < plain.length; i++) {
                if (plain[i] instanceof Number n) {
                    plain[i] = n.toString();
                }
            }
            try {
                return MessageFormat.format(msg, plain);
            } catch (IllegalArgumentException e) {
                return msg;
            }
        }
    }
}
