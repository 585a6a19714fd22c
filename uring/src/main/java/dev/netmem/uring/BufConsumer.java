package dev.netmem.uring;

/**
 * Receives the buffers one CQE filled, from {@link BufRing#consume}, as primitives.
 */
@FunctionalInterface
public interface BufConsumer {
    /**
     * One filled part of a buffer.
     *
     * @param bid      the buffer id given to {@link BufRing#add}
     * @param offset   where the data starts inside the buffer (non-zero only with {@code IOU_PBUF_RING_INC})
     * @param length   bytes of data
     * @param finished the kernel is done with the buffer: the application owns it again and may
     *                 re-post it; {@code false} only for a partly used incremental buffer
     */
    void onBuffer(int bid, int offset, int length, boolean finished);
}
