package dev.netmem.testsupport.base;

import java.util.ArrayList;
import java.util.List;

/**
 * Seeds and the one-line summary of a hostile-input suite. Seeds: 1, 42 and two fresh ones per run;
 * {@code -Dnetmem.seed=N} reruns one. Each case is rejected (a precise exception), counted (a
 * statistic the suite predicted) or accepted (legal input).
 *
 * <p>Not thread-safe: one tally per suite run, on the test's thread.
 */
public final class HostileTally {
    private final String suite;
    private final long seed;
    private long cases;
    private long rejected;
    private long counted;
    private long accepted;

    /**
     * @param suite the suite's name in the summary line
     * @param seed  the seed of this run
     */
    public HostileTally(String suite, long seed) {
        this.suite = suite;
        this.seed = seed;
    }

    /** The seeds to run: {@code -Dnetmem.seed=N} alone, else 1, 42 and two fresh ones. */
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

    /** One case rejected with a precise exception. */
    public void rejected() {
        cases++;
        rejected++;
    }

    /** One case counted in a statistic the suite predicted. */
    public void counted() {
        counted(1);
    }

    /** {@code n} cases counted in statistics the suite predicted. */
    public void counted(long n) {
        cases += n;
        counted += n;
    }

    /** One legal case accepted. */
    public void accepted() {
        accepted(1);
    }

    /** {@code n} legal cases accepted. */
    public void accepted(long n) {
        cases += n;
        accepted += n;
    }

    /** Cases so far. */
    public long cases() {
        return cases;
    }

    /** The summary line: {@code hostile-input SUITE: seed=S cases=C rejected=R counted=N accepted=A}. */
    public String summary() {
        return "hostile-input " + suite + ": seed=" + seed + " cases=" + cases + " rejected=" + rejected
                + " counted=" + counted + " accepted=" + accepted;
    }

    /** Prints {@link #summary()} on standard output. */
    public void print() {
        System.out.println(summary());
    }
}
