package dev.netmem.rxqueue;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.netmem.api.PagePool;
import dev.netmem.rxqueue.nic.NetDevice;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The device's pool debugging options reach every pool it creates, and survive a queue restart. */
@Timeout(30)
class NetDevicePoolDebugTest extends DeviceTestBase {

    @Test
    void shouldCreatePoolsWithTheDevicesStallWarnAndLeakTracking() {
        NetDevice dev = device(NetDevice.builder("dbg0").rxQueues(2).ringSize(8)
                .stallWarn(Duration.ofMillis(250)).leakTracking(true));
        dev.open();
        dev.restartQueue(1);
        for (int q = 0; q < 2; q++) {
            for (PagePool p : new PagePool[] {dev.rxQueue(q).pagePool(), dev.rxQueue(q).headerPool()}) {
                assertEquals(Duration.ofMillis(250), p.params().stallWarn(), p.toString());
                assertTrue(p.params().leakTracking(), p.toString());
            }
        }
        // the ring's posted buffers are outstanding allocations, and tracking says who took them
        assertFalse(dev.rxQueue(0).pagePool().outstandingAllocationSites().isEmpty());
    }

    @Test
    void shouldKeepTheKernelDefaultsWhenNotAsked() {
        NetDevice dev = device(NetDevice.builder("dbg1").ringSize(8));
        dev.open();
        PagePool p = dev.rxQueue(0).pagePool();
        assertEquals(Duration.ofSeconds(60), p.params().stallWarn());
        assertFalse(p.params().leakTracking());
        assertTrue(p.outstandingAllocationSites().isEmpty());
    }
}
