package dev.netmem.demo;

import java.util.Arrays;
import java.util.List;

/** {@code ./netmem demo ...}: the zero-copy receive demo and its built-in sender. */
public final class DemoMain {
    private DemoMain() {
    }

    /** Entry point; exits 0 only if every byte verified and nothing leaked, 2 on bad usage. */
    public static void main(String[] args) throws Exception {
        System.exit(run(Arrays.asList(args), System.out, System.err));
    }

    /**
     * Runs the demo (or {@code send}) in this JVM with the given streams instead of the process's: what
     * {@link #main} does, minus the exit. The consumer is still a separate JVM.
     *
     * @return the exit status {@link #main} would use
     */
    public static int run(List<String> args, java.io.PrintStream out, java.io.PrintStream err) throws Exception {
        try {
            if (!args.isEmpty() && args.getFirst().equals("send")) {
                return send(args.subList(1, args.size()), out);
            }
            if (args.contains("--help") || args.contains("-h")) {
                out.println(DemoOptions.USAGE);
                return 0;
            }
            DemoOptions o = DemoOptions.parse(args);
            return new Demo(o, out, err).run();
        } catch (IllegalArgumentException e) {
            err.println("netmem demo: " + e.getMessage());
            err.println(DemoOptions.USAGE);
            return 2;
        }
    }

    private static int send(List<String> args, java.io.PrintStream out) throws Exception {
        String to = null;
        long bytes = 0;
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            if (a.equals("--to") && i + 1 < args.size()) {
                to = args.get(++i);
            } else if (a.equals("--bytes") && i + 1 < args.size()) {
                bytes = DemoOptions.parseBytes(a, args.get(++i));
            } else {
                throw new IllegalArgumentException("unknown send option: " + a);
            }
        }
        if (to == null || bytes == 0) {
            throw new IllegalArgumentException("send needs --to HOST:PORT and --bytes N");
        }
        int colon = to.lastIndexOf(':');
        if (colon <= 0) {
            throw new IllegalArgumentException("--to must be HOST:PORT: " + to);
        }
        int port;
        try {
            port = Integer.parseInt(to.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--to must be HOST:PORT: " + to);
        }
        Sender.Result r = Sender.send(to.substring(0, colon), port, bytes, 0);
        out.printf("sent %d bytes in %.2f s, sha256 %s%n", r.bytes(), r.seconds(), r.sha256());
        return 0;
    }
}
