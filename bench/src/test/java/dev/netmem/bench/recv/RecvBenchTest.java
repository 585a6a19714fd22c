package dev.netmem.bench.recv;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.netmem.bench.report.Json;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** One short receive-benchmark run of one netmem path: its figures and where its CPU went reach recv.json. */
class RecvBenchTest {
    @Test
    @Timeout(180)
    void shouldWriteTheFiguresAndTheCpuByThreadOfANetmemPath(@TempDir Path dir) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int exit;
        try (PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
             PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8)) {
            exit = RecvBench.run(List.of("--reps", "5", "--bytes", "16m", "--results", dir.toString(), "--only",
                    "uring_dmabuf_zerocopy"), o, e);
        }
        String log = out.toString(StandardCharsets.UTF_8) + err.toString(StandardCharsets.UTF_8);
        assertEquals(0, exit, log);
        @SuppressWarnings("unchecked")
        Map<String, Object> recv = (Map<String, Object>) Json.parse(Files.readString(dir.resolve("recv.json")));
        assertEquals(Boolean.TRUE, recv.get("recv_all_verified"), log);
        assertTrue(((Number) recv.get("recv_uring_dmabuf_zerocopy_gbps")).doubleValue() > 0, log);
        double total = ((Number) recv.get("recv_uring_dmabuf_zerocopy_cpu_s_per_gb")).doubleValue();
        double named = 0;
        for (String job : RecvBench.THREADS) {
            Object v = recv.get("recv_uring_dmabuf_zerocopy_cpu_s_per_gb_" + job);
            assertTrue(v instanceof Number, job + " missing: " + recv);
            named += job.equals("rest") ? 0 : ((Number) v).doubleValue();
        }
        assertTrue(((Number) recv.get("recv_uring_dmabuf_zerocopy_cpu_s_per_gb_napi")).doubleValue() > 0, log);
        // medians of the parts against the median of the whole: not equal, but a part counted twice would show
        assertTrue(named <= 1.25 * total, named + " of " + total + ": " + recv);
        String md = Files.readString(dir.resolve("recv-section.md"));
        assertTrue(md.contains("| uring_dmabuf_zerocopy | "), md);
        assertTrue(md.contains("cpu s/GB by thread"), md);
    }
}
