package dev.netmem.rxqueue.netdev;

import java.time.Instant;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;

/**
 * The netdev family's {@code page-pool} object ({@code page-pool-get}).
 *
 * @param id          pool id
 * @param ifindex     the device, absent once the pool is orphaned (its device unregistered)
 * @param napiId      the linked NAPI, absent once the pool is destroyed
 * @param inflight    buffers allocated and not yet returned
 * @param inflightMem {@code inflight × buffer size}
 * @param detachTime  when the pool was destroyed with buffers in flight; absent while attached
 * @param dmabuf      the devmem binding id when a dma-buf provider feeds the pool
 * @param ioUring     whether an io_uring (user ring) provider feeds the pool
 */
public record PagePoolInfo(int id, OptionalInt ifindex, OptionalInt napiId, long inflight, long inflightMem,
                           Optional<Instant> detachTime, OptionalLong dmabuf, boolean ioUring) {
}
