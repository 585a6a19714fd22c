package dev.netmem.demo;

import java.util.List;
import java.util.Locale;

/**
 * Parsed {@code ./netmem demo} options. Every bad argument is rejected with a message naming it.
 *
 * @param provider    {@code host}, {@code dmabuf} or {@code user-ring}
 * @param mode        {@code zerocopy} or {@code copy}
 * @param bytes       bytes to send (built-in sender), or 0 when {@code seconds} bounds the run
 * @param seconds     seconds to send for when {@code bytes} is 0
 * @param queues      RX queues on the emulated device
 * @param json        print the summary as JSON on the last line of stdout
 * @param listenPort  receive from external clients on this port instead of the built-in sender, or -1
 * @param connections with {@code listenPort}: connections to serve before exiting
 * @param quiet       no live progress line
 * @param verify      how the consumer verifies: {@code both} (pattern and SHA-256), {@code pattern}, {@code sha256}
 * @param nic         {@code uring} (the io_uring NIC driver: the kernel receives into the pool's buffers)
 *                    or {@code emulated} (a wire copies socket bytes into them)
 */
record DemoOptions(String provider, String mode, long bytes, double seconds, int queues, boolean json,
                   int listenPort, int connections, boolean quiet, String nic, String verify) {

    static final String USAGE = """
            usage: ./netmem demo [--nic uring|emulated] [--provider host|dmabuf|user-ring] [--mode zerocopy|copy]
                                 [--bytes N[k|m|g] | --seconds S] [--queues N] [--json] [--quiet] [--verify both|pattern|sha256]
                                 [--listen PORT [--connections N]]
                   ./netmem demo send --to HOST:PORT --bytes N[k|m|g]
            defaults: --nic uring (emulated where io_uring is unavailable) --provider dmabuf --mode zerocopy
                      --seconds 20 --queues 2""";

    /** Parses; throws {@link IllegalArgumentException} with a precise message on bad usage. */
    static DemoOptions parse(List<String> args) {
        String provider = "dmabuf";
        String mode = "zerocopy";
        long bytes = 0;
        double seconds = 0;
        int queues = 2;
        boolean json = false;
        boolean quiet = false;
        int listen = -1;
        int connections = 1;
        String nic = "uring";
        String verify = "both";
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            switch (a) {
                case "--provider" -> provider = oneOf(a, value(args, ++i, a), "host", "dmabuf", "user-ring");
                case "--mode" -> mode = oneOf(a, value(args, ++i, a), "zerocopy", "copy");
                case "--bytes" -> bytes = parseBytes(a, value(args, ++i, a));
                case "--seconds" -> seconds = parsePositiveDouble(a, value(args, ++i, a));
                case "--queues" -> queues = parseInt(a, value(args, ++i, a), 1, 64);
                case "--listen" -> listen = parseInt(a, value(args, ++i, a), 1, 65535);
                case "--connections" -> connections = parseInt(a, value(args, ++i, a), 1, 1_000_000);
                case "--nic" -> nic = oneOf(a, value(args, ++i, a), "uring", "emulated");
                case "--verify" -> verify = oneOf(a, value(args, ++i, a), "both", "pattern", "sha256");
                case "--json" -> json = true;
                case "--quiet" -> quiet = true;
                default -> throw new IllegalArgumentException("unknown option: " + a);
            }
        }
        if (bytes > 0 && seconds > 0) {
            throw new IllegalArgumentException("give --bytes or --seconds, not both");
        }
        if (listen > 0 && (bytes > 0 || seconds > 0)) {
            throw new IllegalArgumentException("--listen receives what clients send: --bytes/--seconds do not apply");
        }
        if (listen < 0 && connections != 1) {
            throw new IllegalArgumentException("--connections needs --listen");
        }
        if (listen < 0 && bytes == 0 && seconds == 0) {
            seconds = 20;
        }
        return new DemoOptions(provider, mode, bytes, seconds, queues, json, listen, connections, quiet, nic, verify);
    }

    private static String value(List<String> args, int i, String opt) {
        if (i >= args.size()) {
            throw new IllegalArgumentException(opt + " needs a value");
        }
        return args.get(i);
    }

    private static String oneOf(String opt, String v, String... allowed) {
        for (String s : allowed) {
            if (s.equals(v)) {
                return v;
            }
        }
        throw new IllegalArgumentException(opt + " must be one of " + String.join("|", allowed) + ": " + v);
    }

    static long parseBytes(String opt, String v) {
        String s = v.toLowerCase(Locale.ROOT);
        long mult = 1;
        if (s.endsWith("k")) {
            mult = 1L << 10;
        } else if (s.endsWith("m")) {
            mult = 1L << 20;
        } else if (s.endsWith("g")) {
            mult = 1L << 30;
        }
        if (mult != 1) {
            s = s.substring(0, s.length() - 1);
        }
        try {
            long n = Long.parseLong(s);
            if (n <= 0 || n > Long.MAX_VALUE / mult) {
                throw new NumberFormatException();
            }
            return n * mult;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(opt + " must be a positive byte count like 64m: " + v);
        }
    }

    private static double parsePositiveDouble(String opt, String v) {
        try {
            double d = Double.parseDouble(v);
            if (!(d > 0) || d > 86_400) {
                throw new NumberFormatException();
            }
            return d;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(opt + " must be a number of seconds in (0, 86400]: " + v);
        }
    }

    private static int parseInt(String opt, String v, int min, int max) {
        try {
            int n = Integer.parseInt(v);
            if (n < min || n > max) {
                throw new NumberFormatException();
            }
            return n;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(opt + " must be an integer in [" + min + ", " + max + "]: " + v);
        }
    }
}
