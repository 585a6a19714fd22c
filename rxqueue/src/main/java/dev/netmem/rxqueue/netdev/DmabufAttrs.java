package dev.netmem.rxqueue.netdev;

import dev.netmem.providers.dmabuf.Dmabuf;
import java.util.Objects;
import java.util.OptionalInt;

/**
 * The memory attributes of a netdev {@code bind-rx} request (the {@code dmabuf} attribute set): the
 * dma-buf ({@code NETDEV_A_DMABUF_FD}) and the optional receive buffer size
 * ({@code NETDEV_A_DMABUF_RX_BUF_SIZE}, {@code rx-buf-size}). The device and queues are the other
 * arguments of {@link NetdevNlSock#bindRx(dev.netmem.rxqueue.nic.NetDevice, DmabufAttrs, int...)}.
 *
 * <p>{@code rx-buf-size} comes from the net-next series "net: devmem: allow rx-buf-size &gt; PAGE_SIZE
 * per dmabuf binding" (not in the 6.18 kernel): the size of each net_iov of the binding and of the
 * bound queues' receive buffers ({@code rx_page_size}). Absent, the binding has page-sized net_iovs
 * and asks nothing of the driver, as in 6.18.
 *
 * @param dmabuf    the dma-buf to import
 * @param rxBufSize {@code rx-buf-size} as its {@code u32} bits (a negative {@code int} is a size past
 *                  2 GiB), or empty when the attribute is absent. Checked by bind-rx, not here: a
 *                  power of two of at least {@code PAGE_SIZE} ({@code -EINVAL}), whose multiples the
 *                  dma-buf's address and size are ({@code -EINVAL}), and which the driver must support
 *                  ({@code QCFG_RX_PAGE_SIZE}, {@code -EOPNOTSUPP}) and accept ({@code ndo_validate_qcfg})
 */
public record DmabufAttrs(Dmabuf dmabuf, OptionalInt rxBufSize) {
    /** Validates presence only; the values are bind-rx's to judge. */
    public DmabufAttrs {
        Objects.requireNonNull(dmabuf, "dmabuf");
        Objects.requireNonNull(rxBufSize, "rxBufSize");
    }

    /** {@code dmabuf} with no {@code rx-buf-size}: page-sized net_iovs. */
    public static DmabufAttrs of(Dmabuf dmabuf) {
        return new DmabufAttrs(dmabuf, OptionalInt.empty());
    }

    /** These attributes with {@code rx-buf-size} present and set to {@code size} (its {@code u32} bits). */
    public DmabufAttrs withRxBufSize(int size) {
        return new DmabufAttrs(dmabuf, OptionalInt.of(size));
    }
}
