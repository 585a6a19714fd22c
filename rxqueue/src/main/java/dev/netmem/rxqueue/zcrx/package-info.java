/**
 * io_uring zero-copy receive above the stack ({@code io_uring/zcrx.c}):
 * {@link dev.netmem.rxqueue.zcrx.IoUringZcrx} registers a zcrx ifq on an RX queue and receives into
 * its user ring, reading sockets through {@code tcp_read_sock}. The top layer: it may name any other;
 * none names it.
 */
package dev.netmem.rxqueue.zcrx;
