/**
 * The emulated network that feeds the emulated NIC: a {@link dev.netmem.rxqueue.wire.SyntheticWire}
 * generator and a {@link dev.netmem.rxqueue.wire.StreamWire} that segments a real byte stream (a TCP
 * socket) into packets; both retry what the NIC refuses, as a reliable sender does. Names the NIC
 * and nothing above it.
 */
package dev.netmem.rxqueue.wire;
