package dev.netmem.rxqueue.stack;

import dev.netmem.providers.dmabuf.Dmabuf;

/**
 * One control record of a devmem {@link DevmemSocket#recvmsg}: the kernel's {@code SCM_DEVMEM_LINEAR}
 * and {@code SCM_DEVMEM_DMABUF} cmsgs.
 */
public sealed interface DevmemRecord {
    /** Bytes this record accounts for. */
    int fragSize();

    /**
     * {@code SCM_DEVMEM_LINEAR}: {@code fragSize} bytes were copied into the caller's buffer (the NIC
     * did not split them off: below {@code hds-thresh}, or the split failed).
     *
     * @param fragSize bytes copied
     */
    record Linear(int fragSize) implements DevmemRecord {
    }

    /**
     * {@code SCM_DEVMEM_DMABUF} ({@code struct dmabuf_cmsg}): payload left in place in the dma-buf.
     *
     * @param fragOffset offset of the bytes in the dma-buf ({@code net_iov_virtual_addr + offsets})
     * @param fragSize   bytes
     * @param fragToken  token to return with {@link DevmemSocket#dontneed}
     * @param dmabufId   the binding id
     */
    record Dmabuf(long fragOffset, int fragSize, int fragToken, long dmabufId) implements DevmemRecord {
    }
}
