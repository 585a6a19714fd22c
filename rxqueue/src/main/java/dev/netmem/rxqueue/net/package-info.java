/**
 * What driver and stack share, and nothing else (the kernel's {@code net/core} pieces between
 * them): {@link dev.netmem.rxqueue.net.SkBuff} ({@code struct sk_buff} with its frags and
 * {@code pp_recycle} mark) and its per-queue {@link dev.netmem.rxqueue.net.SkbCache}; the protocol
 * headers a driver writes in front of each payload ({@link dev.netmem.rxqueue.net.Headers}); the one upward seam
 * {@link dev.netmem.rxqueue.net.NetifRx} ({@code netif_receive_skb}: accepted or dropped); and
 * {@link dev.netmem.rxqueue.net.Netif}, the device as the stack sees it, where the stack installs
 * itself as the receive handler ({@code netdev_rx_handler_register}).
 *
 * <p>This package names no other layer of the module.
 */
package dev.netmem.rxqueue.net;
