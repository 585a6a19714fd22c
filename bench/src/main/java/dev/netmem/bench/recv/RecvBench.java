package dev.netmem.bench.recv;

import dev.netmem.bench.report.Json;
import dev.netmem.demo.DemoMain;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The receive benchmark: one loopback TCP stream of the same size through every path a Java user
 * could take to get received bytes verified, alternating the paths repetition by repetition, and
 * reporting for each the median Gbit/s and CPU seconds per GB received (user + system of every
 * process involved: this JVM, which also runs the sender, plus any consumer JVM, from /proc), over
 * the clock's window: a consumer JVM counts its CPU time from the moment it said ready, as the
 * clock starts then (its start-up is the demo's set-up time, not receive work).
 * Every byte is verified the same way on every path, once by comparing with the sent pattern
 * ({@code pattern}, vectorised {@code MemorySegment.mismatch}), once by the JDK's SHA-256 of the
 * whole stream ({@code sha256}).
 * <ul>
 *   <li>(a) {@code nio}: {@code SocketChannel.read} into a 1 MiB direct buffer, verified in place;</li>
 *   <li>(b) {@code nio_pipe}: the same, the bytes piped to a consumer JVM that verifies them;</li>
 *   <li>(c) {@code netty_uring}: Netty 4.2's io_uring transport, verified in the event loop;</li>
 *   <li>(d) {@code uring_*}: netmem on the io_uring driver (the demo's receiver and consumer JVM), for
 *       host pages, a dma-buf and a zcrx user ring, zero-copy and copy; {@code _64k}: zero-copy into
 *       64 KiB buffers ({@code --rx-buf-len 64k}: for the dma-buf, bind-rx's {@code rx-buf-size} of the
 *       net-next devmem series, not in Linux 6.18; for the user ring, zcrx's {@code rx_buf_len});</li>
 *   <li>(e) {@code emulated_dmabuf_zerocopy}: the same on the emulated NIC, for reference;</li>
 *   <li>(f) {@code nio_shm}: NIO reads straight into a shared-memory file, each verified in place by a
 *       consumer JVM ({@code dev.netmem.demo.ShmHandoff}): netmem's data movement without netmem, the
 *       conventional design to hold its cross-process paths against.</li>
 * </ul>
 * Usage: {@code RecvBench [--quick] [--reps N] [--bytes N[m|g]] [--results DIR] [--only REGEX]}.
 */
public final class RecvBench {
    private RecvBench() {
    }

    /** One path: how to run it once for a verification mode. */
    record Path0(String key, Runner runner) {
    }

    /** Runs a path once; returns the measured result. */
    @FunctionalInterface
    interface Runner {
        Result run(long bytes, String verify, PrintStream err) throws Exception;
    }

    /**
     * What the demo's JSON says of its CPU time by thread, in this order: {@code cpu_s_napi} and so on;
     * the summary's keys end in these names.
     */
    public static final List<String> THREADS = List.of("napi", "application", "sender", "consumer", "rest");

    /** The summary key of a path's CPU s/GB in thread job {@code job} (one of {@link #THREADS}). */
    public static String threadKey(String path, String job) {
        return "recv_" + path + "_cpu_s_per_gb_" + job;
    }

    /**
     * One measured run; {@code cpuByThread}: CPU seconds by {@link #THREADS}, for netmem's paths ({@code null}
     * for the others, or a demo that gave none).
     */
    record Result(long bytes, double seconds, double cpuSeconds, boolean verified, double[] cpuByThread) {
        Result(long bytes, double seconds, double cpuSeconds, boolean verified) {
            this(bytes, seconds, cpuSeconds, verified, null);
        }

        /** CPU seconds per GB of thread job {@code i} of {@link #THREADS}. */
        double cpuPerGb(int i) {
            return cpuByThread[i] / (bytes / 1e9);
        }

        double gbps() {
            return bytes * 8 / seconds / 1e9;
        }

        double cpuPerGb() {
            return cpuSeconds / (bytes / 1e9);
        }
    }

    /** Entry point: {@link #run} with this process's streams, then exit with its status. */
    public static void main(String[] args) throws Exception {
        System.exit(run(List.of(args), System.out, System.err));
    }

    /**
     * Runs the benchmark as the arguments say, printing progress and the table to {@code out}.
     *
     * @return 0 when every run verified and the results were written, 1 if a run did not verify, 2 on
     *         bad usage
     */
    public static int run(List<String> argList, PrintStream out, PrintStream err) throws Exception {
        String[] args = argList.toArray(String[]::new);
        boolean quick = false;
        int reps = 5;
        long bytes = 0;
        Path results = Path.of("results");
        String only = ".*";
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--quick" -> quick = true;
                case "--reps" -> reps = Integer.parseInt(args[++i]);
                case "--bytes" -> bytes = parseBytes(args[++i]);
                case "--results" -> results = Path.of(args[++i]);
                case "--only" -> only = args[++i];
                default -> {
                    err.println("usage: RecvBench [--quick] [--reps N] [--bytes N[m|g]] [--results DIR] [--only REGEX]");
                    return 2;
                }
            }
        }
        if (bytes == 0) {
            // full: 4 GiB, so each run is mostly steady state (an 8 GiB demo run's rate rose from 12 to
            // 29 Gbit/s over its first 2 s)
            bytes = quick ? 256L << 20 : 4L << 30;
        }
        if (reps < 5) {
            err.println("netmem recv-bench: at least 5 repetitions: every figure is a median of 5 or more");
            return 2;
        }
        List<Path0> paths = new ArrayList<>();
        paths.add(new Path0("nio", (b, v, e) -> NioPaths.nio(b, v)));
        paths.add(new Path0("nio_pipe", (b, v, e) -> NioPaths.nioPipe(b, v)));
        paths.add(new Path0("netty_uring", (b, v, e) -> NettyUringPath.run(b, v)));
        paths.add(new Path0("nio_shm", (b, v, e) -> NioPaths.nioShm(b, v)));
        // a fourth element is the demo's --rx-buf-len, and a suffix of the key: 64 KiB buffers (the queue's
        // rx_page_size), one record or completion and one token or refill entry per 64 KiB instead of per
        // 4 KiB. For dmabuf it is bind-rx's rx-buf-size, a net-next devmem attribute (not in Linux 6.18);
        // for the user ring the zcrx rx_buf_len
        for (String[] d : new String[][] {{"uring", "host", "zerocopy"}, {"uring", "dmabuf", "zerocopy"},
            {"uring", "dmabuf", "zerocopy", "64k"}, {"uring", "dmabuf", "copy"}, {"uring", "user-ring", "zerocopy"},
            {"uring", "user-ring", "copy"}, {"emulated", "dmabuf", "zerocopy"}, {"uring", "user-ring", "zerocopy", "64k"}}) {
            List<String> extra = d.length > 3 ? List.of("--rx-buf-len", d[3]) : List.of();
            String key = d[0] + "_" + d[1].replace('-', '_') + (d[1].equals("host") ? "" : "_" + d[2])
                    + (d.length > 3 ? "_" + d[3] : "");
            paths.add(new Path0(key, (b, v, e) -> demo(d[0], d[1], d[2], extra, b, v, e)));
        }
        String filter = only;
        paths.removeIf(p -> !p.key().matches(filter));
        Map<String, List<Result>> runs = new LinkedHashMap<>();
        for (int rep = 1; rep <= reps; rep++) {
            for (String verify : List.of("pattern", "sha256")) {
                for (Path0 p : paths) {
                    String k = p.key() + (verify.equals("sha256") ? "_sha256" : "");
                    Result r = p.runner().run(bytes, verify, err);
                    runs.computeIfAbsent(k, x -> new ArrayList<>()).add(r);
                    out.printf(Locale.ROOT, "[recv] rep %d %-36s %6.2f Gbit/s  %6.2f cpu-s/GB  %s%n", rep, k,
                            r.gbps(), r.cpuPerGb(), r.verified() ? "verified" : "NOT VERIFIED");
                }
            }
        }
        Map<String, Object> summary = new LinkedHashMap<>();
        StringBuilder md = new StringBuilder();
        md.append("| path | pattern Gbit/s | cpu s/GB | sha256 Gbit/s | cpu s/GB |\n|---|---:|---:|---:|---:|\n");
        boolean allVerified = true;
        for (Path0 p : paths) {
            List<Result> pr = runs.get(p.key());
            List<Result> sr = runs.get(p.key() + "_sha256");
            summary.put("recv_" + p.key() + "_gbps", round(median(pr, Result::gbps)));
            summary.put("recv_" + p.key() + "_cpu_s_per_gb", round(median(pr, Result::cpuPerGb)));
            summary.put("recv_" + p.key() + "_sha256_gbps", round(median(sr, Result::gbps)));
            summary.put("recv_" + p.key() + "_sha256_cpu_s_per_gb", round(median(sr, Result::cpuPerGb)));
            md.append(String.format(Locale.ROOT, "| %s | %.2f | %.2f | %.2f | %.2f |%n", p.key(),
                    median(pr, Result::gbps), median(pr, Result::cpuPerGb), median(sr, Result::gbps),
                    median(sr, Result::cpuPerGb)));
            allVerified &= pr.stream().allMatch(Result::verified) && sr.stream().allMatch(Result::verified);
        }
        threadTable(paths, runs, summary, md);
        summary.put("recv_bytes_per_run", bytes);
        summary.put("recv_repetitions", reps);
        summary.put("recv_all_verified", allVerified);
        Files.createDirectories(results);
        Files.writeString(results.resolve("recv.json"), Json.write(summary) + "\n");
        Files.writeString(results.resolve("recv-section.md"), md.toString());
        mergeInto(results.resolve("summary.json"), summary);
        out.println(md);
        out.println("[recv] wrote " + results.resolve("recv.json") + ", recv-section.md and the recv_* keys of summary.json");
        if (!allVerified) {
            err.println("[recv] some run did not verify every byte");
            return 1;
        }
        return 0;
    }

    /**
     * Where netmem's paths spent their CPU (pattern runs): per thread job, the median over repetitions of
     * its CPU seconds per GB, as {@code recv_<path>_cpu_s_per_gb_<job>}, and a table. Medians of the parts
     * need not add up to the median of the whole.
     */
    private static void threadTable(List<Path0> paths, Map<String, List<Result>> runs, Map<String, Object> summary,
                                    StringBuilder md) {
        boolean header = false;
        for (Path0 p : paths) {
            List<Result> pr = runs.get(p.key());
            if (pr.stream().anyMatch(r -> r.cpuByThread() == null || r.bytes() == 0)) {
                continue;
            }
            if (!header) {
                md.append("\n| path (pattern), cpu s/GB by thread | NAPI | application | sender | consumer JVM | rest |\n")
                        .append("|---|---:|---:|---:|---:|---:|\n");
                header = true;
            }
            md.append("| ").append(p.key());
            for (int i = 0; i < THREADS.size(); i++) {
                int job = i;
                double v = median(pr, r -> r.cpuPerGb(job));
                summary.put(threadKey(p.key(), THREADS.get(i)), round(v));
                md.append(String.format(Locale.ROOT, " | %.3f", v));
            }
            md.append(" |\n");
        }
    }

    /** One run of the demo (in this JVM; its consumer JVM reports its own CPU time). */
    static Result demo(String nic, String provider, String mode, List<String> extra, long bytes, String verify,
                       PrintStream log) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int exit;
        try (PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
             PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8)) {
            List<String> args = new ArrayList<>(List.of("--nic", nic, "--provider", provider, "--mode", mode,
                    "--bytes", Long.toString(bytes), "--verify", verify, "--json", "--quiet"));
            args.addAll(extra);
            exit = DemoMain.run(args, o, e);
        }
        String[] lines = out.toString(StandardCharsets.UTF_8).strip().split("\n");
        String last = lines[lines.length - 1];
        if (!last.startsWith("{")) { // the demo failed before its summary: its one-line error says why
            log.println("[recv] demo " + nic + " " + provider + " " + mode + " " + extra + " exit " + exit
                    + " without a summary: " + err.toString(StandardCharsets.UTF_8).strip());
            return new Result(0, 1, 0, false);
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> j = (Map<String, Object>) Json.parse(last);
        long got = ((Number) j.get("bytes")).longValue();
        double seconds = ((Number) j.get("seconds")).doubleValue();
        double cpu = ((Number) j.get("cpu_s")).doubleValue();
        boolean ok = exit == 0 && Boolean.TRUE.equals(j.get("verified")) && got == bytes;
        if (!ok) {
            log.println("[recv] demo " + nic + " " + provider + " " + mode + " " + extra + " exit " + exit + ": "
                    + err.toString(StandardCharsets.UTF_8).strip());
        }
        double[] byThread = new double[THREADS.size()];
        for (int i = 0; i < byThread.length; i++) {
            if (!(j.get("cpu_s_" + THREADS.get(i)) instanceof Number n)) {
                byThread = null; // a JVM that does not measure thread CPU time
                break;
            }
            byThread[i] = n.doubleValue();
        }
        return new Result(got, seconds, cpu, ok, byThread);
    }

    private static double median(List<Result> rs, java.util.function.ToDoubleFunction<Result> f) {
        double[] v = rs.stream().mapToDouble(f).sorted().toArray();
        return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }

    private static double round(double d) {
        return Math.round(d * 1000) / 1000.0;
    }

    @SuppressWarnings("unchecked")
    private static void mergeInto(Path file, Map<String, Object> keys) throws IOException {
        Map<String, Object> m = new LinkedHashMap<>();
        if (Files.exists(file)) {
            Object o = Json.parse(Files.readString(file));
            if (o instanceof Map<?, ?> existing) {
                m.putAll((Map<String, Object>) existing);
            }
        }
        m.putAll(keys);
        Files.writeString(file, Json.write(m) + "\n");
    }

    static long parseBytes(String v) {
        String s = v.toLowerCase(Locale.ROOT);
        long mult = s.endsWith("g") ? 1L << 30 : s.endsWith("m") ? 1L << 20 : s.endsWith("k") ? 1L << 10 : 1;
        return Long.parseLong(mult == 1 ? s : s.substring(0, s.length() - 1)) * mult;
    }
}
