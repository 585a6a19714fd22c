package dev.netmem.rxqueue;

import dev.netmem.rxqueue.nic.IoUringNic;
import dev.netmem.rxqueue.nic.NetDevice;

/**
 * The NIC drivers a suite runs against when its guarantees must hold on both: the emulated NIC (a
 * wire copies packets into the posted buffers) and the io_uring driver (the kernel's TCP receives
 * real loopback connections into them). See {@link DeviceTestBase#driver()}.
 */
enum TestDriver {
    /** {@link dev.netmem.rxqueue.nic.NicDriver#emulated()}, the builder's default. */
    EMULATED,
    /** {@link IoUringNic} with its defaults; a suite on it skips, saying why, where io_uring is unavailable. */
    IO_URING;

    /** {@code b} with this driver. */
    NetDevice.Builder apply(NetDevice.Builder b) {
        return this == IO_URING ? b.driver(IoUringNic.builder().build()) : b;
    }
}
