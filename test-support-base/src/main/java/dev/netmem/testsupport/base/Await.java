package dev.netmem.testsupport.base;

import java.time.Duration;
import java.util.function.BooleanSupplier;

/**
 * Bounded waits for tests that watch other threads (NAPI, wires, late frees): poll a condition every
 * 5 ms until it holds or the bound passes. The bound is a hang guard, not a timed assertion: it is
 * generous (5 s unless a test says otherwise), and a test never asserts how long a wait took.
 */
public final class Await {
    /** The bound of {@link #await(String, BooleanSupplier)}. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(5);

    private Await() {
    }

    /**
     * Waits until {@code cond} holds.
     *
     * @param what    what is awaited, for the failure message
     * @param timeout the bound
     * @param cond    the condition, polled on the calling thread
     * @throws AssertionError {@code "timed out after PT5S waiting for: what"} when the bound passes, or
     *                        {@code "interrupted waiting for: what"} (with the interrupt status kept)
     */
    public static void await(String what, Duration timeout, BooleanSupplier cond) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!cond.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("timed out after " + timeout + " waiting for: " + what);
            }
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted waiting for: " + what, e);
            }
        }
    }

    /** Waits at most {@link #DEFAULT_TIMEOUT} until {@code cond} holds; see {@link #await(String, Duration, BooleanSupplier)}. */
    public static void await(String what, BooleanSupplier cond) {
        await(what, DEFAULT_TIMEOUT, cond);
    }
}
