/**
 * The emulated NIC and the layers above it, named after the kernel pieces they model.
 *
 * <pre>
 *  Wire (SyntheticWire, StreamWire)
 *    | NetDevice.receive: flow steering (dst port rule, else hash over unruled queues)
 *    v
 *  RxQueue ── QueueMem: descriptor ring ── NIC DMA-writes headers (host header pool) and
 *    |                   payload (main pool: the bound provider's memory, else host pages)
 *    | NAPI thread: poll(64) → SkBuff {head, frags, ppRecycle, unreadable} → re-post the slot
 *    v
 *  DevmemSocket: recvmsg → LINEAR / DMABUF{fragOffset, fragSize, token, dmabufId}; dontneed;
 *                recvZc → zcrx completions (zero copy, or the copy fallback for linear bytes)
 *
 *  Netdev (netdev netlink family): NetdevNlSock.bindRx / bindRxUserRing → RxBinding;
 *  queueGet, pagePoolGet/Dump, pagePoolStats, NetdevListener (ADD/CHANGE/DEL), MXBeans
 * </pre>
 *
 * <h2>Execution contexts</h2>
 * <ul>
 *   <li><b>NIC</b>: {@link dev.netmem.rxqueue.nic.NetDevice#receive}, any wire thread, serialized per
 *       queue.</li>
 *   <li><b>NAPI</b>: one thread per queue; the only allocator of its pools; frees made on it recycle
 *       into the fast cache (NAPI-local), frees from any other thread go to the ring.</li>
 *   <li><b>Control</b>: open/close, restart, bind/unbind, configuration; serialized on the device's
 *       control lock; never on a NAPI thread.</li>
 *   <li><b>Application</b>: sockets, skb frees, token returns; any thread.</li>
 * </ul>
 *
 * <h2>Where this differs from the kernel</h2>
 * <ul>
 *   <li>The driver posts its whole descriptor ring at queue start, so an up device's pools report
 *       the posted buffers as in flight (netdevsim posts nothing, so its pools start at 0).</li>
 *   <li>bind-rx validates every queue (range, then header split, then not bound, then a non-empty
 *       list) before binding any, where the kernel binds queue by queue and unwinds.</li>
 *   <li>{@code hds-thresh} above 0 is allowed on bound queues, so small payloads arrive as
 *       readable, linear skbs.</li>
 * </ul>
 */
package dev.netmem.rxqueue;
