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
            return "no JSON summary from a demo run of --provider " + provider + " --mode " + mode
                    + " (skipped with --no-demo, or stopped by ./netmem bench's timeout before it finished)";
        }
        return "the demo run (--provider " + provider + " --mode " + mode + ") failed verification: pattern_errors="
                + plain(r.get("pattern_errors")) + ", consumer_died=" + r.get("consumer_died") + "; it reported "
                + r.get("gbps") + " Gbit/s";
    }

    private static String plain(Object o) {
        return o instanceof Double d && d == Math.rint(d) ? String.valueOf(d.longValue()) : String.valueOf(o);
    }
}
