package dev.netmem.demo;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Where the receiver JVM's CPU time went while the demo's clock ran, by the job of each thread: the
 * NIC's NAPI threads (a queue's poll thread carries its NAPI's name), the application thread that
 * receives and hands data to the consumer, the built-in sender, and the rest (JIT, GC and any other
 * thread, such as the emulated NIC's wire: the process total from {@code /proc} less the three). It
 * is the first cut of a profile: which thread a slow path spends its machine on. Thread CPU time
 * comes from {@link ThreadMXBean}; a thread that ends before {@link #since} is counted by its job
 * only if it called {@link #ending()} (the sender does), else in the rest.
 *
 * <p>Thread safety: {@link #ending()} from any thread; the rest by the thread that runs the demo.
 */
final class ThreadCpu {
    /** CPU seconds by job; {@code rest} is the process total less the three named ones. */
    record Breakdown(double napi, double application, double sender, double rest) {
    }

    private final ThreadMXBean mx = ManagementFactory.getThreadMXBean();
    private final Set<String> napiNames;
    private final long applicationId;
    private final Map<Long, Long> atStart = new HashMap<>();
    private final long processAtStart;
    /** Threads that ended: id to their name and final CPU time. */
    private final Map<Long, Map.Entry<String, Long>> ended = new ConcurrentHashMap<>();

    private ThreadCpu(Set<String> napiNames, long applicationId, long processNow) {
        this.napiNames = Set.copyOf(napiNames);
        this.applicationId = applicationId;
        for (long id : mx.getAllThreadIds()) {
            long ns = mx.getThreadCpuTime(id);
            if (ns > 0) {
                atStart.put(id, ns);
            }
        }
        this.processAtStart = processNow;
    }

    /**
     * Starts counting now; the calling thread is the application thread.
     *
     * @param napiNames  the names of the NIC's NAPI instances, which their poll threads carry
     * @param processNow this process's CPU time now ({@link Demo#cpuNanos()})
     * @return the counter, or {@code null} where this JVM cannot measure thread CPU time
     */
    static ThreadCpu start(Set<String> napiNames, long processNow) {
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        if (!mx.isThreadCpuTimeSupported() || !mx.isThreadCpuTimeEnabled()) {
            return null;
        }
        return new ThreadCpu(napiNames, Thread.currentThread().threadId(), processNow);
    }

    /** Called by a thread about to end: its CPU time is kept for {@link #since}. */
    void ending() {
        Thread me = Thread.currentThread();
        ended.put(me.threadId(), Map.entry(me.getName(), mx.getCurrentThreadCpuTime()));
    }

    /**
     * The CPU seconds each job took from {@link #start} until now.
     *
     * @param processNow this process's CPU time now ({@link Demo#cpuNanos()}), the total the rest is taken from
     */
    Breakdown since(long processNow) {
        Map<Long, Map.Entry<String, Long>> now = new HashMap<>(ended);
        for (ThreadInfo t : mx.getThreadInfo(mx.getAllThreadIds())) {
            long ns = t == null ? -1 : mx.getThreadCpuTime(t.getThreadId());
            if (ns > 0) { // else it ended meanwhile, or never ran
                now.put(t.getThreadId(), Map.entry(t.getThreadName(), ns));
            }
        }
        long napi = 0;
        long app = 0;
        long sender = 0;
        for (var e : now.entrySet()) {
            long d = e.getValue().getValue() - atStart.getOrDefault(e.getKey(), 0L);
            String name = e.getValue().getKey();
            if (e.getKey() == applicationId) {
                app += d;
            } else if (name.equals(Demo.SENDER_THREAD)) {
                sender += d;
            } else if (napiNames.contains(name)) {
                napi += d;
            }
        }
        long process = processNow - processAtStart;
        return new Breakdown(napi / 1e9, app / 1e9, sender / 1e9, (process - napi - app - sender) / 1e9);
    }
}
