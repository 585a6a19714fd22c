package dev.netmem.rxqueue.nic;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.netmem.rxqueue.stack.DevmemSocket;
import dev.netmem.rxqueue.stack.NetStack;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Test;

/**
 * A sender that respects the receive window loses nothing: the packets a full ring already holds
 * when the window closes still fit the socket ({@link NetDevice#rmemHardLimit()}). The NAPI thread is
 * held back (its start is skipped) so the ring fills completely before one poll delivers it all.
 */
class ReceiveWindowTest {
    private static final int RING = 8;
    private static final int PORT = 7000;

    /** The driver's ops, except that start does not start the NAPI thread: the test polls by hand. */
    private static QueueMgmtOps withoutNapiThread(QueueMgmtOps driver) {
        return new ForwardingQueueOps(driver) {
            @Override
            public void start(QueueMem mem) {
                mem.fill();
                mem.queue().activate(mem);
            }
        };
    }

    @Test
    void shouldQueueEveryPacketAFullRingHeldWhenTheWindowClosed() {
        for (boolean split : new boolean[] {true, false}) {
            NetDevice dev = NetDevice.builder("win" + split).rxQueues(1).ringSize(RING).rcvbuf(1)
                    .headerSplit(split, 0).queueOps(ReceiveWindowTest::withoutNapiThread).build();
            try {
                dev.open();
                receiveAFullRing(dev, split);
            } finally {
                dev.unregister();
            }
        }
    }

    private static void receiveAFullRing(NetDevice dev, boolean split) {
        DevmemSocket sock = NetStack.of(dev).openSocket(PORT);
        MemorySegment payload = MemorySegment.ofArray(new byte[4000]);
        // Nothing is queued yet, so the window is open for every packet the ring can take.
        for (int i = 0; i < RING; i++) {
            assertTrue(dev.receive(5000, PORT, payload), "packet " + i);
        }
        RxQueue q = dev.rxQueue(0);
        q.napi().schedule();
        try {
            assertEquals(RING, q.memory().poll(64));
        } finally {
            q.napi().complete();
        }
        assertEquals(0, q.rxDropped(), "split=" + split + ": packets the NIC took were dropped");
        assertEquals(RING * 4000L, sock.queuedBytes(), "split=" + split);
        sock.close();
    }
}
