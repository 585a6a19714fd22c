package dev.netmem.rxqueue.netdev;

import dev.netmem.api.PagePoolStats;
import java.util.OptionalInt;

/**
 * The reply of {@code page-pool-stats-get}: the pool ({@code info}) and its eleven counters.
 *
 * @param id      pool id
 * @param ifindex the device, absent once orphaned
 * @param stats   the counters
 */
public record PagePoolStatsInfo(int id, OptionalInt ifindex, PagePoolStats stats) {
}
