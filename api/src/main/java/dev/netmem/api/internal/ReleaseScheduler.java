package dev.netmem.api.internal;

import java.time.Duration;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * The one daemon thread that runs deferred pool releases ({@code release_dw} work items): a
 * destroyed pool with buffers in flight re-checks itself here every {@code releaseRetry}.
 */
public final class ReleaseScheduler {
    private static final ScheduledThreadPoolExecutor EXECUTOR;

    static {
        EXECUTOR = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "netmem-pp-release");
            t.setDaemon(true);
            return t;
        });
        EXECUTOR.setRemoveOnCancelPolicy(true);
    }

    private ReleaseScheduler() {
    }

    /** Runs {@code task} every {@code period}, first after one period. */
    public static ScheduledFuture<?> every(Duration period, Runnable task) {
        long ns = period.toNanos();
        return EXECUTOR.scheduleWithFixedDelay(task, ns, ns, TimeUnit.NANOSECONDS);
    }
}
