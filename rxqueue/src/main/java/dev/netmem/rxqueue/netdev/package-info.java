/**
 * The netdev netlink family ({@code net/core/netdev-genl.c}): {@link dev.netmem.rxqueue.netdev.Netdev}
 * (queue-get, page-pool-get/dump, page-pool stats, ADD/CHANGE/DEL notifications to
 * {@link dev.netmem.rxqueue.netdev.NetdevListener}s, MXBeans per pool and per queue) and
 * {@link dev.netmem.rxqueue.netdev.NetdevNlSock}, the socket that owns bind-rx bindings
 * ({@link dev.netmem.rxqueue.netdev.RxBinding}) and unbinds them when it closes.
 *
 * <p>Layering: the family names the NIC (devices, queues, restart) and the providers it binds, and
 * no io_uring type: a layer above registers its own provider through
 * {@link dev.netmem.rxqueue.netdev.NetdevNlSock.ProviderRegistration}.
 */
package dev.netmem.rxqueue.netdev;
