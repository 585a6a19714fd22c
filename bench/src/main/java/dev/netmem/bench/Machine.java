package dev.netmem.bench;

import io.netty.util.internal.PlatformDependent;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The machine a run measured on and how loaded it was: CPU, cores, memory, OS, JVM, Netty's view of
 * the platform, and the 1-minute load average sampled every {@value #SAMPLE_SECONDS} s from start to
 * end (on a shared machine the load says how much other work competed for the cores).
 */
final class Machine implements AutoCloseable {
    static final int SAMPLE_SECONDS = 10;

    private final String mode;
    private final Instant start = Instant.now();
    private final double startLoad = load1m();
    private final ScheduledExecutorService sampler = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "load-sampler");
        t.setDaemon(true);
        return t;
    });
    private double maxLoad = startLoad;
    private double sumLoad = startLoad;
    private int samples = 1;

    private Machine(String mode) {
        this.mode = mode;
        sampler.scheduleAtFixedRate(this::sample, SAMPLE_SECONDS, SAMPLE_SECONDS, TimeUnit.SECONDS);
    }

    /** Starts sampling the load for a run in {@code mode} ({@code quick} or {@code full}). */
    static Machine startRun(String mode) {
        return new Machine(mode);
    }

    private synchronized void sample() {
        double l = load1m();
        maxLoad = Math.max(maxLoad, l);
        sumLoad += l;
        samples++;
    }

    /** Stops sampling. */
    @Override
    public void close() {
        sampler.shutdownNow();
    }

    /** The description, as {@code summary.json}'s {@code machine}. */
    synchronized Map<String, Object> describe() {
        Instant end = Instant.now();
        double endLoad = load1m();
        int cores = Runtime.getRuntime().availableProcessors();
        String cpu = cpuModel();
        long memGib = Math.round(memTotalKib() / 1024.0 / 1024.0);
        String os = System.getProperty("os.name") + " " + System.getProperty("os.version") + " "
                + System.getProperty("os.arch");
        String jvm = System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version")
                + " (" + System.getProperty("java.vendor") + ")";
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("description", String.format(Locale.ROOT,
                "%s, %d cores (nproc), %d GiB, %s, %s; load average 1m %.2f at start, %.2f at end, max %.2f",
                cpu, cores, memGib, os, jvm, startLoad, endLoad, maxLoad));
        m.put("cpu", cpu);
        m.put("cores", cores);
        m.put("memory_gib", memGib);
        m.put("os", os);
        m.put("jvm", jvm);
        m.put("mode", mode);
        m.put("started_utc", start.truncatedTo(ChronoUnit.SECONDS).toString());
        m.put("finished_utc", end.truncatedTo(ChronoUnit.SECONDS).toString());
        m.put("duration_s", Duration.between(start, end).toSeconds());
        Map<String, Object> load = new LinkedHashMap<>();
        load.put("start_1m", round2(startLoad));
        load.put("end_1m", round2(endLoad));
        load.put("max_1m", round2(Math.max(maxLoad, endLoad)));
        load.put("mean_1m", round2(sumLoad / samples));
        load.put("samples", samples);
        m.put("load", load);
        Map<String, Object> netty = new LinkedHashMap<>();
        netty.put("version", io.netty.buffer.PooledByteBufAllocator.class.getPackage().getImplementationVersion());
        netty.put("has_unsafe_without_flag", PlatformDependent.hasUnsafe());
        netty.put("config", "leak detection off; thread caches on for every thread (event-loop-like); headline "
                + "rows run with " + BenchMain.UNSAFE_ALLOWED + ", the 'JDK 25 default' rows without it");
        m.put("netty", netty);
        m.put("chart_caption", String.format(Locale.ROOT, "%s run, %s; %s, %d cores; %s; load average 1m %.2f at start, %.2f at end",
                mode, start.truncatedTo(ChronoUnit.MINUTES), cpu, cores,
                System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version"), startLoad,
                endLoad));
        return m;
    }

    private static double round2(double v) {
        return Math.round(v * 100.0) / 100.0;
    }

    /** The 1-minute load average, or NaN where /proc is not there. */
    static double load1m() {
        try {
            return Double.parseDouble(Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+")[0]);
        } catch (IOException | RuntimeException e) {
            return Double.NaN;
        }
    }

    private static String cpuModel() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) {
                    return line.substring(line.indexOf(':') + 1).trim();
                }
            }
        } catch (IOException e) {
            // not Linux: fall through
        }
        return System.getProperty("os.arch");
    }

    private static long memTotalKib() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
                if (line.startsWith("MemTotal:")) {
                    return Long.parseLong(line.replaceAll("\\D", ""));
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux: fall through
        }
        return 0;
    }
}
