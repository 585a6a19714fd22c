package dev.netmem.rxqueue.net;

/**
 * The one upward seam from a driver to the stack, {@code netif_receive_skb}: a driver hands a
 * finished skb up and learns only whether it was accepted ({@link #NET_RX_SUCCESS}) or dropped
 * ({@link #NET_RX_DROP}, which the driver counts in its queue's stats). A driver never names a
 * socket; the stack never names a driver. Installed on a device with
 * {@link Netif#rxHandlerRegister}.
 */
public interface NetifRx {
    /** {@code NET_RX_SUCCESS}: the stack took the skb (queued it, or consumed it as the protocol does). */
    int NET_RX_SUCCESS = 0;
    /** {@code NET_RX_DROP}: the stack dropped the skb (a closed socket, a full receive queue). */
    int NET_RX_DROP = 1;

    /**
     * {@code netif_receive_skb}: hands up an skb whose data starts at the protocol headers. The
     * skb belongs to the stack from here on in both outcomes (a dropped skb is already freed).
     * Caller: the receiving queue's NAPI thread.
     *
     * @return {@link #NET_RX_SUCCESS} or {@link #NET_RX_DROP}
     */
    int receiveSkb(SkBuff skb);

    /**
     * Whether the stack would accept a segment of flow {@code srcPort → dstPort} now: the receive
     * window its ACKs advertise to the peer. A NIC that emulates the peer's sender asks before it
     * takes a packet, so a sender that respects the window never has a packet dropped. Any thread.
     */
    boolean rcvWindowOpen(int srcPort, int dstPort);

    /**
     * Whether a socket is open on {@code dstPort}: a driver whose connections exist before the
     * application's socket does (the kernel's accept queue holds their data) waits for it before it
     * takes their bytes, which would otherwise be consumed and freed. Any thread.
     */
    boolean hasSocket(int dstPort);

    /** {@code NETDEV_UNREGISTER}: the device is going away; the stack closes what it holds for it. */
    void netdevUnregister();
}
