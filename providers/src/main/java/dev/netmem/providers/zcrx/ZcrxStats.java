package dev.netmem.providers.zcrx;

/**
 * A snapshot of a zcrx ifq's counters. Refill entries are validated before any reference changes;
 * every entry consumed from the refill ring is counted exactly once, as refilled or as one of the
 * rejections.
 *
 * @param completions   CQEs posted (buffers handed to the user)
 * @param cqOverflow    completions refused because the completion ring was full ({@code -ENOSPC})
 * @param refilled      refill entries accepted: a user reference dropped
 * @param badPad        entries rejected for a nonzero {@code __pad}
 * @param badArea       entries rejected for an area id that is not this ifq's
 * @param badIndex      entries rejected for a buffer index out of the area
 * @param noUserRef     entries rejected because the user holds no reference on the buffer (duplicates,
 *                      buffers never handed out, buffers already returned)
 * @param scrubbed      user references dropped by the teardown scrub
 * @param releaseErrors buffers refused by {@code releaseNetmem} (not of this area, or already free)
 * @param copyCount     frags copied by the copy fallback ({@code zcrx_stats.copy_count}; linear data is
 *                      copied too but not counted, as in the kernel)
 * @param copyBytes     bytes of those frags ({@code zcrx_stats.copy_bytes})
 * @param events        event CQEs fired ({@code ZCRX_EVENT_ALLOC_FAIL}, {@code ZCRX_EVENT_COPY}), including
 *                      any the full completion ring dropped
 */
public record ZcrxStats(long completions, long cqOverflow, long refilled, long badPad, long badArea, long badIndex,
                        long noUserRef, long scrubbed, long releaseErrors, long copyCount, long copyBytes,
                        long events) {

    /** All refill entries consumed: accepted plus rejected. */
    public long entriesConsumed() {
        return refilled + badPad + badArea + badIndex + noUserRef;
    }
}
