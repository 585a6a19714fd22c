package dev.netmem.rxqueue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingStream;

/**
 * A {@link RecordingStream} of some netmem events, with bounded waits for an event to arrive (JFR
 * flushes about once a second; a missing event fails the test instead of hanging it).
 */
final class JfrRecorder implements AutoCloseable {
    private static final long WAIT_SECONDS = 30;

    private final RecordingStream rs = new RecordingStream();
    private final BlockingQueue<RecordedEvent> seen = new LinkedBlockingQueue<>();
    private final List<RecordedEvent> kept = new ArrayList<>();

    private JfrRecorder(String... names) {
        for (String name : names) {
            rs.enable(name); // the event's own defaults (stack trace, throttle)
            rs.onEvent(name, seen::add);
        }
        rs.startAsync();
    }

    /** Starts recording {@code names}. */
    static JfrRecorder record(String... names) {
        return new JfrRecorder(names);
    }

    /** The first event {@code name} that {@code match} accepts; fails if none arrives within the bound. */
    RecordedEvent await(String name, Predicate<RecordedEvent> match) throws InterruptedException {
        Predicate<RecordedEvent> m = e -> e.getEventType().getName().equals(name) && match.test(e);
        for (RecordedEvent e : kept) {
            if (m.test(e)) {
                kept.remove(e);
                return e;
            }
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_SECONDS);
        while (true) {
            long left = deadline - System.nanoTime();
            RecordedEvent e = left <= 0 ? null : seen.poll(left, TimeUnit.NANOSECONDS);
            if (e == null) {
                throw new AssertionError("no matching " + name + " event within " + WAIT_SECONDS + " s; saw "
                        + kept.stream().map(o -> o.getEventType().getName()).toList());
            }
            if (m.test(e)) {
                return e;
            }
            kept.add(e);
        }
    }

    /** Every event received so far (and not returned by {@link #await}) that {@code match} accepts. */
    List<RecordedEvent> received(Predicate<RecordedEvent> match) {
        seen.drainTo(kept);
        return kept.stream().filter(match).toList();
    }

    @Override
    public void close() {
        rs.close();
    }
}
