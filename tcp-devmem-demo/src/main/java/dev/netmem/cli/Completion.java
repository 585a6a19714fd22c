package dev.netmem.cli;

import java.io.PrintStream;
import java.lang.reflect.InvocationTargetException;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.AutoComplete;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code ./netmem completion}: prints a bash (and zsh, through bashcompinit) completion script for the
 * launcher, made by picocli from the programs' own command lines, so it cannot drift from them:
 * {@code source <(./netmem completion)}. The programs live in different modules; those on the class
 * path are included (the launcher runs this with every module's class path).
 */
public final class Completion {
    /** Launcher command → the class whose {@code commandLine(PrintStream, PrintStream)} describes it. */
    static final Map<String, String> PROGRAMS = programs();

    private Completion() {
    }

    private static Map<String, String> programs() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("demo", "dev.netmem.demo.DemoMain");
        m.put("bench", "dev.netmem.bench.BenchMain");
        m.put("stress", "dev.netmem.stress.StressMain");
        m.put("soak", "dev.netmem.soak.SoakMain");
        return m;
    }

    /** Prints the script on stdout. */
    public static void main(String[] args) {
        System.out.print(script());
    }

    /** The completion script for {@code netmem} and each program found on the class path. */
    static String script() {
        CommandLine root = new CommandLine(CommandSpec.create().name("netmem"));
        PrintStream quiet = new PrintStream(PrintStream.nullOutputStream());
        for (Map.Entry<String, String> e : PROGRAMS.entrySet()) {
            CommandLine cl = load(e.getValue(), quiet);
            if (cl != null) {
                root.addSubcommand(e.getKey(), cl);
            }
        }
        root.addSubcommand("test", new CommandLine(CommandSpec.create().name("test")));
        root.addSubcommand("completion", new CommandLine(CommandSpec.create().name("completion")));
        return AutoComplete.bash("netmem", root);
    }

    private static CommandLine load(String className, PrintStream quiet) {
        Class<?> c;
        try {
            c = Class.forName(className);
        } catch (ClassNotFoundException e) {
            return null; // that module is not on this class path
        }
        try {
            return (CommandLine) c.getMethod("commandLine", PrintStream.class, PrintStream.class).invoke(null, quiet,
                    quiet);
        } catch (NoSuchMethodException | IllegalAccessException | InvocationTargetException e) {
            throw new IllegalStateException(className + " has no usable commandLine(PrintStream, PrintStream)", e);
        }
    }
}
