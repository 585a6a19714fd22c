package dev.netmem.providers;

import java.util.ArrayList;
import java.util.List;

/**
 * Seeds and the one-line summary of a hostile-input suite. Seeds: 1, 42 and two fresh ones per run;
 * {@code -Dnetmem.seed=N} reruns one. Each case is rejected (a precise exception), counted (a
 * statistic the suite predicted) or accepted (legal input).
 */
public final class HostileTally {
    public final String suite;
    public final long seed;
    public int cases;
    public int rejected;
    public int counted;
    public int accepted;

    public HostileTally(String suite, long seed) {
        this.suite = suite;
        this.seed = seed;
    }

    public static List<Long> seeds() {
        String fixed = System.getProperty("netmem.seed");
        if (fixed != null) {
            return List.of(Long.parseLong(fixed));
        }
        long base = System.nanoTime();
        List<Long> s = new ArrayList<>(List.of(1L, 42L));
        for (int i = 0; i < 2; i++) {
            s.add(base + i * 0x9E3779B97F4A7C15L);
        }
        return s;
    }

    public void rejected() {
        cases++;
        rejected++;
    }

    public void counted() {
        cases++;
        counted++;
    }

    public void accepted() {
        cases++;
        accepted++;
    }

    /** Prints the summary line the closing note quotes. */
    public void print() {
        System.out.println("hostile-input " + suite + ": seed=" + seed + " cases=" + cases + " rejected=" + rejected
                + " counted=" + counted + " accepted=" + accepted);
    }
}
