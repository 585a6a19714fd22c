package dev.netmem.bench.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Group;

/** The report is derived from the JMH JSON alone; synthetic figures, no timing measured. */
class ReportTest {

    /** One JMH JSON entry as JMH 1.37 writes it (trimmed to the fields the report reads). */
    private static String entry(String bench, String params, double score, Object error, double bytes,
                                String extraSecondary) {
        return String.format(Locale.ROOT, """
                {
                  "jmhVersion" : "1.37", "benchmark" : "dev.netmem.bench.%s", "mode" : "avgt", "threads" : 1,
                  "forks" : 2, "jvm" : "/usr/bin/java", "jdkVersion" : "25.0.3", "vmName" : "OpenJDK 64-Bit Server VM",
                  "vmVersion" : "25.0.3+9-LTS", "warmupIterations" : 4, "warmupTime" : "1 s",
                  "measurementIterations" : 8, "measurementTime" : "1 s", "params" : { %s },
                  "primaryMetric" : { "score" : %s, "scoreError" : %s, "scoreUnit" : "ns/op", "rawData" : [ [ 1.0 ] ] },
                  "secondaryMetrics" : { %s "gc.alloc.rate.norm" : { "score" : %s, "scoreError" : 0.01, "scoreUnit" : "B/op" } }
                }""", bench, params, score, error instanceof String s ? "\"" + s + "\"" : error, extraSecondary,
                bytes);
    }

    static String sampleJson(boolean withDmabuf) {
        List<String> e = new ArrayList<>();
        e.add(entry("Bench1Baselines.atomicIncrement", "", 5.0, 0.1, 0.0001, ""));
        e.add(entry("Bench1Baselines.emptyLoop", "", 0.3, "NaN", 0.0001, ""));
        e.add(entry("Bench1Baselines.lockUnlock", "", 10.0, 0.2, 0.0001, ""));
        e.add(entry("Bench2PagePoolPaths.bulkPut", "\"provider\" : \"host\"", 12.0, 0.5, 0.02, ""));
        e.add(entry("Bench2PagePoolPaths.fastPath", "\"provider\" : \"host\", \"stats\" : \"true\"", 4.0, 0.1, 0.001, ""));
        e.add(entry("Bench2PagePoolPaths.fastPath", "\"provider\" : \"host\", \"stats\" : \"false\"", 3.5, 0.1, 0.001, ""));
        if (withDmabuf) {
            e.add(entry("Bench2PagePoolPaths.fastPath", "\"provider\" : \"dmabuf\", \"stats\" : \"true\"", 4.2, 0.1, 0.001, ""));
            e.add(entry("Bench3RxPath.rxPath", "\"payloadSize\" : \"1024\", \"provider\" : \"host\"", 400.0, 9.0, 0.02, ""));
        }
        e.add(entry("Bench2PagePoolPaths.fragAlloc", "\"fragSize\" : \"2048\", \"provider\" : \"host\"", 6.0, 0.1, 0.001, ""));
        e.add(entry("Bench2PagePoolPaths.ringPath", "\"provider\" : \"host\"", 20.0, 0.1, 1.5, ""));
        e.add(entry("Bench2PagePoolPaths.slowPath", "", 40.0, 1.0, 0.001, ""));
        e.add(entry("Bench3CrossThread.crossThread", "\"provider\" : \"host\"", 15.0, 1.0, 0.001,
                "\"appFree\" : { \"score\" : 9.0, \"scoreError\" : 1.0, \"scoreUnit\" : \"ns/op\" }, "
                        + "\"napiAlloc\" : { \"score\" : 21.0, \"scoreError\" : 2.0, \"scoreUnit\" : \"ns/op\" },"));
        e.add(entry("Bench4Alternatives.allocateDirect4k", "", 900.0, 50.0, 136.0, ""));
        e.add(entry("Bench4Alternatives.arenaConfined4k", "", 150.0, 5.0, 0.001, ""));
        e.add(entry("Bench4Alternatives.jctoolsMpsc", "", 5.0, 0.1, 0.0001, ""));
        e.add(entry("Bench4Alternatives.jctoolsSpsc", "", 2.0, 0.1, 0.0001, ""));
        e.add(entry("Bench4Alternatives.nettyAdaptive4k", "", 60.0, 3.0, 0.001, ""));
        e.add(entry("Bench4Alternatives.nettyPooled4k", "", 30.0, 3.0, 0.001, ""));
        return "[" + String.join(",\n", e) + "]";
    }

    private static final Map<String, Object> MACHINE = Map.of("description", "test machine", "cores", 2,
            "mode", "quick", "load", Map.of("start_1m", 0.5, "end_1m", 0.7, "max_1m", 1.0));

    private static Report report(boolean withDmabuf) {
        return new Report(JmhResults.parse(sampleJson(withDmabuf)), MACHINE, DemoRuns.NONE);
    }

    @Test
    void shouldTakeDemoFiguresOnlyFromVerifiedRuns() {
        DemoRuns demo = new DemoRuns(Map.of(
                "dmabuf-zerocopy", Map.of("verified", true, "gbps", 14.0),
                "dmabuf-copy", Map.of("verified", true, "gbps", 8.0),
                "user-ring-zerocopy", Map.of("verified", false, "gbps", 0.025, "pattern_errors", 1306782.0,
                        "consumer_died", false)));
        Report r = new Report(JmhResults.parse(sampleJson(false)), MACHINE, demo);
        Map<String, Object> s = r.summary();
        assertEquals(14.0, s.get("demo_zerocopy_gbps"));
        assertEquals(8.0, s.get("demo_copy_gbps"));
        assertNull(s.get("demo_user_ring_zerocopy_gbps"));
        Map<?, ?> pending = (Map<?, ?>) s.get("pending");
        assertEquals("the run (--provider user-ring --mode zerocopy) failed verification: "
                + "pattern_errors=1306782, consumer_died=false; it reported 0.025 Gbit/s",
                pending.get("demo_user_ring_zerocopy_gbps"));
        Report.Target dmabuf = r.targets().stream().filter(t -> t.name().equals("zero-copy / copy, io_uring driver "
                + "(dmabuf)")).findFirst().orElseThrow();
        assertEquals(1.75, dmabuf.measured(), 1e-9);
        assertEquals(Boolean.TRUE, dmabuf.met());
    }

    @Test
    void shouldGradeTheReceiveTargetsAndWriteTheReceiveTableFromRecvJson() {
        Map<String, Object> recv = new java.util.LinkedHashMap<>();
        recv.put("recv_nio_gbps", 20.0);
        recv.put("recv_nio_cpu_s_per_gb", 0.4);
        recv.put("recv_nio_sha256_gbps", 6.0);
        recv.put("recv_nio_sha256_cpu_s_per_gb", 1.5);
        recv.put("recv_nio_pipe_gbps", 10.0);
        recv.put("recv_nio_pipe_cpu_s_per_gb", 2.0);
        recv.put("recv_netty_uring_gbps", 18.0);
        recv.put("recv_uring_host_gbps", 9.0);
        recv.put("recv_uring_dmabuf_zerocopy_gbps", 17.0);
        recv.put("recv_uring_dmabuf_zerocopy_cpu_s_per_gb", 1.0);
        recv.put("recv_uring_dmabuf_copy_gbps", 5.0);
        recv.put("recv_uring_user_ring_zerocopy_gbps", 19.0);
        recv.put("recv_uring_user_ring_copy_gbps", 9.5);
        recv.put("recv_uring_dmabuf_zerocopy_cpu_s_per_gb_napi", 0.31);
        recv.put("recv_uring_dmabuf_zerocopy_cpu_s_per_gb_application", 0.12);
        recv.put("recv_uring_dmabuf_zerocopy_cpu_s_per_gb_sender", 0.2);
        recv.put("recv_uring_dmabuf_zerocopy_cpu_s_per_gb_consumer", 0.25);
        recv.put("recv_uring_dmabuf_zerocopy_cpu_s_per_gb_rest", 0.07);
        recv.put("recv_bytes_per_run", 268435456.0);
        recv.put("recv_repetitions", 5.0);
        recv.put("recv_all_verified", true);
        Report r = new Report(JmhResults.parse(sampleJson(false)), MACHINE, DemoRuns.fromRecv(recv), recv);
        Map<String, Report.Target> t = new java.util.HashMap<>();
        r.targets().forEach(x -> t.put(x.name(), x));
        assertEquals(0.85, t.get("dmabuf zero-copy in place / plain NIO (a)").measured(), 1e-9);
        assertEquals(Boolean.TRUE, t.get("dmabuf zero-copy in place / plain NIO (a)").met());
        assertEquals(Boolean.FALSE, t.get("dmabuf zero-copy in place / NIO piped to a JVM (b)").met());
        assertEquals(0.5, t.get("dmabuf zero-copy CPU s/GB / NIO piped's (b)").measured(), 1e-9);
        Report.Target best = t.get("netmem, best provider / Netty io_uring (c) [recv_uring_user_ring_zerocopy_gbps]");
        assertEquals(19.0 / 18.0, best.measured(), 1e-9, t.keySet().toString());
        assertEquals(3.4, t.get("zero-copy / copy, io_uring driver (dmabuf)").measured(), 1e-9);
        assertEquals(2.0, t.get("zero-copy / copy, io_uring driver (user-ring)").measured(), 1e-9);
        Map<String, Object> s = r.summary();
        assertEquals(17.0, s.get("demo_zerocopy_gbps"), "the zero-copy figure comes from the receive benchmark");
        assertEquals(20.0, s.get("recv_nio_gbps"));
        String md = new Markdown(r).readmeSection("bench/results");
        assertTrue(md.contains("Medians of 5 alternating repetitions of a 256 MiB stream per path"), md);
        assertTrue(md.contains("| nio | 20.00 | 0.40 | 6.00 | 1.50 |\n"), md);
        assertTrue(md.contains("| uring_dmabuf_zerocopy | 17.00 | 1.00 | – | – |\n"), md);
        assertTrue(md.contains("| path | NAPI | application | sender | consumer JVM | rest |\n"), md);
        assertTrue(md.contains("| uring_dmabuf_zerocopy | 0.31 | 0.12 | 0.20 | 0.25 | 0.07 |\n"), md);
        assertFalse(md.contains("| uring_dmabuf_zerocopy_cpu_s_per_gb"), "a breakdown key is not a path: " + md);
        assertTrue(md.indexOf("### Receive benchmark") < md.indexOf("### The page pool's paths (JMH)"), md);
        assertFalse(md.contains("The conventional cross-process design"), "no nio_shm figure, no sentence: " + md);
        recv.put("recv_nio_shm_gbps", 12.0);
        String withShm = new Markdown(new Report(JmhResults.parse(sampleJson(false)), MACHINE, DemoRuns.fromRecv(recv),
                recv)).readmeSection("bench/results");
        assertTrue(withShm.contains("The conventional cross-process design, `nio_shm`, ran at 0.60x `nio` and 1.20x"
                + " `nio_pipe`; against it `uring_dmabuf_zerocopy` ran at 1.42x, `uring_user_ring_zerocopy` ran at 1.58x.\n"),
                withShm);
    }

    /**
     * The 64 KiB dma-buf path ({@code --rx-buf-len 64k}, bind-rx's rx-buf-size) is a path of its own: listed
     * where RecvBench put it, named when it is the best provider, never taken for the 4 KiB dmabuf figures.
     */
    @Test
    void shouldKeepTheSixtyFourKibDmabufPathApartFromTheDmabufFigures() {
        Map<String, Object> recv = new java.util.LinkedHashMap<>();
        recv.put("recv_nio_gbps", 20.0);
        recv.put("recv_nio_pipe_gbps", 10.0);
        recv.put("recv_nio_pipe_cpu_s_per_gb", 2.0);
        recv.put("recv_netty_uring_gbps", 18.0);
        recv.put("recv_uring_dmabuf_zerocopy_gbps", 17.0);
        recv.put("recv_uring_dmabuf_zerocopy_cpu_s_per_gb", 1.0);
        recv.put("recv_uring_dmabuf_zerocopy_64k_gbps", 24.0);
        recv.put("recv_uring_dmabuf_zerocopy_64k_cpu_s_per_gb", 0.6);
        recv.put("recv_uring_dmabuf_copy_gbps", 5.0);
        recv.put("recv_uring_user_ring_zerocopy_64k_gbps", 22.0);
        recv.put("recv_bytes_per_run", 268435456.0);
        recv.put("recv_repetitions", 5.0);
        recv.put("recv_all_verified", true);
        Report r = new Report(JmhResults.parse(sampleJson(false)), MACHINE, DemoRuns.fromRecv(recv), recv);
        Map<String, Report.Target> t = new java.util.HashMap<>();
        r.targets().forEach(x -> t.put(x.name(), x));
        Report.Target best = t.get("netmem, best provider / Netty io_uring (c) [recv_uring_dmabuf_zerocopy_64k_gbps]");
        assertEquals(24.0 / 18.0, best.measured(), 1e-9, t.keySet().toString());
        assertEquals(17.0 / 20.0, t.get("dmabuf zero-copy in place / plain NIO (a)").measured(), 1e-9);
        assertEquals(24.0 / 20.0, t.get("dmabuf zero-copy in place / plain NIO (a) [recv_uring_dmabuf_zerocopy_64k_gbps]")
                .measured(), 1e-9, "the 64 KiB path graded against the same targets, named");
        assertEquals(24.0 / 10.0, t.get("dmabuf zero-copy in place / NIO piped to a JVM (b) [recv_uring_dmabuf_zerocopy_64k_gbps]")
                .measured(), 1e-9);
        assertEquals(0.6 / 2.0, t.get("dmabuf zero-copy CPU s/GB / NIO piped's (b) [recv_uring_dmabuf_zerocopy_64k_cpu_s_per_gb]")
                .measured(), 1e-9);
        assertEquals(17.0, r.summary().get("demo_zerocopy_gbps"), "the 4 KiB path's figure");
        String md = new Markdown(r).readmeSection("bench/results");
        assertTrue(md.indexOf("| uring_dmabuf_zerocopy | 17.00 |") < md.indexOf("| uring_dmabuf_zerocopy_64k | 24.00 |")
                && md.indexOf("| uring_dmabuf_zerocopy_64k | 24.00 |") < md.indexOf("| uring_dmabuf_copy | 5.00 |"), md);
    }

    @Test
    void shouldSayWhyAReceiveTargetIsNotGradedWithoutTheReceiveBenchmark() {
        Report.Target a = report(false).targets().stream()
                .filter(x -> x.name().equals("dmabuf zero-copy in place / plain NIO (a)")).findFirst().orElseThrow();
        assertNull(a.met());
        assertEquals("no receive benchmark figures (recv_uring_dmabuf_zerocopy_gbps, recv_nio_gbps): run ./netmem "
                + "bench without --no-recv", a.pending());
    }

    @Test
    void shouldWriteEveryRequiredKeyWithNullAndAReasonWhenNotMeasured() {
        Map<String, Object> s = report(false).summary();
        assertEquals(Report.REQUIRED_KEYS, List.copyOf(s.keySet()).subList(0, Report.REQUIRED_KEYS.size()));
        assertEquals(5.0, s.get("baseline_atomic_ns"));
        assertEquals(4.0, s.get("fast_path_host_ns"));
        assertEquals(20.0, s.get("ring_path_host_ns"));
        assertEquals(40.0, s.get("slow_path_host_ns"));
        assertEquals(30.0, s.get("netty_pooled_4k_ns"));
        assertEquals(0.001, s.get("alloc_bytes_per_op_fast_path"));
        assertEquals(21.0, s.get("cross_thread_host_ns"), "a group reports its NAPI member's score");
        assertNull(s.get("fast_path_dmabuf_ns"));
        assertNull(s.get("rx_path_mpps_host"));
        Map<?, ?> pending = (Map<?, ?>) s.get("pending");
        assertEquals(List.of("fast_path_dmabuf_ns", "fast_path_user_ring_ns", "rx_path_mpps_host",
                "demo_zerocopy_gbps", "demo_copy_gbps", "demo_user_ring_zerocopy_gbps", "demo_user_ring_copy_gbps"),
                List.copyOf(pending.keySet()));
        assertNotNull(s.get("machine"));
    }

    @Test
    void shouldFillAProviderKeyWhenTheRunHasThatProvider() {
        Report r = new Report(JmhResults.parse(sampleJson(true)), MACHINE, DemoRuns.NONE);
        assertEquals(4.2, r.summary().get("fast_path_dmabuf_ns"));
        assertEquals(2.5, r.summary().get("rx_path_mpps_host"), "1000 / 400 ns per packet");
        Report.Target dmabuf = r.targets().stream().filter(t -> t.name().startsWith("fast path (dmabuf)"))
                .findFirst().orElseThrow();
        assertEquals(1.05, dmabuf.measured(), 1e-9);
        assertEquals(Boolean.TRUE, dmabuf.met());
    }

    @Test
    void shouldEvaluateTheTargetsFromTheRatios() {
        List<Report.Target> t = report(false).targets();
        assertEquals(2.0, t.get(0).measured(), 1e-9);
        assertEquals(Boolean.FALSE, t.get(0).met(), "fast 4.0 / spsc 2.0 = 2.0 > 1.5");
        assertEquals(4.0, t.get(1).measured(), 1e-9);
        assertEquals(Boolean.FALSE, t.get(1).met(), "ring 20 / mpsc 5 = 4 > 3");
        assertEquals(7.5, t.get(2).measured(), 1e-9);
        assertEquals(Boolean.FALSE, t.get(2).met(), "netty pooled 30 / fast 4 = 7.5 < 10");
        assertEquals(15.0, t.get(3).measured(), 1e-9);
        assertEquals(Boolean.TRUE, t.get(3).met());
        assertNull(t.get(4).measured(), "the JDK 25 default Netty rows are not in the sample");
        assertEquals(Boolean.TRUE, t.get(6).met(), "0.001 B/op is no allocation");
        assertEquals(Boolean.FALSE, t.get(7).met(), "1.5 B/op is allocation");
        assertNull(t.get(8).met());
        assertNotNull(t.get(8).pending());
    }

    @Test
    void shouldPutBaselinesFirstAndShowRatiosInTheTable() {
        Report r = report(false);
        assertEquals("baseline_empty_loop", r.rows().get(0).key());
        assertEquals("baseline_atomic", r.rows().get(1).key());
        String md = new Markdown(r).table();
        assertTrue(md.contains("| fast path (host) | alloc + recycleDirect in NAPI context, stats on | 4.00 | 0.10 | ≈0 | 0.80x | 0.40x |"),
                md);
        assertTrue(md.contains("| ring path (host) / JCTools MPSC | 4.00x | <= 3.00x | **no** |"), md);
        assertTrue(md.contains("| empty loop | JMH's invocation loop, nothing in it | 0.30 | n/a |"), md);
        String section = new Markdown(r).readmeSection("bench/results");
        assertTrue(section.startsWith("## Performance\n"));
        assertTrue(section.contains("![netmem vs alternatives](bench/results/latest.png)"));
        assertTrue(section.contains("| Page pool path, ns/op | host | B/op (host) | × atomic inc (host) |"), section);
        assertTrue(section.contains("| fast path | 4.00 | ≈0 | 0.80x |"), section);
        assertTrue(section.contains("| slow path | 40.0 | ≈0 | 8.00x |"), section);
        assertTrue(section.contains("| Netty pooled 4 KiB | 30.0 | ≈0 | 7.50x |"), section);
    }

    @Test
    void shouldWriteAllFilesAndADecodablePng(@TempDir Path dir) throws Exception {
        report(false).writeAll(dir, "bench/results");
        for (String f : List.of("summary.json", "latest.md", "latest.png", "performance-section.md")) {
            assertTrue(Files.size(dir.resolve(f)) > 0, f);
        }
        BufferedImage png = ImageIO.read(dir.resolve("latest.png").toFile());
        assertEquals(1100, png.getWidth());
        assertTrue(png.getHeight() > 400);
        Object back = Json.parse(Files.readString(dir.resolve("summary.json")));
        assertEquals(4.0, ((Map<?, ?>) back).get("fast_path_host_ns"));
    }

    @Test
    void shouldNameOnlyBenchmarksThatExist() throws ClassNotFoundException {
        for (Report.Spec s : Report.SPECS) {
            String[] cm = s.bench().split("\\.");
            Class<?> c = Class.forName("dev.netmem.bench." + cm[0]);
            boolean found = false;
            for (Method m : c.getMethods()) {
                Group g = m.getAnnotation(Group.class);
                boolean named = m.getName().equals(cm[1]) || g != null && g.value().equals(cm[1]);
                if (named && m.isAnnotationPresent(Benchmark.class)) {
                    found = true;
                    if (s.member() != null) {
                        assertTrue(Arrays.stream(c.getMethods()).anyMatch(x -> x.getName().equals(s.member())
                                && x.getAnnotation(Group.class) != null), s.member());
                    }
                }
            }
            assertTrue(found, s.bench());
        }
    }
}
