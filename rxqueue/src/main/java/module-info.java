/**
 * RX queues bound to memory providers, in the kernel's layers (each a package; see their
 * package docs, and {@code LayeringTest} for the import rules that keep them apart):
 * <ul>
 *   <li>{@code dev.netmem.rxqueue.net}: the seam between driver and stack ({@code netif_receive_skb},
 *       {@code sk_buff}, the device as the stack sees it);</li>
 *   <li>{@code dev.netmem.rxqueue.nic}: the NIC and its drivers, emulated and io_uring (RX queues,
 *       descriptor or provided-buffer ring, NAPI poll, queue management ops, restart);</li>
 *   <li>{@code dev.netmem.rxqueue.wire}: the emulated network that feeds the emulated NIC;</li>
 *   <li>{@code dev.netmem.rxqueue.stack}: the TCP stack (socket table, receive window, devmem
 *       {@code recvmsg}, tokens, {@code dontneed}, {@code tcp_read_sock});</li>
 *   <li>{@code dev.netmem.rxqueue.netdev}: the netdev netlink family (bind-rx, introspection,
 *       notifications, MXBeans);</li>
 *   <li>{@code dev.netmem.rxqueue.zcrx}: io_uring zero-copy receive, above the stack.</li>
 * </ul>
 * {@code dev.netmem.rxqueue.jfr} (the JFR events of bind, unbind, restart and the io_uring driver) is
 * not exported.
 */
module dev.netmem.rxqueue {
    requires transitive dev.netmem.api;
    requires transitive dev.netmem.providers;
    requires transitive dev.netmem.uring;
    requires java.management;
    requires jdk.jfr;

    exports dev.netmem.rxqueue.net;
    exports dev.netmem.rxqueue.nic;
    exports dev.netmem.rxqueue.wire;
    exports dev.netmem.rxqueue.stack;
    exports dev.netmem.rxqueue.netdev;
    exports dev.netmem.rxqueue.zcrx;
}
