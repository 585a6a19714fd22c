package dev.netmem.soak;

import java.util.ArrayList;
import java.util.List;

/** Invariant violations found during a soak, with details; the first ones are kept verbatim. Any thread. */
final class Violations {
    private static final int KEEP = 50;
    private final List<String> kept = new ArrayList<>();
    private long count;

    synchronized void add(String detail) {
        count++;
        if (kept.size() < KEEP) {
            kept.add(detail);
        }
    }

    synchronized long count() {
        return count;
    }

    synchronized List<String> details() {
        return List.copyOf(kept);
    }
}
