package dev.netmem.api.internal;

import java.time.Duration;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * The one daemon thread that runs deferred pool releases ({@code release_dw} work items): a
 * destroyed pool with buffers in flight re-checks itself here, re-arming after every pass that
 * leaves buffers in flight.
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

    /** Runs {@code task} once after {@code delay} ({@code schedule_delayed_work}); the task re-arms itself. */
    public static ScheduledFuture<?> after(Duration delay, Runnable task) {
        return EXECUTOR.schedule(task, delay.toNanos(), TimeUnit.NANOSECONDS);
    }
}
