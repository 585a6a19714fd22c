package dev.netmem.demo;

import dev.netmem.api.Errno;
import dev.netmem.cli.Cli;
import dev.netmem.uring.SyscallException;
import java.io.PrintStream;
import java.net.BindException;
import java.net.ConnectException;
import java.net.UnknownHostException;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code ./netmem demo ...}: the zero-copy receive demo and its built-in sender ({@code demo send}). */
@Command(name = "demo", subcommands = DemoMain.Send.class,
        description = {
            "Zero-copy TCP receive: a real loopback TCP stream enters a NIC whose queue 0 is bound to "
                + "a memory provider; the payload is received with the devmem socket API and verified by a "
                + "consumer JVM (in place when the provider's memory is shared and the mode is zerocopy).",
            "Without --listen, the built-in sender sends for --seconds (default 20) or --bytes."},
        exitCodeList = "0:every byte verified and nothing leaked (tokens, buffers, shared files)")
public final class DemoMain implements Callable<Integer> {
    @Mixin
    private Cli.Common common;

    @Spec
    private CommandSpec spec;

    @Option(names = "--nic", paramLabel = "uring|emulated", completionCandidates = Nics.class,
            description = "The NIC driver: uring, the kernel's TCP receives into the pool's buffers through "
                + "io_uring; emulated, a wire copies the socket's bytes into them (default: uring, emulated where "
                + "io_uring is unavailable).")
    private String nic;

    @Option(names = "--provider", paramLabel = "host|dmabuf|user-ring", completionCandidates = Providers.class,
            description = "Memory bound to queue 0: host pages, a dmabuf in /dev/shm, or an io_uring-zcrx-like "
                + "user ring over it (default: dmabuf).")
    private String provider;

    @Option(names = "--mode", paramLabel = "zerocopy|copy", completionCandidates = Modes.class,
            description = "zerocopy: the consumer reads the payload where it landed; copy: every payload is "
                + "copied to the heap and piped, the baseline (default: zerocopy).")
    private String mode;

    @Option(names = "--bytes", paramLabel = "N[k|m|g]", description = "Send this many bytes.")
    private String bytes;

    @Option(names = "--seconds", paramLabel = "S", description = "Send for S seconds, in (0, 86400] (default: 20).")
    private String seconds;

    @Option(names = "--queues", paramLabel = "N", description = "RX queues of the NIC, "
            + DemoOptions.MIN_QUEUES + ".." + DemoOptions.MAX_QUEUES + " (default: 2); the flow is steered to queue 0.")
    private int queues = 2;

    @Option(names = "--verify", paramLabel = "both|pattern|sha256", completionCandidates = Verify.class,
            description = "What the consumer checks: the payload pattern and the SHA-256 (both), or one of them "
                + "(default: both).")
    private String verify;

    @Option(names = "--uring", paramLabel = "OPT[,OPT...]",
            description = "io_uring driver options: bundles (one receive fills several buffers), incremental "
                + "(IOU_PBUF_RING_INC: a buffer is consumed piece by piece), order=N (buffers of 4 KiB << N, "
                + "N in 0..4; --provider host only), or none (default: bundles where the kernel has them, "
                + "Linux 6.10+).")
    private String uring;

    @Option(names = "--rx-buf-len", paramLabel = "N[k]",
            description = "With --provider dmabuf or user-ring: the size of each buffer of the provider and of the "
                + "queue's page-pool buffers (rx_page_size), a power of two from 4k to 64k (default: 4k): bind-rx's "
                + "rx-buf-size for dmabuf (a net-next devmem attribute, not in Linux 6.18), the zcrx rx_buf_len for "
                + "user-ring.")
    private String rxBufLen;

    @Option(names = "--rate", paramLabel = "N[k|m|g]",
            description = "Pace the built-in sender to N bytes per second, e.g. 100m (default: as fast as the "
                + "connection takes them). For a steady load beside other work, or CPU cost at a set rate.")
    private String rate;

    @Option(names = "--json", description = "Print the summary as one JSON line, the last line of stdout "
            + "(the text summary goes to stderr).")
    private boolean json;

    @Option(names = "--quiet", description = "No live progress line.")
    private boolean quiet;

    @Option(names = "--listen", paramLabel = "PORT", description = "Receive from clients on 127.0.0.1:PORT "
            + "instead of the built-in sender (e.g. socat -u FILE:data TCP:127.0.0.1:PORT, or demo send).")
    private Integer listen;

    @Option(names = "--connections", paramLabel = "N", description = "With --listen: connections to serve "
            + "before exiting (default: 1).")
    private Integer connections;

    private PrintStream out;
    private PrintStream err;

    private DemoMain(PrintStream out, PrintStream err) {
        this.out = out;
        this.err = err;
    }

    /** Entry point; see {@link #run}. */
    public static void main(String[] args) {
        Cli.forMain();
        System.exit(run(Arrays.asList(args), System.out, System.err));
    }

    /**
     * Runs the demo (or {@code send}) in this JVM with the given streams instead of the process's: what
     * {@link #main} does, minus the exit. The consumer is still a separate JVM.
     *
     * @return the exit status: 0 only if every byte verified and nothing leaked, 1 if not or on a
     *         runtime failure, 2 on bad usage
     */
    public static int run(List<String> args, PrintStream out, PrintStream err) {
        return commandLine(out, err).execute(args.toArray(String[]::new));
    }

    /** This program's command line, printing to these streams (also what shell completion is made from). */
    public static CommandLine commandLine(PrintStream out, PrintStream err) {
        return Cli.commandLine(new DemoMain(out, err), "netmem demo", out, err);
    }

    @Override
    public Integer call() throws Exception {
        DemoOptions o;
        try {
            o = DemoOptions.of(provider, mode, bytes, seconds, queues, json, listen, connections, quiet, nic, verify,
                    uring, rxBufLen, rate);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage(), e);
        }
        Cli.startRun(err);
        try {
            return new Demo(o, out, err).run();
        } catch (BindException e) { // the emulated NIC's server socket
            throw cannotListen(o, e.getMessage(), e);
        } catch (SyscallException e) { // the io_uring NIC's listener
            if (!e.call().equals("bind")) {
                throw e;
            }
            throw cannotListen(o, Errno.describe(e.errno()) + " (" + Errno.nameOf(e.errno()) + ")", e);
        }
    }

    private static Cli.Failure cannotListen(DemoOptions o, String why, Exception cause) {
        return new Cli.Failure("cannot listen on 127.0.0.1:" + Math.max(o.listenPort(), 0) + ": " + why, cause);
    }

    /** {@code ./netmem demo send}: the built-in sender, for {@code --listen}. */
    @Command(name = "send", description = "Send the demo's payload pattern to HOST:PORT over TCP and print its "
            + "byte count and SHA-256 (what a demo started with --listen prints for the connection).")
    static final class Send implements Callable<Integer> {
        @Mixin
        private Cli.Common common;

        @Spec
        private CommandSpec spec;

        @ParentCommand
        private DemoMain parent;

        @Option(names = "--to", required = true, paramLabel = "HOST:PORT", description = "Where to connect.")
        private String to;

        @Option(names = "--bytes", required = true, paramLabel = "N[k|m|g]", description = "How much to send.")
        private String bytes;

        @Override
        public Integer call() throws Exception {
            long n;
            String host;
            int port;
            try {
                n = DemoOptions.parseBytes("--bytes", bytes);
                int colon = to.lastIndexOf(':');
                if (colon <= 0) {
                    throw new IllegalArgumentException("--to must be HOST:PORT: " + to);
                }
                host = to.substring(0, colon);
                try {
                    port = Integer.parseInt(to.substring(colon + 1));
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("--to must be HOST:PORT: " + to);
                }
                if (port < 1 || port > 65535) {
                    throw new IllegalArgumentException("--to port must be in [1, 65535]: " + to);
                }
            } catch (IllegalArgumentException e) {
                throw new ParameterException(spec.commandLine(), e.getMessage(), e);
            }
            Cli.startRun(parent.err);
            Sender.Result r;
            try {
                r = Sender.send(host, port, n, 0);
            } catch (ConnectException | UnknownHostException e) {
                throw new Cli.Failure("cannot connect to " + to + ": " + e.getMessage(), e);
            }
            parent.out.printf("sent %d bytes in %.2f s, sha256 %s%n", r.bytes(), r.seconds(), r.sha256());
            return Cli.EXIT_OK;
        }
    }

    /** Completion candidates of {@code --provider}. */
    static final class Providers implements Iterable<String> {
        @Override
        public java.util.Iterator<String> iterator() {
            return DemoOptions.PROVIDERS.iterator();
        }
    }

    /** Completion candidates of {@code --nic}. */
    static final class Nics implements Iterable<String> {
        @Override
        public java.util.Iterator<String> iterator() {
            return DemoOptions.NICS.iterator();
        }
    }

    /** Completion candidates of {@code --verify}. */
    static final class Verify implements Iterable<String> {
        @Override
        public java.util.Iterator<String> iterator() {
            return DemoOptions.VERIFY.iterator();
        }
    }

    /** Completion candidates of {@code --mode}. */
    static final class Modes implements Iterable<String> {
        @Override
        public java.util.Iterator<String> iterator() {
            return DemoOptions.MODES.iterator();
        }
    }
}
