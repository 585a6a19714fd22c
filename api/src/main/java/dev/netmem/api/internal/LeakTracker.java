package dev.netmem.api.internal;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;

/**
 * Optional leak tracking for a pool, chosen at construction: {@link #NONE} does nothing (and inlines
 * to nothing); {@link #recording()} remembers where each buffer now out of the pool was allocated,
 * so a stalled shutdown can say which code still holds buffers.
 *
 * <p>Recording costs a stack walk per allocation: a debugging mode, not for production rates.
 */
public sealed interface LeakTracker permits LeakTracker.None, LeakTracker.Recording {
    /** The do-nothing tracker. */
    LeakTracker NONE = new None();

    /** A new recording tracker. */
    static LeakTracker recording() {
        return new Recording();
    }

    /** A buffer left the pool's hands (alloc); allocation context. */
    void allocated(Object netmem);

    /** A buffer came home (its last put, or release); any thread. */
    void returned(Object netmem);

    /** Outstanding buffers by allocation site, most first; empty when not recording. */
    Map<String, Long> outstandingBySite();

    /** Does nothing. */
    final class None implements LeakTracker {
        private None() {
        }

        @Override
        public void allocated(Object netmem) {
        }

        @Override
        public void returned(Object netmem) {
        }

        @Override
        public Map<String, Long> outstandingBySite() {
            return Map.of();
        }
    }

    /** Records the first caller outside the pool itself for every outstanding buffer. */
    final class Recording implements LeakTracker {
        private static final StackWalker WALKER = StackWalker.getInstance();
        private final ConcurrentHashMap<Object, String> sites = new ConcurrentHashMap<>();

        private Recording() {
        }

        @Override
        public void allocated(Object netmem) {
            sites.put(netmem, WALKER.walk(s -> s
                    .filter(f -> !isPoolFrame(f.getClassName()))
                    .findFirst()
                    .map(f -> f.getClassName() + "." + f.getMethodName() + "(" + f.getFileName() + ":"
                            + f.getLineNumber() + ")")
                    .orElse("unknown")));
        }

        private static boolean isPoolFrame(String cn) {
            return cn.equals("dev.netmem.api.PagePool") || cn.startsWith("dev.netmem.api.PagePool$")
                    || cn.startsWith("dev.netmem.api.internal.");
        }

        @Override
        public void returned(Object netmem) {
            sites.remove(netmem);
        }

        @Override
        public Map<String, Long> outstandingBySite() {
            return sites.values().stream()
                    .collect(Collectors.groupingBy(s -> s, Collectors.counting()))
                    .entrySet().stream()
                    .sorted(Map.Entry.<String, Long>comparingByValue().reversed())
                    .collect(Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue, (a, b) -> a,
                            java.util.LinkedHashMap::new));
        }
    }
}
