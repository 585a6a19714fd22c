package dev.netmem.soak;

import java.util.List;
import java.util.Locale;

/**
 * What a soak did and found. {@link #ok()} only with no violation and no leak.
 *
 * @param seed              the seed
 * @param seconds           traffic time, measured
 * @param failRate          the injected provider allocation failure probability
 * @param packetsSent       packets the NIC took from the wires
 * @param packetsReceived   packets received and verified, all flows
 * @param bytesReceived     payload bytes received and verified
 * @param packetsLost       packets the NIC took that were never received (only the stack's drops may explain any)
 * @param buffersCycled     buffers handed out by all pools (fast + refill + slow + slowHighOrder)
 * @param buffersHeld       buffers that entered a pool from its provider (sum of hold)
 * @param binds             provider bindings made (dmabuf through a fault-injecting wrapper, dmabuf through
 *                          netlink, user ring)
 * @param unbinds           bindings closed while traffic ran
 * @param restarts          explicit queue restarts ({@code restartQueue}), besides those binds and unbinds make
 * @param restartsRefused   binds or restarts refused with ENOMEM (the new memory could not be filled; the old
 *                          memory kept running)
 * @param areasReclaimed    user-ring areas freed while the soak ran, once their ifq was freed with every buffer home
 * @param poolsCreated      pools created
 * @param poolsReleased     pools released
 * @param poolsDetached     pools destroyed with buffers in flight ({@code CHANGE})
 * @param longHolds         unbinds made while the user held the pool's buffers on purpose
 * @param stallWarnings     "stalled pool shutdown" warnings logged for those pools
 * @param stallSample       one such warning, verbatim
 * @param heldReleased      long-held pools seen RELEASED once their buffers came home
 * @param injectedHost      allocation failures injected into the host page provider
 * @param injectedDmabuf    ... into dmabuf bindings
 * @param injectedUserRing  ... into zcrx ifqs
 * @param rxAllocFail       RX refills that found no buffer (all queues)
 * @param rxMissed          packets the NIC refused for lack of a posted buffer (the wire retried them)
 * @param rxDropped         packets the stack dropped (socket over its limit)
 * @param kills             consumer kills: one line each
 * @param killsOk           kills whose checks passed
 * @param checkerSamples    passes of the checker thread over every pool
 * @param violations        invariant violations
 * @param violationDetails  the first ones, verbatim
 * @param leaks             pools not released, buffers or files not home
 */
record SoakReport(long seed, double seconds, double failRate, long packetsSent, long packetsReceived,
                  long bytesReceived, long packetsLost, long buffersCycled, long buffersHeld, long binds, long unbinds,
                  long restarts, long restartsRefused, long areasReclaimed, long poolsCreated, long poolsReleased, long poolsDetached, long longHolds,
                  long stallWarnings, String stallSample, long heldReleased, long injectedHost, long injectedDmabuf,
                  long injectedUserRing, long rxAllocFail, long rxMissed, long rxDropped, List<String> kills,
                  long killsOk, long checkerSamples, long violations, List<String> violationDetails,
                  List<String> leaks) {

    boolean ok() {
        return violations == 0 && leaks.isEmpty();
    }

    long injectedTotal() {
        return injectedHost + injectedDmabuf + injectedUserRing;
    }

    String text() {
        StringBuilder b = new StringBuilder();
        b.append(String.format(Locale.ROOT, "%n== netmem soak report ==%n"));
        b.append(String.format(Locale.ROOT, "seed %d, %.1f s, provider allocation fail rate %s%n", seed, seconds,
                failRate));
        b.append(String.format(Locale.ROOT, "traffic     %,d packets sent, %,d received and verified (%,d bytes), "
                + "%,d lost%n", packetsSent, packetsReceived, bytesReceived, packetsLost));
        b.append(String.format(Locale.ROOT, "buffers     %,d cycled (fast + refill + slow), %,d entered pools from "
                + "providers%n", buffersCycled, buffersHeld));
        b.append(String.format(Locale.ROOT, "chaos       %d binds, %d unbinds, %d queue restarts, %d refused "
                + "(ENOMEM); %d user-ring areas freed on the way%n", binds, unbinds, restarts, restartsRefused,
                areasReclaimed));
        b.append(String.format(Locale.ROOT, "pools       %d created, %d released, %d detached; %d held across an "
                + "unbind: %d stall warnings, %d released when the last buffer came home%n", poolsCreated,
                poolsReleased, poolsDetached, longHolds, stallWarnings, heldReleased));
        if (stallSample != null) {
            b.append("  e.g. ").append(stallSample).append('\n');
        }
        b.append(String.format(Locale.ROOT, "faults      allocation failures injected: host %,d, dmabuf %,d, "
                + "user-ring %,d (total %,d)%n", injectedHost, injectedDmabuf, injectedUserRing, injectedTotal()));
        b.append(String.format(Locale.ROOT, "            -> rxAllocFail %,d, rxMissed %,d (retried by the wire), "
                + "rxDropped %,d%n", rxAllocFail, rxMissed, rxDropped));
        b.append(String.format(Locale.ROOT, "            consumer killed with SIGKILL: %d of %d reclaimed everything%n",
                killsOk, kills.size()));
        for (String k : kills) {
            b.append("              ").append(k).append('\n');
        }
        b.append(String.format(Locale.ROOT, "checker     %,d passes over every pool%n", checkerSamples));
        b.append(String.format(Locale.ROOT, "violations  %d%n", violations));
        for (String v : violationDetails) {
            b.append("  ").append(v).append('\n');
        }
        b.append(String.format(Locale.ROOT, "leaks       %d%n", leaks.size()));
        for (String l : leaks) {
            b.append("  ").append(l).append('\n');
        }
        b.append(ok() ? "-> OK\n" : "-> FAILED\n");
        return b.toString();
    }

    String json() {
        StringBuilder b = new StringBuilder("{");
        b.append("\"seed\":").append(seed);
        b.append(",\"seconds\":").append(String.format(Locale.ROOT, "%.3f", seconds));
        b.append(",\"fail_rate\":").append(failRate);
        b.append(",\"packets_sent\":").append(packetsSent);
        b.append(",\"packets_received\":").append(packetsReceived);
        b.append(",\"bytes_received\":").append(bytesReceived);
        b.append(",\"packets_lost_to_restarts\":").append(packetsLost);
        b.append(",\"buffers_cycled\":").append(buffersCycled);
        b.append(",\"buffers_held\":").append(buffersHeld);
        b.append(",\"binds\":").append(binds).append(",\"unbinds\":").append(unbinds);
        b.append(",\"restarts\":").append(restarts).append(",\"restarts_refused\":").append(restartsRefused);
        b.append(",\"areas_reclaimed\":").append(areasReclaimed);
        b.append(",\"pools_created\":").append(poolsCreated).append(",\"pools_released\":").append(poolsReleased);
        b.append(",\"pools_detached\":").append(poolsDetached);
        b.append(",\"long_holds\":").append(longHolds).append(",\"stall_warnings\":").append(stallWarnings);
        b.append(",\"long_held_released\":").append(heldReleased);
        b.append(",\"faults\":{\"alloc_fail_host\":").append(injectedHost);
        b.append(",\"alloc_fail_dmabuf\":").append(injectedDmabuf);
        b.append(",\"alloc_fail_user_ring\":").append(injectedUserRing);
        b.append(",\"consumer_kills\":").append(kills.size()).append(",\"consumer_kills_ok\":").append(killsOk);
        b.append(",\"long_holds\":").append(longHolds).append('}');
        b.append(",\"rx_alloc_fail\":").append(rxAllocFail).append(",\"rx_missed\":").append(rxMissed);
        b.append(",\"rx_dropped\":").append(rxDropped);
        b.append(",\"checker_samples\":").append(checkerSamples);
        b.append(",\"violations\":").append(violations);
        b.append(",\"violation_details\":").append(strings(violationDetails));
        b.append(",\"leaks\":").append(leaks.size());
        b.append(",\"leak_details\":").append(strings(leaks));
        b.append(",\"ok\":").append(ok());
        return b.append('}').toString();
    }

    private static String strings(List<String> l) {
        StringBuilder b = new StringBuilder("[");
        for (int i = 0; i < l.size(); i++) {
            b.append(i == 0 ? "\"" : ",\"");
            for (char c : l.get(i).toCharArray()) {
                switch (c) {
                    case '"' -> b.append("\\\"");
                    case '\\' -> b.append("\\\\");
                    case '\n' -> b.append("\\n");
                    default -> b.append(c < 0x20 ? ' ' : c);
                }
            }
            b.append('"');
        }
        return b.append(']').toString();
    }
}
