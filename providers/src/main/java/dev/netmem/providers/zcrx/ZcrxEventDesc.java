package dev.netmem.providers.zcrx;

/**
 * Models {@code struct zcrx_event_desc} (the {@code event_desc} of {@code io_uring_zcrx_ifq_reg},
 * 2026 uapi): which one-shot events the ifq posts to its ring, with what {@code user_data}, and
 * whether it keeps {@code struct zcrx_stats} in the region.
 *
 * <p>An event fires at most once until re-armed with {@link ZcrxIfq#armEvent}
 * ({@code ZCRX_CTRL_ARM_EVENT}): a CQE with this {@code user_data}, {@code res} = the event type and
 * no flags, so a buffer drought does not flood the completion ring.
 *
 * @param userData {@code user_data} of the event CQEs
 * @param typeMask {@code 1 << type} for each wanted type ({@link ZcrxIfq#ZCRX_EVENT_ALLOC_FAIL},
 *                 {@link ZcrxIfq#ZCRX_EVENT_COPY})
 * @param flags    {@link ZcrxIfq#ZCRX_EVENT_DESC_FLAG_STATS} or 0
 */
public record ZcrxEventDesc(long userData, int typeMask, int flags) {
    /**
     * Validates as {@code io_register_zcrx} does.
     *
     * @throws IllegalArgumentException for an unknown event type or flag ({@code -EINVAL})
     */
    public ZcrxEventDesc {
        if ((typeMask & ~ZcrxIfq.ZCRX_EVENT_TYPE_MASK) != 0) {
            throw new IllegalArgumentException("EINVAL: unknown zcrx event types in mask 0x"
                    + Integer.toHexString(typeMask));
        }
        if ((flags & ~ZcrxIfq.ZCRX_EVENT_DESC_FLAG_STATS) != 0) {
            throw new IllegalArgumentException("EINVAL: unknown zcrx event desc flags 0x" + Integer.toHexString(flags));
        }
    }

    /** Whether the region keeps {@code zcrx_stats}. */
    public boolean stats() {
        return (flags & ZcrxIfq.ZCRX_EVENT_DESC_FLAG_STATS) != 0;
    }
}
