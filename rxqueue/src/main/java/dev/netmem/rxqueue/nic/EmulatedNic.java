package dev.netmem.rxqueue.nic;

/**
 * The emulated NIC driver: packets enter through {@link NetDevice#receive} (normally from a wire of
 * {@code dev.netmem.rxqueue.wire}) and the NIC copies them into the buffers posted on each queue's
 * descriptor ring ({@link EmulatedQueueMem}). Stateless: one instance serves every device.
 */
public final class EmulatedNic implements NicDriver {
    static final EmulatedNic INSTANCE = new EmulatedNic();

    private EmulatedNic() {
    }

    @Override
    public String name() {
        return "emulated";
    }

    @Override
    public String toString() {
        return "EmulatedNic";
    }
}
