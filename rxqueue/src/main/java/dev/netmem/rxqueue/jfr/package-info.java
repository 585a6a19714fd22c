/**
 * The RX queues' JFR events, one class per event, and {@link dev.netmem.rxqueue.jfr.RxEvents}, the only
 * code that builds them: bind-rx and unbind ({@code dev.netmem.RxBind}, {@code dev.netmem.RxUnbind}),
 * queue restart ({@code dev.netmem.RxQueueRestart}, a duration event) and, on the io_uring driver, a
 * receive that ended with {@code -ENOBUFS} ({@code dev.netmem.UringNoBufs}) and a multishot receive
 * armed again ({@code dev.netmem.UringRearm}). The page pool's own events are in {@code dev.netmem.api}.
 * Not exported: recordings name the events, not the classes.
 *
 * <p>Every event names its queue ({@code ifindex}, {@code queue}) and memory provider ({@code provider}:
 * {@code host}, {@code dmabuf}, {@code io-uring}; {@code providerId}: the dma-buf binding id, else 0), and
 * its page pool ({@code poolId}) where it has one.
 *
 * <h2>Cost when JFR is off</h2>
 * Hooks sit on control paths (bind, unbind, restart) and on the io_uring driver's slow paths (ENOBUFS,
 * re-arm), never on the per-packet path; each asks a shared, never-committed instance
 * {@code isEnabled()} first and returns before allocating or reading anything. The io_uring events,
 * which a starved ring raises per completion, are throttled and carry no stack trace.
 *
 * <p>Layering: this package names no other layer of the module (its hooks take the api's
 * {@link dev.netmem.api.NetdevRxQueue}, {@link dev.netmem.api.PagePool} and
 * {@link dev.netmem.api.spi.MemoryProvider}), so every layer may call it.
 */
package dev.netmem.rxqueue.jfr;
