/**
 * The NIC and its driver ({@code struct net_device}, {@code struct netdev_rx_queue}, the driver's
 * queue memory): {@link dev.netmem.rxqueue.nic.NetDevice} with its RX queues, flow steering, up/down,
 * the queue management ops ({@link dev.netmem.rxqueue.nic.QueueMgmtOps}) and queue restart
 * ({@code netdev_rx_queue_restart}) that binding a memory provider uses, and the two drivers
 * ({@link dev.netmem.rxqueue.nic.NicDriver}): the emulated NIC, drawn below, and
 * {@link dev.netmem.rxqueue.nic.IoUringNic}, whose provided-buffer ring takes the descriptor ring's
 * place and whose completions come from the kernel's TCP receive instead of a wire.
 *
 * <pre>
 *  wire ── NetDevice.receive: flow steering (dst-port rule, else hash over unruled queues)
 *    v
 *  RxQueue ── QueueMem: descriptor ring ── the NIC DMA-writes headers (host header pool) and
 *    |                   payload (main pool: the bound provider's memory, else host pages)
 *    | NAPI thread: poll(64) → SkBuff {head, frags, ppRecycle, unreadable} → re-post the slot
 *    v
 *  NetifRx.receiveSkb (net): the one seam up to the stack → accepted, or dropped (rx-dropped)
 * </pre>
 *
 * <h2>Layering</h2>
 * The driver names nothing above it but the seam package {@code dev.netmem.rxqueue.net}
 * ({@link dev.netmem.rxqueue.net.SkBuff}, {@link dev.netmem.rxqueue.net.NetifRx},
 * {@link dev.netmem.rxqueue.net.Netif}): no socket, no netdev-family class, nothing of io_uring. The
 * stack installs itself on a device with {@link dev.netmem.rxqueue.net.Netif#rxHandlerRegister}; the
 * netdev family learns of devices through a {@link dev.netmem.rxqueue.nic.NetdevNotifier}. A second
 * driver needs only the queue management ops and the seam. {@code LayeringTest} checks these rules
 * on the compiled classes.
 *
 * <h2>Execution contexts</h2>
 * <ul>
 *   <li><b>NIC</b> (emulated driver): {@link dev.netmem.rxqueue.nic.NetDevice#receive}, any wire
 *       thread, serialized per queue.</li>
 *   <li><b>NAPI</b>: one thread per queue; the only allocator of its pools; frees made on it recycle
 *       into the fast cache (NAPI-local), frees from any other thread go to the ring.</li>
 *   <li><b>Control</b>: open/close, restart, bind/unbind, configuration; serialized on the device's
 *       control lock; never on a NAPI thread.</li>
 * </ul>
 *
 * <h2>Where this differs from the kernel</h2>
 * <ul>
 *   <li>By default the driver posts its whole descriptor ring at queue start, so an up device's pools
 *       report the posted buffers as in flight (netdevsim posts nothing, so its pools start at 0;
 *       {@link dev.netmem.rxqueue.nic.NetDevice.Builder#postOnDemand} behaves like netdevsim).</li>
 *   <li>A queue that stops delivers the packets its NIC already wrote (the kernel's driver frees
 *       them and TCP retransmits; the emulated wire was told they were accepted and does not resend),
 *       and a slot whose buffer cannot be replaced stays unposted instead of dropping its packet.</li>
 *   <li>bind-rx validates every queue before binding any, where the kernel binds queue by queue (in
 *       index order) and unwinds; the errors are the same.</li>
 *   <li>{@code sk_rcvbuf} is a device setting ({@link dev.netmem.rxqueue.nic.NetDevice#rcvbuf()}) that
 *       every socket of the device's stack shares.</li>
 *   <li>The driver's own queue restarts keep the queue's NAPI instance (as bnxt's do); netdevsim's
 *       make a new one with the same persistent id. Only
 *       {@link dev.netmem.rxqueue.nic.NetDevice#queueReset} applies netdevsim's reset modes, and the
 *       NAPI list is derived from the queues, so modes 2 and 3 (the order the old NAPI leaves and the
 *       new one joins {@code dev->napi_list}) look like mode 0 from outside.</li>
 *   <li>The queue config ({@link dev.netmem.rxqueue.nic.NetdevQueueConfig}) is read by the driver's
 *       {@code memAlloc} through {@link dev.netmem.rxqueue.nic.NetDevice#queueConfig} instead of being
 *       passed to mem_alloc and start; it is rendered from the same queue params, so the value is the
 *       same. The io_uring driver posts a 64 KiB buffer one skb's payload (65495 bytes) long.</li>
 * </ul>
 *
 * <h2>Test hooks (netdevsim-like)</h2>
 * {@link dev.netmem.rxqueue.nic.NetDevice#setPpHold} ({@code pp_hold}),
 * {@link dev.netmem.rxqueue.nic.NetDevice#queueReset} ({@code queue_reset} modes 0–3),
 * {@link dev.netmem.rxqueue.nic.NetDevice#setRingSize} ({@code ethtool -G}),
 * {@link dev.netmem.rxqueue.nic.NetDevice#setChannels} ({@code ethtool -L}),
 * {@link dev.netmem.rxqueue.nic.NetDevice#xdpAttach} and
 * {@link dev.netmem.rxqueue.nic.NetDevice#setXskPool} (XDP and AF_XDP, as far as the queue-open
 * checks see them), {@link dev.netmem.rxqueue.nic.NetDevice#setAllocFailPolicy} (page-pool fault
 * injection) and {@link dev.netmem.rxqueue.nic.NetDevice#setUnsplitPayloads} (payloads left linear
 * whatever {@code hds-thresh} says, for tests of linear devmem data now that a bound device must
 * keep {@code hds-thresh} at 0).
 */
package dev.netmem.rxqueue.nic;
