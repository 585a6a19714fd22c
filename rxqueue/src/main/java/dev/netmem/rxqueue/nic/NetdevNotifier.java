package dev.netmem.rxqueue.nic;

/**
 * A netdevice notifier ({@code register_netdevice_notifier}): told when a device is registered and
 * when it is being unregistered. Registering a notifier replays {@link #netdevRegister} for every
 * device already registered, as the kernel does. Callbacks run on the thread that (un)registers
 * the device; they must not block.
 */
public interface NetdevNotifier {
    /** {@code NETDEV_REGISTER}: {@code dev} is registered (down). */
    void netdevRegister(NetDevice dev);

    /** {@code NETDEV_UNREGISTER}: {@code dev} is closed and leaves the registry after this call. */
    void netdevUnregister(NetDevice dev);
}
