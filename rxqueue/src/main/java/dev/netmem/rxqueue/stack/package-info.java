/**
 * The TCP stack above a device: {@link dev.netmem.rxqueue.stack.NetStack} (the socket table and
 * demux by port, receive-window accounting, delivery of the skbs a driver hands up through
 * {@link dev.netmem.rxqueue.net.NetifRx}), and {@link dev.netmem.rxqueue.stack.DevmemSocket}: devmem
 * {@code recvmsg} (LINEAR and DMABUF records with per-socket tokens), {@code SO_DEVMEM_DONTNEED},
 * and {@link dev.netmem.rxqueue.stack.DevmemSocket#readSock tcp_read_sock} for layers above.
 *
 * <p>Layering: the stack names only {@code dev.netmem.rxqueue.net} of this module. It never names a
 * driver (a device is a {@link dev.netmem.rxqueue.net.Netif}), the netdev family, or io_uring, which
 * sits above it and reads sockets through {@code readSock} as {@code io_uring/zcrx.c} calls
 * {@code tcp_read_sock}.
 *
 * <p>Threads: delivery runs on NAPI threads; socket calls on any application thread.
 */
package dev.netmem.rxqueue.stack;
