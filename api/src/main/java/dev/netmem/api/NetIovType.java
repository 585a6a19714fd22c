package dev.netmem.api;

/**
 * Models {@code enum net_iov_type}, extended with the host-page case.
 *
 * <p>In the kernel a host page is a {@code struct page}, not a net_iov; netmem models both with
 * one descriptor ({@link NetIov}) and tells them apart by this type, as the kernel tells them apart
 * by bit 0 of a {@code netmem_ref}.
 */
public enum NetIovType {
    /** A host page from the page allocator: readable, page-refcounted, NUMA-placed. */
    PAGE,
    /** {@code NET_IOV_DMABUF}: a chunk of a devmem dma-buf binding; unreadable to the stack. */
    DMABUF,
    /** {@code NET_IOV_IOURING}: a buffer of an io_uring zcrx area; unreadable to the stack. */
    IOURING;

    /** Whether the stack may read payload bytes through this memory ({@code netmem_address() != NULL}). */
    public boolean readable() {
        return this == PAGE;
    }
}
