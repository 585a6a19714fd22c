package dev.netmem.rxqueue.net;

/**
 * What the stack sees of a network device ({@code struct net_device} from above): its name and
 * ifindex, its receive-buffer settings, and the slot where the stack installs itself as the
 * receiver of the device's skbs ({@code netdev_rx_handler_register}). Drivers implement it; the
 * stack programs against it and never names a driver class.
 */
public interface Netif {
    /** The device name, for example {@code "eth0"}. */
    String name();

    /** The interface index. */
    int ifindex();

    /** Whether the device is still registered. */
    boolean isRegistered();

    /** The receive window of sockets on this device in bytes of {@link SkBuff#truesize()} ({@code sk_rcvbuf}). */
    long rcvbuf();

    /**
     * The most a socket's queue may hold before the stack drops: {@link #rcvbuf()} plus every packet
     * the device's rings may already hold for it, so a sender that respects the window never loses
     * a packet. Saturates at {@link Long#MAX_VALUE}.
     */
    long rmemHardLimit();

    /** The installed receiver of this device's skbs, or {@code null}. Any thread. */
    NetifRx rxHandler();

    /**
     * {@code netdev_rx_handler_register}: installs {@code handler} unless a handler is already
     * installed. Any thread.
     *
     * @return the handler installed after the call ({@code handler}, or the one that was there)
     */
    NetifRx rxHandlerRegister(NetifRx handler);

    /**
     * The stack freed receive memory (a socket was read, tokens came back): a driver that stopped
     * receiving for want of buffers or of window may go on. Any thread; cheap when nothing waits.
     */
    default void rxWake() {
    }
}
