package dev.netmem.rxqueue.netdev;

import java.util.OptionalInt;
import java.util.OptionalLong;

/**
 * The netdev family's {@code queue} object ({@code queue-get}).
 *
 * @param ifindex device
 * @param id      queue index
 * @param type    {@code "rx"}
 * @param napiId  the queue's NAPI id, absent while the device is down
 * @param dmabuf  the bound devmem binding id, if a dma-buf is bound
 * @param ioUring whether an io_uring (user ring) provider is bound
 */
public record QueueInfo(int ifindex, int id, String type, OptionalInt napiId, OptionalLong dmabuf, boolean ioUring) {
}
