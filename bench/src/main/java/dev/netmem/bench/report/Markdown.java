package dev.netmem.bench.report;

import static dev.netmem.bench.report.Report.fmt;

import dev.netmem.bench.recv.RecvBench;
import dev.netmem.bench.report.JmhResults.Result;
import dev.netmem.bench.report.Report.Kind;
import dev.netmem.bench.report.Report.Row;
import dev.netmem.bench.report.Report.Spec;
import dev.netmem.bench.report.Report.Target;
import java.util.List;
import java.util.Map;

/** The Markdown of a {@link Report}: the full table ({@code latest.md}) and the README section. */
final class Markdown {
    private final Report report;

    Markdown(Report report) {
        this.report = report;
    }

    /** The receive benchmark's paths: the question a user asks first (how fast is a real stream, verified). */
    private void recvSection(StringBuilder b, String resultsDir) {
        Map<String, Object> r = report.recv();
        if (r.isEmpty()) {
            return;
        }
        b.append("### Receive benchmark (real loopback TCP, every byte verified)\n\n");
        b.append("Medians of ").append(plain(r.get("recv_repetitions"))).append(" alternating repetitions of a ")
                .append(r.get("recv_bytes_per_run") instanceof Number n ? (n.longValue() >> 20) + " MiB" : "?")
                .append(" stream per path, one run of `./netmem bench`")
                .append(" (figures: `").append(resultsDir).append("/recv.json`). `pattern`: every byte compared with\n")
                .append("the sent pattern (one vectorised `MemorySegment.mismatch` per chunk, on every path); `sha256`: the\n")
                .append("JDK's SHA-256 of the stream. CPU s/GB counts every process (sender, receiver, consumer JVM)\n")
                .append("over the clock's window, which starts when the consumer JVM is ready.\n")
                .append("`uring_*` is netmem on the io_uring driver, `emulated_*` on the emulated NIC, each with the\n")
                .append("consumer in another JVM (zero-copy: verified in place in the shared dma-buf or zcrx area).\n")
                .append("The others: `nio` reads into a 1 MiB direct buffer and verifies it in the same JVM; `nio_pipe`\n")
                .append("pipes what it reads to a consumer JVM over a Unix socket; `netty_uring` is Netty's io_uring\n")
                .append("transport, verified in its event loop; `nio_shm` reads straight into a 64 MiB shared-memory file\n")
                .append("that a consumer JVM verifies in place (netmem's data movement with nothing of netmem: one\n")
                .append("receiving thread, 1 MiB reads, the same hand-off rings and consumer as the demo).\n\n");
        b.append("| path | pattern Gbit/s | cpu s/GB | sha256 Gbit/s | cpu s/GB |\n|---|---:|---:|---:|---:|\n");
        for (String k : r.keySet()) {
            if (!k.startsWith("recv_") || !k.endsWith("_gbps") || k.endsWith("_sha256_gbps")) {
                continue;
            }
            String path = k.substring("recv_".length(), k.length() - "_gbps".length());
            b.append("| ").append(path).append(" | ").append(num(r.get(k))).append(" | ")
                    .append(num(r.get("recv_" + path + "_cpu_s_per_gb"))).append(" | ")
                    .append(num(r.get("recv_" + path + "_sha256_gbps"))).append(" | ")
                    .append(num(r.get("recv_" + path + "_sha256_cpu_s_per_gb"))).append(" |\n");
        }
        shmComparison(b, r);
        threadTable(b, r);
        b.append("\nThe targets for these figures are in the table of targets below.\n\n");
    }

    /**
     * netmem's zero-copy paths against {@code nio_shm}, the conventional cross-process design with
     * the same data movement, and {@code nio_shm} against plain NIO and NIO piped.
     */
    private static void shmComparison(StringBuilder b, Map<String, Object> r) {
        if (!(r.get("recv_nio_shm_gbps") instanceof Number shm) || !(r.get("recv_nio_gbps") instanceof Number nio)
                || !(r.get("recv_nio_pipe_gbps") instanceof Number pipe)) {
            return;
        }
        b.append("\nThe conventional cross-process design, `nio_shm`, ran at ")
                .append(ratio(shm.doubleValue() / nio.doubleValue())).append(" `nio` and ")
                .append(ratio(shm.doubleValue() / pipe.doubleValue())).append(" `nio_pipe`; against it");
        String sep = "";
        for (String k : r.keySet()) {
            if (k.startsWith("recv_uring_") && k.contains("_zerocopy") && k.endsWith("_gbps") && !k.endsWith("_sha256_gbps")
                    && r.get(k) instanceof Number z) {
                b.append(sep).append(" `").append(k, "recv_".length(), k.length() - "_gbps".length()).append("` ran at ")
                        .append(ratio(z.doubleValue() / shm.doubleValue()));
                sep = ",";
            }
        }
        b.append(sep.isEmpty() ? " no netmem zero-copy path ran" : "").append(".\n");
    }

    private static String ratio(double x) {
        return String.format(java.util.Locale.ROOT, "%.2fx", x);
    }

    /** Where netmem's paths spent their CPU, from the {@code recv_<path>_cpu_s_per_gb_<job>} keys, if any. */
    private static void threadTable(StringBuilder b, Map<String, Object> r) {
        boolean header = false;
        for (String k : r.keySet()) {
            String napi = RecvBench.threadKey("", RecvBench.THREADS.get(0)).substring("recv_".length());
            if (!k.startsWith("recv_") || !k.endsWith(napi)) {
                continue;
            }
            if (!header) {
                b.append("\nWhere netmem's paths spent their CPU (pattern runs): CPU s/GB by thread, each the median of\n")
                        .append("its repetitions (so a row need not add up to the total above). NAPI: the driver's\n")
                        .append("threads, with the kernel's receive copy that io_uring runs on them; application: the\n")
                        .append("thread that receives and hands records and tokens on; sender: the stream's source; rest:\n")
                        .append("the receiver JVM's JIT, GC and other threads (on the emulated NIC, its wire thread: the copy\n")
                        .append("a NIC's DMA would do).\n\n")
                        .append("| path | NAPI | application | sender | consumer JVM | rest |\n|---|---:|---:|---:|---:|---:|\n");
                header = true;
            }
            String path = k.substring("recv_".length(), k.length() - napi.length());
            b.append("| ").append(path);
            for (String job : RecvBench.THREADS) {
                b.append(" | ").append(num(r.get(RecvBench.threadKey(path, job))));
            }
            b.append(" |\n");
        }
    }

    private static String num(Object o) {
        return o instanceof Number n ? String.format(java.util.Locale.ROOT, "%.2f", n.doubleValue()) : "–";
    }

    /** Every row with its error and ratios to the baselines, and the targets: {@code latest.md}. */
    String table() {
        StringBuilder b = new StringBuilder();
        b.append("# netmem benchmarks: latest run\n\n");
        b.append("Generated from `latest.json` by `dev.netmem.bench.report.Report`; do not edit.\n\n");
        runDescription(b);
        b.append("| Benchmark | One operation | ns/op | ± 99.9% | B/op | × atomic inc | × lock/unlock |\n");
        b.append("|---|---|---:|---:|---:|---:|---:|\n");
        Double atomic = report.ns("baseline_atomic");
        Double lock = report.ns("baseline_lock");
        for (Row r : report.rows()) {
            b.append("| ").append(r.label()).append(" | ").append(r.what()).append(" | ")
                    .append(fmt(r.ns().score())).append(" | ").append(fmt(r.ns().error())).append(" | ")
                    .append(r.bytes() == null ? "n/a" : fmtBytes(r.bytes().score())).append(" | ")
                    .append(times(r.ns().score(), atomic)).append(" | ").append(times(r.ns().score(), lock))
                    .append(" |\n");
        }
        b.append('\n');
        targetsTable(b);
        b.append("\nWhy a target is missed, with the profiles behind it: [`../README.md`](../README.md#findings).\n");
        b.append("\n![netmem vs alternatives](latest.png)\n");
        return b.toString();
    }

    /** The README's {@code ## Performance} section; {@code resultsDir} is the results folder as the README links it. */
    String readmeSection(String resultsDir) {
        StringBuilder b = new StringBuilder();
        b.append("## Performance\n\n");
        recvSection(b, resultsDir);
        b.append("### The page pool's paths (JMH)\n\n");
        b.append("Measured with JMH in one run (baselines first, then the page pool's paths, then what a Java user\n")
                .append("would pick instead), `-prof gc` for allocation. Reproduce with `./netmem bench` (the full run)\n")
                .append("or `./netmem bench --quick` (a few minutes); both write `").append(resultsDir).append("/`.\n\n");
        runDescription(b);
        List<String> providers = List.copyOf(Report.providers(report.results(), "Bench2PagePoolPaths.fastPath"));
        b.append("| Page pool path, ns/op |");
        for (String p : providers) {
            b.append(' ').append(p).append(" |");
        }
        b.append(" B/op (host) | × atomic inc (host) |\n|---|");
        b.append("---:|".repeat(providers.size() + 2)).append('\n');
        Double atomic = report.ns("baseline_atomic");
        for (Spec s : Report.SPECS) {
            if (s.kind() != Kind.NETMEM) {
                continue;
            }
            String hostKey = s.key().replace("{p}", "host");
            if (!report.has(hostKey)) {
                continue;
            }
            b.append("| ").append(s.label().replace(" ({p})", "").replace(" (host)", "")).append(" |");
            for (String p : providers) {
                Double v = s.perProvider() ? report.ns(s.key().replace("{p}", p)) : p.equals("host") ? report.ns(hostKey) : null;
                b.append(' ').append(v == null ? "–" : fmt(v)).append(" |");
            }
            Double bytes = report.bytes(hostKey);
            b.append(' ').append(bytes == null ? "n/a" : fmtBytes(bytes)).append(" | ")
                    .append(times(report.ns(hostKey), atomic)).append(" |\n");
        }
        b.append("\n| Baseline or alternative | ns/op | B/op | × fast path (host) |\n|---|---:|---:|---:|\n");
        Double fast = report.ns("fast_path_host");
        for (Row r : report.rows()) {
            if (r.kind() == Kind.NETMEM) {
                continue;
            }
            b.append("| ").append(r.label()).append(" | ").append(fmt(r.ns().score())).append(" | ")
                    .append(r.bytes() == null ? "n/a" : fmtBytes(r.bytes().score())).append(" | ")
                    .append(times(r.ns().score(), fast)).append(" |\n");
        }
        b.append('\n');
        targetsTable(b);
        b.append("\nWhy a target is missed, with the profiles behind it: [`bench/README.md`](bench/README.md#findings).\n");
        b.append("\n![netmem vs alternatives](").append(resultsDir).append("/latest.png)\n\n");
        b.append("Every figure above is generated from the JMH JSON; the full table with errors and what one\n")
                .append("operation is: [`").append(resultsDir).append("/latest.md`](").append(resultsDir)
                .append("/latest.md); machine-readable: [`").append(resultsDir).append("/summary.json`](")
                .append(resultsDir).append("/summary.json).\n");
        return b.toString();
    }

    private void runDescription(StringBuilder b) {
        if (report.machine().containsKey("cpu")) {
            b.append("- Machine: ").append(report.machine().get("cpu")).append(", ").append(plain(report.machine().get("cores")))
                    .append(" cores, ").append(plain(report.machine().get("memory_gib"))).append(" GiB, ")
                    .append(report.machine().get("os")).append("; ").append(report.machine().get("jvm")).append(".\n");
        } else if (report.machine().get("description") != null) {
            b.append("- Machine: ").append(report.machine().get("description")).append(".\n");
        }
        if (report.machine().get("load") instanceof Map<?, ?> l) {
            b.append("- Load average (1 min): ").append(l.get("start_1m")).append(" at start, ")
                    .append(l.get("end_1m")).append(" at end, ").append(l.get("max_1m"))
                    .append(" at most, on ").append(plain(report.machine().get("cores")))
                    .append(" cores: above the benchmark's own threads, other work shared the cores.\n");
        }
        if (!report.results().results().isEmpty()) {
            Result r = report.results().results().getFirst();
            b.append("- JMH: average time, ").append(r.forks()).append(r.forks() == 1 ? " fork" : " forks")
                    .append(" per benchmark, warm-up ").append(r.warmup()).append(", measurement ")
                    .append(r.measure()).append(" (`").append(report.machine().getOrDefault("mode", "?")).append("` run, ")
                    .append(report.machine().getOrDefault("started_utc", "?")).append(").\n");
        }
        b.append('\n');
    }

    /** A whole number read back from JSON prints without ".0". */
    private static String plain(Object o) {
        return o instanceof Double d && d == Math.rint(d) ? String.valueOf(d.longValue()) : String.valueOf(o);
    }

    private void targetsTable(StringBuilder b) {
        b.append("An allocation target counts as met below 1 B/op (fewer than one 16-byte object per 16\n")
                .append("operations; JMH's GC profiler counts every thread of the fork).\n\n");
        b.append("| Target | Measured | Limit | Met |\n|---|---:|---:|---|\n");
        for (Target t : report.targets()) {
            String measured = t.measured() == null ? "pending"
                    : "B/op".equals(t.unit()) ? fmtBytes(t.measured()) + " B/op" : fmt(t.measured()) + "x";
            String met = t.met() == null ? "pending: " + t.pending() : t.met() ? "yes" : "**no**";
            b.append("| ").append(t.name()).append(" | ").append(measured).append(" | ").append(t.limit())
                    .append("B/op".equals(t.unit()) ? " B/op" : "x").append(" | ").append(met).append(" |\n");
        }
    }

    private static String times(double v, Double base) {
        return base == null || base <= 0 ? "n/a" : fmt(v / base) + "x";
    }

    private static String fmtBytes(double v) {
        return v < Report.ZERO_BYTES ? "≈0" : fmt(v);
    }
}
