package dev.netmem.bench.report;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The demo's JSON summaries ({@code ./netmem demo --json}, its last line of output), one file per
 * provider and mode, {@code <provider>-<mode>.json} (for example {@code dmabuf-zerocopy.json}), as
 * {@code scripts/bench.sh} saves them. A run counts only if the demo verified what it received.
 *
 * @param runs the parsed summaries by {@code <provider>-<mode>}
 */
public record DemoRuns(Map<String, Map<?, ?>> runs) {
    /** No demo runs. */
    public static final DemoRuns NONE = new DemoRuns(Map.of());

    /**
     * The zero-copy and copy figures of the receive benchmark ({@code recv_uring_<provider>_<mode>_gbps},
     * medians of its alternating runs on the io_uring driver), as runs of {@code dmabuf} and
     * {@code user-ring} in each mode; verified when the benchmark verified every run.
     */
    public static DemoRuns fromRecv(Map<String, Object> recv) {
        Map<String, Map<?, ?>> runs = new LinkedHashMap<>();
        boolean verified = Boolean.TRUE.equals(recv.get("recv_all_verified"));
        for (String provider : java.util.List.of("dmabuf", "user-ring")) {
            for (String mode : java.util.List.of("zerocopy", "copy")) {
                Object g = recv.get("recv_uring_" + provider.replace('-', '_') + "_" + mode + "_gbps");
                if (g instanceof Number n) {
                    Map<String, Object> r = new LinkedHashMap<>();
                    r.put("verified", verified);
                    r.put("gbps", n.doubleValue());
                    r.put("pattern_errors", verified ? 0.0 : -1.0);
                    r.put("consumer_died", false);
                    runs.put(provider + "-" + mode, r);
                }
            }
        }
        return new DemoRuns(Map.copyOf(runs));
    }

    /** Reads every {@code *.json} in {@code dir}; none if the folder does not exist. */
    public static DemoRuns read(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return NONE;
        }
        Map<String, Map<?, ?>> runs = new LinkedHashMap<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "*.json")) {
            for (Path f : files) {
                String name = f.getFileName().toString();
                String text = Files.readString(f).strip();
                if (!text.isEmpty() && Json.parse(text) instanceof Map<?, ?> m) {
                    runs.put(name.substring(0, name.length() - ".json".length()), m);
                }
            }
        }
        return new DemoRuns(Map.copyOf(runs));
    }

    /** Gbit/s of a verified run of {@code provider} in {@code mode}. */
    public Optional<Double> gbps(String provider, String mode) {
        Map<?, ?> r = runs.get(provider + "-" + mode);
        return r != null && Boolean.TRUE.equals(r.get("verified")) && r.get("gbps") instanceof Double g
                ? Optional.of(g) : Optional.empty();
    }

    /** Why there is no figure for {@code provider} in {@code mode}. */
    public String whyNot(String provider, String mode) {
        Map<?, ?> r = runs.get(provider + "-" + mode);
        if (r == null) {
            return "no receive benchmark figure for --provider " + provider + " --mode " + mode
                    + " (./netmem bench --no-recv, or recv.json is missing)";
        }
        return "the run (--provider " + provider + " --mode " + mode + ") failed verification: pattern_errors="
                + plain(r.get("pattern_errors")) + ", consumer_died=" + r.get("consumer_died") + "; it reported "
                + r.get("gbps") + " Gbit/s";
    }

    private static String plain(Object o) {
        return o instanceof Double d && d == Math.rint(d) ? String.valueOf(d.longValue()) : String.valueOf(o);
    }
}
