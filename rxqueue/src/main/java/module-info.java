/**
 * The emulated NIC: a {@link dev.netmem.rxqueue.NetDevice} with RX queues (descriptor ring, NAPI poll
 * thread, page pools), queue management ops and restart, the netdev netlink family's binding and
 * introspection role ({@link dev.netmem.rxqueue.Netdev}), {@link dev.netmem.rxqueue.SkBuff}, and the
 * devmem TCP socket ({@link dev.netmem.rxqueue.DevmemSocket}).
 *
 * <p>{@code dev.netmem.rxqueue} is the API; {@code dev.netmem.rxqueue.internal} is not exported.
 */
module dev.netmem.rxqueue {
    requires transitive dev.netmem.api;
    requires transitive dev.netmem.providers;
    requires java.management;

    exports dev.netmem.rxqueue;
}
