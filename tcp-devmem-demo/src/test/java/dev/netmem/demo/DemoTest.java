package dev.netmem.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.netmem.api.Errno;
import dev.netmem.cli.Cli;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Runs the real demo (real TCP, a real consumer JVM) briefly and checks its JSON summary. */
class DemoTest {

    /** Output of one in-process run. */
    private record Run(int exit, String stdout, String stderr) {
        String json() {
            String[] lines = stdout.strip().split("\n");
            return lines[lines.length - 1];
        }

        /** The last line of stderr (a line before it may report the sweep of a dead process's files). */
        String lastErrLine() {
            String[] lines = stderr.strip().split("\n");
            return lines[lines.length - 1];
        }

        String field(String name) {
            Matcher m = Pattern.compile("\"" + name + "\":(\"[^\"]*\"|[^,}]+)").matcher(json());
            assertTrue(m.find(), name + " missing in " + json());
            return m.group(1).replace("\"", "");
        }
    }

    /** Runs the demo on its own thread (never the common pool, whose single worker it could block). */
    private static CompletableFuture<Run> runAsync(String... args) {
        CompletableFuture<Run> f = new CompletableFuture<>();
        Thread.ofPlatform().daemon().name("demo-under-test").start(() -> {
            try {
                f.complete(run(args));
            } catch (Throwable e) {
                f.completeExceptionally(e);
            }
        });
        return f;
    }

    private static Run run(String... args) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int exit;
        try (PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
             PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8)) {
            exit = DemoMain.run(List.of(args), o, e);
        }
        return new Run(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    /**
     * The CPU breakdown: the NAPI threads did work; none is negative; the threads named
     * in this JVM took no more than the process total from /proc (their rest is not negative); the
     * text line gives the same figures as the JSON.
     */
    private static void assertCpuByThread(Run r) {
        double napi = Double.parseDouble(r.field("cpu_s_napi"));
        double app = Double.parseDouble(r.field("cpu_s_application"));
        double sender = Double.parseDouble(r.field("cpu_s_sender"));
        double consumer = Double.parseDouble(r.field("cpu_s_consumer"));
        double rest = Double.parseDouble(r.field("cpu_s_rest"));
        // thread CPU time has ns resolution; the consumer's (and the process's) comes from /proc in 10 ms ticks, and a
        // 4 MiB send may take less than a tick
        assertTrue(napi > 0 && consumer >= 0 && sender >= 0 && app >= 0, r.json());
        // thread times and the process total are read apart: allow their clocks' granularity (10 ms ticks)
        assertTrue(rest > -0.05, "the named threads took more than the whole process: " + r.json());
        Matcher m = Pattern.compile("by thread: NAPI ([0-9.]+) s, application ([0-9.]+) s, sender ([0-9.]+) s, "
                + "consumer JVM ([0-9.]+) s").matcher(r.stderr());
        assertTrue(m.find(), r.stderr());
        double[] json = {napi, app, sender, consumer};
        for (int i = 0; i < json.length; i++) { // the text rounds to 10 ms, the JSON to 1 ms
            assertEquals(json[i], Double.parseDouble(m.group(i + 1)), 0.0051, r.stderr() + r.json());
        }
    }

    @ParameterizedTest(name = "{0} {1} {2}")
    @CsvSource({"dmabuf,zerocopy,uring", "dmabuf,copy,uring", "host,zerocopy,uring", "host,copy,uring",
        "user-ring,zerocopy,uring", "user-ring,copy,uring", "dmabuf,zerocopy,emulated", "user-ring,zerocopy,emulated"})
    @Timeout(120)
    void shouldVerifyEveryByteInPlaceAndLeakNothing(String provider, String mode, String nic) throws Exception {
        Run r = run("--nic", nic, "--provider", provider, "--mode", mode, "--bytes", "4m", "--json", "--quiet");
        assertEquals(nic.equals("uring") ? "io_uring" : "emulated", r.field("nic"), "the driver the run used");
        assertEquals(0, r.exit(), r.stderr() + r.stdout());
        assertEquals(provider, r.field("provider"));
        assertEquals(mode, r.field("mode"));
        assertEquals(String.valueOf(4 << 20), r.field("bytes"));
        assertEquals(r.field("sha256_sent"), r.field("sha256_verified"));
        assertEquals(64, r.field("sha256_verified").length());
        assertEquals("true", r.field("verified"));
        assertEquals("0", r.field("pattern_errors"));
        assertEquals("0", r.field("tokens_outstanding"));
        assertEquals("0", r.field("inflight_after"));
        assertEquals("false", r.field("consumer_died"));
        assertTrue(Double.parseDouble(r.field("gbps")) > 0);
        assertTrue(r.json().contains("\"page_pool\":{\"fast\":"), r.json());
        assertCpuByThread(r);
        String how = mode.equals("copy") ? "by the consumer JVM from copies piped to it (--mode copy)"
                : provider.equals("host")
                ? "by the consumer JVM from copies piped to it (host pages are not shared: recvmsg copied the payload)"
                : "in place by the consumer JVM";
        assertTrue(r.stderr().contains("verified  sha256 " + r.field("sha256_verified") + " " + how + ", pattern errors 0 -> OK"),
                r.stderr());
    }

    /** Each io_uring driver option (and each verification alone) through the whole demo: every byte verified. */
    @ParameterizedTest(name = "--uring {0} --provider {1} --verify {2}")
    @CsvSource({"none,dmabuf,both", "bundles,dmabuf,pattern", "incremental,user-ring,sha256",
        "'bundles,incremental',dmabuf,both", "order=2,host,both", "'bundles,order=4',host,pattern"})
    @Timeout(120)
    void shouldVerifyWithEveryDriverOption(String uring, String provider, String verify) throws Exception {
        Run r = run("--uring", uring, "--provider", provider, "--verify", verify, "--bytes", "24m", "--json",
                "--quiet");
        assertEquals(0, r.exit(), r.stderr() + r.stdout());
        assertEquals("true", r.field("verified"));
        assertEquals(String.valueOf(24 << 20), r.field("bytes"));
        String opts = uring.equals("none") ? "" : " (" + uring.replace(",", ", ") + ")";
        assertTrue(r.stderr().contains("nic io_uring" + opts + ", provider " + provider), r.stderr());
        String how = provider.equals("host")
                ? "by the consumer JVM from copies piped to it (host pages are not shared: recvmsg copied the payload)"
                : "in place by the consumer JVM";
        String line = switch (verify) {
            case "pattern" -> "verified  the pattern " + how + ", pattern errors 0 (no sha256: --verify pattern) -> OK";
            case "sha256" -> "verified  sha256 " + r.field("sha256_verified") + " " + how
                    + " (pattern not checked: --verify sha256) -> OK";
            default -> "verified  sha256 " + r.field("sha256_verified") + " " + how + ", pattern errors 0 -> OK";
        };
        assertTrue(r.stderr().contains(line), r.stderr());
    }

    /** --rx-buf-len: the user ring's area in 64 KiB buffers and the queue's pool of that size, on both drivers. */
    @ParameterizedTest(name = "--rx-buf-len {0} --nic {1}")
    @CsvSource({"64k,uring", "16k,emulated"})
    @Timeout(120)
    void shouldVerifyAUserRingWithLargeRxBuffers(String len, String nic) throws Exception {
        Run r = run("--provider", "user-ring", "--nic", nic, "--rx-buf-len", len, "--bytes", "8m", "--json");
        assertEquals(0, r.exit(), r.stderr() + r.stdout());
        assertEquals("true", r.field("verified"));
        assertEquals("0", r.field("inflight_after"));
        assertEquals(r.field("sha256_sent"), r.field("sha256_verified"));
        int bytes = Integer.parseInt(len.substring(0, len.length() - 1)) << 10;
        assertTrue(r.stderr().contains(", rx_buf_len " + bytes), r.stderr());
    }

    /**
     * --rx-buf-len with a dmabuf: bind-rx's rx-buf-size (the net-next devmem attribute), so the binding's
     * net_iovs and the queue's pool are that size; every byte verified in place, nothing leaked.
     */
    @ParameterizedTest(name = "--rx-buf-len {0} --nic {1}")
    @CsvSource({"64k,uring", "16k,emulated"})
    @Timeout(120)
    void shouldVerifyADmabufWithLargeRxBuffers(String len, String nic) throws Exception {
        Run r = run("--provider", "dmabuf", "--nic", nic, "--rx-buf-len", len, "--bytes", "4m", "--json");
        assertEquals(0, r.exit(), r.stderr() + r.stdout());
        assertEquals("true", r.field("verified"));
        assertEquals("0", r.field("inflight_after"));
        assertEquals("0", r.field("tokens_outstanding"));
        assertEquals(r.field("sha256_sent"), r.field("sha256_verified"));
        int bytes = Integer.parseInt(len.substring(0, len.length() - 1)) << 10;
        assertTrue(r.stderr().contains(", rx_buf_size " + bytes), r.stderr());
    }

    /** A size the option accepts but the driver refuses is one line naming the size and the errno. */
    @Test
    void shouldReportARefusedRxBufLenInOneLine() {
        DemoOptions o = DemoOptions.of("dmabuf", null, "1m", null, 2, false, null, null, true, "emulated", null, null,
                "64k", null);
        Cli.Failure f = Demo.bindRefused(o, Errno.EOPNOTSUPP.exception("device does not support: rx_page_size"));
        assertEquals("queue 0 refused the dmabuf binding with bind-rx rx_buf_size 65536 (--rx-buf-len): "
                + "device does not support: rx_page_size (EOPNOTSUPP)", f.getMessage());
        o = DemoOptions.of("user-ring", null, "1m", null, 2, false, null, null, true, "emulated", null, null, "16k",
                null);
        f = Demo.bindRefused(o, new IllegalArgumentException("ERANGE: rx_buf_len 16384 does not divide the area"));
        assertEquals("queue 0 refused the user-ring binding with zcrx rx_buf_len 16384 (--rx-buf-len): "
                + "ERANGE: rx_buf_len 16384 does not divide the area", f.getMessage());
    }

    /** The edges of --queues: one queue (every flow on the bound queue) and the most the help offers. */
    @ParameterizedTest(name = "--queues {0} --provider {1} --nic {2}")
    @CsvSource({"1,dmabuf,uring", "1,host,uring", "1,user-ring,uring", "64,dmabuf,uring", "64,host,uring",
        "64,user-ring,uring", "1,dmabuf,emulated", "1,host,emulated", "64,dmabuf,emulated", "64,host,emulated"})
    @Timeout(120)
    void shouldRunWithEveryQueueCountTheHelpAccepts(int queues, String provider, String nic) throws Exception {
        Run r = run("--queues", String.valueOf(queues), "--provider", provider, "--nic", nic, "--bytes", "24m",
                "--json", "--quiet");
        assertEquals(0, r.exit(), r.stderr() + r.stdout());
        assertEquals(String.valueOf(queues), r.field("queues"));
        assertEquals(String.valueOf(24 << 20), r.field("bytes"));
        assertEquals("true", r.field("verified"));
    }

    @Test
    @Timeout(120)
    void shouldReportEachConnectionOfAnExternalClientWhenListening() throws Exception {
        int port;
        try (ServerSocket probe = new ServerSocket(0)) {
            port = probe.getLocalPort();
        }
        int p = port;
        CompletableFuture<Run> demo = runAsync("--listen", String.valueOf(p), "--json", "--quiet");
        Sender.Result sent = null;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (sent == null) {
            try {
                sent = Sender.send("127.0.0.1", port, 3_000_001, 0);
            } catch (java.net.ConnectException e) {
                assertTrue(System.nanoTime() < deadline, "demo never listened");
                Thread.sleep(100);
            }
        }
        Run r = demo.get(60, TimeUnit.SECONDS);
        assertEquals(0, r.exit(), r.stderr());
        // on a failure the demo's summary (queue drops, page pool counters) says where bytes went
        assertTrue(r.stdout().contains("connection 1: 3000001 bytes, sha256 " + sent.sha256()),
                r.stdout() + "\n" + r.stderr());
        assertEquals(sent.sha256(), r.field("sha256_verified"));
        assertEquals("null", r.field("sha256_sent"));
    }

    @Test
    @Timeout(120)
    void shouldReclaimEveryTokenWhenTheConsumerIsKilled() throws Exception {
        CompletableFuture<Run> demo = runAsync("--provider", "dmabuf", "--seconds", "30", "--json", "--quiet");
        ProcessHandle consumer = null;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (consumer == null && System.nanoTime() < deadline) {
            Optional<ProcessHandle> c = ProcessHandle.current().descendants()
                    .filter(h -> h.info().arguments().map(a -> List.of(a).contains(Consumer.class.getName()))
                            .orElse(false))
                    .findFirst();
            if (c.isPresent()) {
                consumer = c.get();
            } else {
                Thread.sleep(50);
            }
        }
        assertTrue(consumer != null, "no consumer process appeared");
        // wait until it mapped the hand-off rings (it is about to say ready), then let it hold tokens
        Path maps = Path.of("/proc", Long.toString(consumer.pid()), "maps");
        while (System.nanoTime() < deadline && !Files.readString(maps).contains("netmem-handoff")) {
            Thread.sleep(50);
        }
        Thread.sleep(Duration.ofMillis(3000));
        assertTrue(consumer.destroyForcibly()); // SIGKILL
        Run r = demo.get(90, TimeUnit.SECONDS);
        assertNotEquals(0, r.exit(), r.stdout());
        assertEquals("true", r.field("consumer_died"));
        assertEquals("false", r.field("verified"));
        assertEquals("0", r.field("tokens_outstanding"));
        assertTrue(Integer.parseInt(r.field("tokens_reclaimed")) > 0, r.json());
        assertEquals("0", r.field("inflight_after"));
        assertTrue(r.stderr().contains("tokens were reclaimed by closing the socket"), r.stderr());
        long sent = Long.parseLong(r.field("bytes_sent"));
        assertTrue(sent > 0, r.json());
        assertTrue(r.stderr().contains(String.format("sent      %,d bytes, then the connection was closed on the sender (",
                sent)), r.stderr());
    }

    /** --rate: the built-in sender keeps to the pace, and what it sent is verified as ever. */
    @Test
    @Timeout(120)
    void shouldPaceTheBuiltInSender() throws Exception {
        Run r = run("--rate", "8m", "--seconds", "1", "--json", "--quiet");
        assertEquals(0, r.exit(), r.stderr() + r.stdout());
        long sent = Long.parseLong(r.field("bytes_sent"));
        // 1 s at 8 MiB/s, plus the write (10 ms of the rate) due when the second ran out; unpaced, gigabytes
        assertTrue(sent > 0 && sent <= (8L << 20) + (8L << 20) / 100, r.json());
        assertEquals(String.valueOf(sent), r.field("bytes"));
        assertEquals(r.field("sha256_sent"), r.field("sha256_verified"));
    }

    @Test
    void shouldRejectBadUsageWithOneLineAndExit2() throws Exception {
        assertUsage("netmem demo: --provider must be one of host|dmabuf|user-ring: nvme", "--provider", "nvme");
        assertUsage("netmem demo: --bytes must be a positive byte count like 64m: -5", "--bytes", "-5");
        assertUsage("netmem demo: give --bytes or --seconds, not both", "--bytes", "1m", "--seconds", "3");
        assertUsage("netmem demo: Unknown option: '--frobnicate'", "--frobnicate");
        assertUsage("netmem demo: Missing required parameter for option '--queues' (N)", "--queues");
        assertUsage("netmem demo: --queues must be an integer in [1, 64]: 0", "--queues", "0");
        assertUsage("netmem demo: --queues must be an integer in [1, 64]: 65", "--queues", "65");
        assertUsage("netmem demo: --connections needs --listen", "--connections", "2");
        assertUsage("netmem demo: --rate must be a positive byte count like 64m: 0", "--rate", "0");
        assertUsage("netmem demo: --rate must be a positive byte count like 64m: fast", "--rate", "fast");
        assertUsage("netmem demo: --rate paces the built-in sender: with --listen clients send at their own pace",
                "--listen", "9", "--rate", "1m");
        assertUsage("netmem demo: --rx-buf-len applies to --provider dmabuf or user-ring, not host", "--provider",
                "host", "--rx-buf-len", "64k");
        assertUsage("netmem demo: --rx-buf-len must be a power of two from 4k to 64k: 12k", "--provider", "user-ring",
                "--rx-buf-len", "12k");
        assertUsage("netmem demo: --rx-buf-len must be a power of two from 4k to 64k: 2k", "--rx-buf-len", "2k");
        assertUsage("netmem demo: --rx-buf-len must be a power of two from 4k to 64k: 128k", "--provider", "user-ring",
                "--rx-buf-len", "128k");
        assertUsage("netmem demo: --uring takes none, or a comma-separated list of bundles, incremental and order=N: "
                + "turbo", "--uring", "bundles,turbo");
        assertUsage("netmem demo: --uring takes none, or a comma-separated list of bundles, incremental and order=N: "
                + "an empty item", "--uring", "bundles,");
        assertUsage("netmem demo: --uring order must be an integer in [0, 4]: order=5", "--uring", "order=5",
                "--provider", "host");
        assertUsage("netmem demo: --uring order=1 needs --provider host: dmabuf buffers are its net_iovs (4 KiB), "
                + "sized with --rx-buf-len instead", "--uring", "order=1");
        assertUsage("netmem demo: --uring applies to the io_uring driver, not --nic emulated", "--uring", "bundles",
                "--nic", "emulated");
        assertUsage("netmem demo send: --to must be HOST:PORT: nohost", "send", "--to", "nohost", "--bytes", "1k");
        assertUsage("netmem demo send: Missing required option: '--to=HOST:PORT'", "send", "--bytes", "1k");
    }

    private static void assertUsage(String message, String... args) throws Exception {
        Run r = run(args);
        assertEquals(2, r.exit(), r.stderr());
        String command = message.substring(0, message.indexOf(':'));
        assertEquals(message + " (see ./" + command + " --help)\n", r.stderr());
        assertEquals("", r.stdout());
    }

    @Test
    void shouldAnswerHelpWithTheOptionsAndTheExitCodes() throws Exception {
        Run r = run("--help");
        assertEquals(0, r.exit());
        assertTrue(r.stdout().startsWith("Usage: netmem demo [-h] [--debug]"), r.stdout());
        assertTrue(r.stdout().contains("--queues=N             RX queues of the NIC, 1..64 (default: 2); the"),
                r.stdout());
        assertTrue(r.stdout().contains("""
                Exit codes:
                  0   every byte verified and nothing leaked (tokens, buffers, shared files)
                  1   the run failed: a check did not pass, or a runtime error (one line;
                        --debug for the stack trace)
                  2   bad usage: nothing was run"""), r.stdout());
        assertEquals("", r.stderr());
        assertTrue(run("send", "--help").stdout().startsWith("Usage: netmem demo send [-h] [--debug] --bytes="));
    }

    @ParameterizedTest(name = "--nic {0}")
    @CsvSource({"uring,Address already in use (EADDRINUSE),dev.netmem.uring.SyscallException",
        "emulated,Address already in use,java.net.BindException"})
    @Timeout(60)
    void shouldReportABusyListenPortInOneLineWithExit1(String nic, String why, String cause) throws Exception {
        try (ServerSocket busy = new ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress())) {
            int port = busy.getLocalPort();
            Run r = run("--nic", nic, "--listen", String.valueOf(port), "--quiet");
            assertEquals(1, r.exit(), r.stderr());
            assertEquals("netmem demo: cannot listen on 127.0.0.1:" + port + ": " + why
                    + " (--debug shows the stack trace)", r.lastErrLine());
            Run debug = run("--nic", nic, "--listen", String.valueOf(port), "--quiet", "--debug");
            assertEquals(1, debug.exit());
            assertTrue(debug.stderr().contains("dev.netmem.cli.Cli$Failure: cannot listen on 127.0.0.1:" + port),
                    debug.stderr());
            assertTrue(debug.stderr().contains("Caused by: " + cause), debug.stderr());
        }
    }

    @Test
    void shouldReportAClosedPortInOneLineWithExit1() throws Exception {
        int port;
        try (ServerSocket probe = new ServerSocket(0)) {
            port = probe.getLocalPort();
        }
        Run r = run("send", "--to", "127.0.0.1:" + port, "--bytes", "1k");
        assertEquals(1, r.exit());
        assertEquals("netmem demo send: cannot connect to 127.0.0.1:" + port
                + ": Connection refused (--debug shows the stack trace)", r.lastErrLine());
    }
}
