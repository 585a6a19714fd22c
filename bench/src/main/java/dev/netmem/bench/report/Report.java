package dev.netmem.bench.report;

import dev.netmem.bench.report.JmhResults.Metric;
import dev.netmem.bench.report.JmhResults.Result;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Turns one JMH JSON result into the published figures: the rows, the targets and
 * {@code summary.json} (the keys, in ns/op; the RX path also in Mpps) here; {@code latest.md}
 * and {@code performance-section.md}, the README's {@code ## Performance} section, in
 * {@link Markdown}; the chart in {@link Chart}. Every figure is read from the JSON; none is typed by
 * hand.
 *
 * <p>Pool benchmarks are reported per {@code provider} value found in the JSON, so a run with more
 * providers ({@code -p provider=host,dmabuf,user_ring}) fills {@code fast_path_dmabuf_ns} and the
 * others without a change here. A key the run could not measure is {@code null} with a reason under
 * {@code pending}.
 */
public final class Report {
    /** The summary keys the issue asks for, in its order. */
    public static final List<String> REQUIRED_KEYS = List.of("baseline_atomic_ns", "fast_path_host_ns",
            "fast_path_dmabuf_ns", "fast_path_user_ring_ns", "ring_path_host_ns", "slow_path_host_ns",
            "jctools_spsc_ns", "jctools_mpsc_ns", "netty_pooled_4k_ns", "netty_adaptive_4k_ns",
            "alloc_bytes_per_op_fast_path", "rx_path_mpps_host", "demo_zerocopy_gbps", "demo_copy_gbps");

    /** Why a required key can be missing from a run of this branch. */
    static final Map<String, String> PENDING_REASONS = Map.of(
            "fast_path_dmabuf_ns", "not in this run: the default run measures it (-p provider=host,dmabuf)",
            "fast_path_user_ring_ns", "not in this run: the default run measures it (-p provider=host,user_ring)",
            "rx_path_mpps_host", "not in this run: Bench3RxPath.rxPath measures it");
    /** The demo's provider for the issue's {@code demo_*_gbps} keys: its default, devmem over a dma-buf. */
    static final String DEMO_PROVIDER = "dmabuf";

    /** Below this many bytes per operation, the table shows "≈0" (JMH's own noise is about 10⁻³). */
    static final double ZERO_BYTES = 0.1;
    /**
     * An allocation target ("0 B/op") is met below this: the smallest object is 16 bytes, so that is
     * fewer than one object per 16 operations. JMH's GC profiler counts every thread of the fork
     * (JMH's own, and the RX path's NAPI thread), so a multi-threaded benchmark is rarely exactly 0.
     */
    static final double ZERO_BYTES_TARGET = 1.0;

    /** What a row is compared as. */
    public enum Kind {
        /** Measured first; the ratios are against these. */
        BASELINE,
        /** A path of the page pool. */
        NETMEM,
        /** What a user would pick instead. */
        ALTERNATIVE
    }

    /**
     * A benchmark to report: {@code {p}} in the key and label stands for the provider.
     *
     * @param key    summary key without the {@code _ns} suffix
     * @param label  the table's and chart's name
     * @param kind   baseline, page pool path, or alternative
     * @param bench  {@code Class.method} or {@code Class.group}
     * @param params parameters the result must have ({@code provider} is added per provider)
     * @param member for a group, the member method whose score is the figure; otherwise {@code null}
     * @param what   what one operation is
     */
    record Spec(String key, String label, Kind kind, String bench, Map<String, String> params, String member,
                String what) {
        boolean perProvider() {
            return key.contains("{p}");
        }
    }

    /**
     * One measured row.
     *
     * @param key   summary key without {@code _ns}
     * @param label display name
     * @param kind  its kind
     * @param what  what one operation is
     * @param ns    ns/op and error
     * @param bytes B/op, or {@code null} without the GC profiler
     */
    public record Row(String key, String label, Kind kind, String what, Metric ns, Metric bytes) {
    }

    static final List<Spec> SPECS = List.of(
            new Spec("baseline_empty_loop", "empty loop", Kind.BASELINE, "Bench1Baselines.emptyLoop", Map.of(), null,
                    "JMH's invocation loop, nothing in it"),
            new Spec("baseline_atomic", "atomic increment", Kind.BASELINE, "Bench1Baselines.atomicIncrement",
                    Map.of(), null, "AtomicLong.incrementAndGet, uncontended"),
            new Spec("baseline_lock", "lock/unlock", Kind.BASELINE, "Bench1Baselines.lockUnlock", Map.of(), null,
                    "ReentrantLock lock + unlock, uncontended"),
            new Spec("fast_path_{p}", "fast path ({p})", Kind.NETMEM, "Bench2PagePoolPaths.fastPath",
                    Map.of("stats", "true"), null, "alloc + recycleDirect in NAPI context, stats on"),
            new Spec("fast_path_{p}_stats_off", "fast path, stats off ({p})", Kind.NETMEM,
                    "Bench2PagePoolPaths.fastPath", Map.of("stats", "false"), null, "the same, stats off"),
            new Spec("ring_path_{p}", "ring path ({p})", Kind.NETMEM, "Bench2PagePoolPaths.ringPath", Map.of(), null,
                    "alloc + put(allowDirect=false) outside NAPI; refill from the ring"),
            new Spec("slow_path_host", "slow path (host)", Kind.NETMEM, "Bench2PagePoolPaths.slowPath", Map.of(), null,
                    "alloc from the provider + release (extra page ref)"),
            new Spec("frag_alloc_{p}", "frag alloc 2 KiB ({p})", Kind.NETMEM, "Bench2PagePoolPaths.fragAlloc",
                    Map.of("fragSize", "2048"), null, "allocFrag(2048) + put of the fragment"),
            new Spec("bulk_put_{p}", "bulk put ({p})", Kind.NETMEM, "Bench2PagePoolPaths.bulkPut", Map.of(), null,
                    "alloc, then putBulk of 64 outside NAPI; per buffer"),
            new Spec("cross_thread_{p}", "cross-thread recycle ({p})", Kind.NETMEM, "Bench3CrossThread.crossThread",
                    Map.of(), "napiAlloc", "NAPI thread allocs and hands off; app thread frees to the ring"),
            new Spec("rx_path_{p}", "RX path, per packet ({p})", Kind.NETMEM, "Bench3RxPath.rxPath", Map.of(), null,
                    "1 KiB packet: NIC write, NAPI poll, skb; the app reads and frees it (copy, devmem tokens or zcrx "
                            + "refill); ring; refill"),
            new Spec("uring_rx_{p}", "io_uring RX, per frag ({p})", Kind.NETMEM, "Bench5UringRx.uringRx",
                    Map.of("opts", "none"), null, "real loopback TCP: kernel copy into a posted buffer, completion, skb, "
                            + "socket; tcp_read_sock consumes and frees it; ring; refill"),
            new Spec("uring_rx_bundles_{p}", "io_uring RX with bundles, per frag ({p})", Kind.NETMEM,
                    "Bench5UringRx.uringRx", Map.of("opts", "bundles"), null,
                    "the same, several buffers per completion and per skb"),
            new Spec("jctools_spsc", "JCTools SPSC", Kind.ALTERNATIVE, "Bench4Alternatives.jctoolsSpsc", Map.of(), null,
                    "SpscArrayQueue offer + poll"),
            new Spec("jctools_mpsc", "JCTools MPSC", Kind.ALTERNATIVE, "Bench4Alternatives.jctoolsMpsc", Map.of(), null,
                    "MpscArrayQueue offer + poll"),
            new Spec("netty_pooled_4k", "Netty pooled 4 KiB", Kind.ALTERNATIVE, "Bench4Alternatives.nettyPooled4k",
                    Map.of(), null, "PooledByteBufAllocator directBuffer(4096) + release; Unsafe allowed"),
            new Spec("netty_adaptive_4k", "Netty adaptive 4 KiB", Kind.ALTERNATIVE,
                    "Bench4Alternatives.nettyAdaptive4k", Map.of(), null,
                    "AdaptiveByteBufAllocator directBuffer(4096) + release; Unsafe allowed"),
            new Spec("netty_pooled_4k_jdk25_default", "Netty pooled 4 KiB, no Unsafe", Kind.ALTERNATIVE,
                    "Bench4Alternatives.nettyPooled4kJdk25Default", Map.of(), null,
                    "the same, in a fork without --sun-misc-unsafe-memory-access=allow (JDK 25 default)"),
            new Spec("netty_adaptive_4k_jdk25_default", "Netty adaptive 4 KiB, no Unsafe", Kind.ALTERNATIVE,
                    "Bench4Alternatives.nettyAdaptive4kJdk25Default", Map.of(), null,
                    "the same, in a fork without --sun-misc-unsafe-memory-access=allow (JDK 25 default)"),
            new Spec("allocate_direct_4k", "ByteBuffer.allocateDirect", Kind.ALTERNATIVE,
                    "Bench4Alternatives.allocateDirect4k", Map.of(), null, "allocateDirect(4096), freed by the GC cleaner (System.gc() when the direct limit is hit)"),
            new Spec("arena_confined_4k", "confined Arena 4 KiB", Kind.ALTERNATIVE,
                    "Bench4Alternatives.arenaConfined4k", Map.of(), null, "Arena.ofConfined, allocate(4096), close"));

    private final JmhResults results;
    private final Map<String, Object> machine;
    private final DemoRuns demo;
    /** The receive benchmark's keys ({@code recv.json}), or empty. */
    private final Map<String, Object> recv;
    private final List<Row> rows;
    private final Map<String, Row> byKey = new LinkedHashMap<>();

    /**
     * A report of {@code results}.
     *
     * @param machine the machine and run description (see {@code BenchMain}); {@code description} is shown
     * @param demo    the demo's summaries, or {@link DemoRuns#NONE}
     */
    public Report(JmhResults results, Map<String, Object> machine, DemoRuns demo) {
        this(results, machine, demo, Map.of());
    }

    /**
     * A report of {@code results} and of the receive benchmark's {@code recv.json} keys.
     *
     * @param recv {@code recv_*} keys of {@code RecvBench} (empty: not run)
     */
    public Report(JmhResults results, Map<String, Object> machine, DemoRuns demo, Map<String, Object> recv) {
        this.results = results;
        this.machine = machine;
        this.demo = demo;
        this.recv = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(recv)); // keeps RecvBench's order
        this.rows = measure(results);
        for (Row r : rows) {
            byKey.put(r.key(), r);
        }
    }

    /** The rows found in the results, baselines first. */
    public List<Row> rows() {
        return rows;
    }

    JmhResults results() {
        return results;
    }

    Map<String, Object> machine() {
        return machine;
    }

    /** The receive benchmark's keys (empty when it did not run). */
    Map<String, Object> recv() {
        return recv;
    }

    boolean has(String key) {
        return byKey.containsKey(key);
    }

    static List<Row> measure(JmhResults results) {
        List<Row> out = new ArrayList<>();
        for (Spec s : SPECS) {
            if (!s.perProvider()) {
                results.find(s.bench(), s.params()).ifPresent(r -> out.add(row(s, s.key(), s.label(), r)));
                continue;
            }
            for (String p : providers(results, s.bench())) {
                Map<String, String> params = new LinkedHashMap<>(s.params());
                params.put("provider", p);
                results.find(s.bench(), params).ifPresent(r -> out.add(
                        row(s, s.key().replace("{p}", p), s.label().replace("{p}", p), r)));
            }
        }
        return List.copyOf(out);
    }

    /** The providers a benchmark ran with, host first. */
    static Set<String> providers(JmhResults results, String bench) {
        Set<String> out = new LinkedHashSet<>();
        out.add("host");
        for (Result r : results.results()) {
            String p = r.params().get("provider");
            if (p != null && r.shortName().equals(bench)) {
                out.add(p);
            }
        }
        return out;
    }

    private static Row row(Spec s, String key, String label, Result r) {
        Metric ns = s.member() == null ? new Metric(r.score(), r.error(), r.unit()) : r.secondary().get(s.member());
        if (ns == null) {
            throw new IllegalArgumentException(r.benchmark() + " has no member " + s.member());
        }
        return new Row(key, label, s.kind(), s.what(), ns, r.bytesPerOp().orElse(null));
    }

    /**
     * The rows the chart shows, the main comparisons: baselines, every path on host pages, the fast
     * path on every provider, and the alternatives in their best configuration. The table has all.
     */
    public List<Row> chartRows() {
        return rows.stream().filter(r -> switch (r.kind()) {
            case BASELINE -> true;
            case ALTERNATIVE -> !r.key().endsWith("_jdk25_default");
            case NETMEM -> r.key().endsWith("_host") || r.key().startsWith("fast_path_") && !r.key().endsWith("_off");
        }).toList();
    }

    /** ns/op of a row, or {@code null} if the run has no such row. */
    public Double ns(String key) {
        Row r = byKey.get(key);
        return r == null ? null : r.ns().score();
    }

    /** B/op of a row, or {@code null}. */
    public Double bytes(String key) {
        Row r = byKey.get(key);
        return r == null || r.bytes() == null ? null : r.bytes().score();
    }

    // ---------------------------------------------------------------------------------------------
    // Targets
    // ---------------------------------------------------------------------------------------------

    /**
     * One target of the issue.
     *
     * @param name     what is compared
     * @param measured the measured ratio or B/op, or {@code null} while pending
     * @param unit     "x" for a ratio, "B/op"
     * @param limit    the limit as the issue writes it
     * @param met      whether it is met, or {@code null} while pending
     * @param pending  why it cannot be measured yet, or {@code null}
     */
    public record Target(String name, Double measured, String unit, String limit, Boolean met, String pending) {
    }

    /** The targets, evaluated on this run. */
    public List<Target> targets() {
        List<Target> t = new ArrayList<>();
        t.add(atMost("fast path (host) / JCTools SPSC", ratio("fast_path_host", "jctools_spsc"), 1.5));
        t.add(atMost("ring path (host) / JCTools MPSC", ratio("ring_path_host", "jctools_mpsc"), 3.0));
        t.add(atLeast("Netty pooled 4 KiB / fast path (host)", ratio("netty_pooled_4k", "fast_path_host"), 10));
        t.add(atLeast("Netty adaptive 4 KiB / fast path (host)", ratio("netty_adaptive_4k", "fast_path_host"), 10));
        t.add(atLeast("Netty pooled, no Unsafe (JDK 25 default) / fast path (host)",
                ratio("netty_pooled_4k_jdk25_default", "fast_path_host"), 10));
        t.add(atLeast("Netty adaptive, no Unsafe (JDK 25 default) / fast path (host)",
                ratio("netty_adaptive_4k_jdk25_default", "fast_path_host"), 10));
        t.add(zeroBytes("fast path (host) allocation", bytes("fast_path_host")));
        t.add(zeroBytes("ring path (host) allocation", bytes("ring_path_host")));
        t.add(providerTarget("dmabuf"));
        t.add(providerTarget("user_ring"));
        t.add(zeroBytes("RX path (host) allocation, all threads", bytes("rx_path_host")));
        t.add(zeroBytes("RX path (dmabuf) allocation, all threads", bytes("rx_path_dmabuf")));
        t.add(zeroBytes("RX path (user_ring) allocation, all threads", bytes("rx_path_user_ring")));
        t.add(zeroBytes("io_uring RX, driver to socket (host), all threads", bytes("uring_rx_host")));
        t.add(zeroBytes("io_uring RX, driver to socket (dmabuf), all threads", bytes("uring_rx_dmabuf")));
        t.add(zeroBytes("io_uring RX with bundles (host), all threads", bytes("uring_rx_bundles_host")));
        t.add(zeroBytes("io_uring RX with bundles (dmabuf), all threads", bytes("uring_rx_bundles_dmabuf")));
        t.add(demoTarget(DEMO_PROVIDER));
        t.add(demoTarget("user-ring"));
        t.add(recvTarget("dmabuf zero-copy in place / plain NIO (a)", "recv_uring_dmabuf_zerocopy_gbps",
                "recv_nio_gbps", 0.8, true));
        t.add(recvTarget("dmabuf zero-copy in place / NIO piped to a JVM (b)", "recv_uring_dmabuf_zerocopy_gbps",
                "recv_nio_pipe_gbps", 2.0, true));
        t.add(recvTarget("dmabuf zero-copy CPU s/GB / NIO piped's (b)", "recv_uring_dmabuf_zerocopy_cpu_s_per_gb",
                "recv_nio_pipe_cpu_s_per_gb", 1.0, false));
        if (recv.containsKey("recv_uring_dmabuf_zerocopy_64k_gbps")) {
            // the same targets with 64 KiB net_iovs (bind-rx rx-buf-size, net-next), where the run has them
            t.add(recvTarget("dmabuf zero-copy in place / plain NIO (a)", "recv_uring_dmabuf_zerocopy_64k_gbps",
                    "recv_nio_gbps", 0.8, true));
            t.add(recvTarget("dmabuf zero-copy in place / NIO piped to a JVM (b)", "recv_uring_dmabuf_zerocopy_64k_gbps",
                    "recv_nio_pipe_gbps", 2.0, true));
            t.add(recvTarget("dmabuf zero-copy CPU s/GB / NIO piped's (b)",
                    "recv_uring_dmabuf_zerocopy_64k_cpu_s_per_gb", "recv_nio_pipe_cpu_s_per_gb", 1.0, false));
        }
        t.add(recvTarget("netmem, best provider / Netty io_uring (c)", bestNetmemKey(), "recv_netty_uring_gbps", 1.0,
                true));
        return t;
    }

    /** The netmem receive figure ({@code recv_uring_*_gbps}, pattern) with the highest median. */
    private String bestNetmemKey() {
        String best = null;
        for (String k : recv.keySet()) {
            if (k.startsWith("recv_uring_") && k.endsWith("_gbps") && !k.endsWith("_sha256_gbps")
                    && recv.get(k) instanceof Number n
                    && (best == null || n.doubleValue() > ((Number) recv.get(best)).doubleValue())) {
                best = k;
            }
        }
        return best == null ? "recv_uring_dmabuf_zerocopy_gbps" : best;
    }

    private Target recvTarget(String name, String a, String b, double limit, boolean atLeast) {
        Double x = recv.get(a) instanceof Number n ? n.doubleValue() : null;
        Double y = recv.get(b) instanceof Number n ? n.doubleValue() : null;
        if (x == null || y == null || y == 0) {
            return new Target(name, null, "x", (atLeast ? ">= " : "<= ") + fmt(limit), null,
                    "no receive benchmark figures (" + a + ", " + b + "): run ./netmem bench without --no-recv");
        }
        Target t = atLeast ? atLeast(name, x / y, limit) : atMost(name, x / y, limit);
        // the names say "dmabuf zero-copy": the 4 KiB path; any other (the best provider's, a _64k path) is named
        boolean named = a.equals("recv_uring_dmabuf_zerocopy_gbps") || a.equals("recv_uring_dmabuf_zerocopy_cpu_s_per_gb");
        return named ? t : new Target(name + " [" + a + "]", t.measured(), t.unit(), t.limit(), t.met(), t.pending());
    }

    private Target demoTarget(String provider) {
        String name = "zero-copy / copy, io_uring driver (" + provider + ")";
        Double zc = demo.gbps(provider, "zerocopy").orElse(null);
        Double cp = demo.gbps(provider, "copy").orElse(null);
        if (zc == null || cp == null) {
            return new Target(name, null, "x", ">= 1.40", null,
                    demo.whyNot(provider, zc == null ? "zerocopy" : "copy"));
        }
        return atLeast(name, zc / cp, 1.4);
    }

    private Target providerTarget(String p) {
        Double r = ratio("fast_path_" + p, "fast_path_host");
        String name = "fast path (" + p + ") / fast path (host)";
        return r == null ? new Target(name, null, "x", "<= 1.10", null, PENDING_REASONS.get("fast_path_" + p + "_ns"))
                : atMost(name, r, 1.10);
    }

    private Double ratio(String a, String b) {
        Double x = ns(a);
        Double y = ns(b);
        return x == null || y == null ? null : x / y;
    }

    private static Target atMost(String name, Double v, double limit) {
        return new Target(name, v, "x", "<= " + fmt(limit), v == null ? null : v <= limit, v == null ? "not measured" : null);
    }

    private static Target atLeast(String name, Double v, double limit) {
        return new Target(name, v, "x", ">= " + fmt(limit), v == null ? null : v >= limit, v == null ? "not measured" : null);
    }

    private static Target zeroBytes(String name, Double v) {
        return new Target(name, v, "B/op", "0", v == null ? null : v < ZERO_BYTES_TARGET,
                v == null ? "not measured" : null);
    }

    // ---------------------------------------------------------------------------------------------
    // summary.json
    // ---------------------------------------------------------------------------------------------

    /** The summary: the keys first (ns/op; {@code null} and a {@code pending} reason when not measured). */
    public Map<String, Object> summary() {
        Map<String, Object> all = new LinkedHashMap<>();
        for (Row r : rows) {
            all.put(r.key() + "_ns", round(r.ns().score()));
        }
        all.put("alloc_bytes_per_op_fast_path", round(bytes("fast_path_host")));
        for (Row r : rows) {
            if (r.key().startsWith("rx_path_")) {
                all.put("rx_path_mpps_" + r.key().substring("rx_path_".length()), round(1000.0 / r.ns().score()));
            }
        }
        Map<String, String> why = new LinkedHashMap<>(PENDING_REASONS);
        for (String provider : List.of(DEMO_PROVIDER, "user-ring")) {
            for (String mode : List.of("zerocopy", "copy")) {
                String key = provider.equals(DEMO_PROVIDER) ? "demo_" + mode + "_gbps"
                        : "demo_" + provider.replace('-', '_') + "_" + mode + "_gbps";
                all.put(key, demo.gbps(provider, mode).orElse(null));
                why.put(key, demo.whyNot(provider, mode));
            }
        }
        Map<String, Object> s = new LinkedHashMap<>();
        Map<String, Object> pending = new LinkedHashMap<>();
        for (String k : REQUIRED_KEYS) {
            Object v = all.remove(k);
            s.put(k, v);
            if (v == null) {
                pending.put(k, why.getOrDefault(k, "not in this run"));
            }
        }
        for (Map.Entry<String, Object> e : all.entrySet()) {
            if (e.getValue() == null) {
                pending.put(e.getKey(), why.getOrDefault(e.getKey(), "not in this run"));
            }
        }
        s.put("machine", machine);
        s.put("pending", pending);
        s.putAll(all);
        s.putAll(recv); // the receive benchmark's keys, as RecvBench wrote them
        Map<String, Object> bytes = new LinkedHashMap<>();
        for (Row r : rows) {
            if (r.bytes() != null) {
                bytes.put(r.key(), round(r.bytes().score()));
            }
        }
        s.put("alloc_bytes_per_op", bytes);
        List<Object> targets = new ArrayList<>();
        for (Target t : targets()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("target", t.name());
            m.put("measured", round(t.measured()));
            m.put("unit", t.unit());
            m.put("limit", t.limit());
            m.put("met", t.met());
            if (t.pending() != null) {
                m.put("pending", t.pending());
            }
            targets.add(m);
        }
        s.put("targets", targets);
        return s;
    }

    private static Double round(Double v) {
        return v == null || v.isNaN() ? null : Math.round(v * 1000.0) / 1000.0;
    }

    /** Three significant figures, at most two decimals past the point for values above 1. */
    static String fmt(double v) {
        if (Double.isNaN(v)) {
            return "n/a";
        }
        double a = Math.abs(v);
        String f = a >= 100 ? "%.0f" : a >= 10 ? "%.1f" : a >= 0.1 ? "%.2f" : "%.3f";
        return String.format(Locale.ROOT, f, v);
    }

    // ---------------------------------------------------------------------------------------------
    // Files
    // ---------------------------------------------------------------------------------------------

    /**
     * Writes {@code summary.json}, {@code latest.md}, {@code latest.png} and
     * {@code performance-section.md} into {@code dir}.
     *
     * @param readmeLink the results folder as the README links it (from the repository root)
     */
    public void writeAll(Path dir, String readmeLink) throws IOException {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("summary.json"), Json.write(summary()));
        Markdown md = new Markdown(this);
        Files.writeString(dir.resolve("latest.md"), md.table());
        Files.writeString(dir.resolve("performance-section.md"), md.readmeSection(readmeLink));
        Chart.write(this, String.valueOf(machine.getOrDefault("chart_caption", "")), dir.resolve("latest.png"));
    }
}
