package dev.netmem.rxqueue;

import dev.netmem.rxqueue.nic.NetDevice;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;

/** Tests that build devices: every device built through {@link #device} is unregistered after the test. */
abstract class DeviceTestBase {
    private final List<NetDevice> devices = new ArrayList<>();

    /** Builds a device and remembers it for teardown. */
    NetDevice device(NetDevice.Builder b) {
        NetDevice d = b.build();
        devices.add(d);
        return d;
    }

    @AfterEach
    void unregisterDevices() {
        for (NetDevice d : devices) {
            d.unregister();
        }
    }
}
