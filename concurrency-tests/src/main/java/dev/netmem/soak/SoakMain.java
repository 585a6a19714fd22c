package dev.netmem.soak;

import java.io.PrintStream;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/** {@code ./netmem soak}: see {@link Soak} and {@link SoakOptions#USAGE}. */
public final class SoakMain {
    private SoakMain() {
    }

    /** Entry point: exit 0 only with no violation and no leak, 1 otherwise, 2 on bad usage. */
    public static void main(String[] args) throws Exception {
        System.exit(run(Arrays.asList(args), System.out, System.err));
    }

    /** Runs the soak with these streams; returns the exit status. */
    public static int run(List<String> args, PrintStream out, PrintStream err) throws Exception {
        if (args.contains("--help") || args.contains("-h")) {
            out.println(SoakOptions.USAGE);
            return 0;
        }
        SoakOptions o;
        try {
            o = SoakOptions.parse(args, ThreadLocalRandom.current().nextLong());
        } catch (IllegalArgumentException e) {
            err.println("netmem soak: " + e.getMessage());
            err.println(SoakOptions.USAGE);
            return 2;
        }
        PrintStream text = o.json() ? err : out;
        SoakReport r = new Soak(o, text).run();
        text.print(r.text());
        if (o.json()) {
            out.println(r.json());
        }
        return r.ok() ? 0 : 1;
    }
}
