package dev.netmem.rxqueue;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.netmem.providers.dmabuf.Dmabuf;
import dev.netmem.rxqueue.netdev.Netdev;
import dev.netmem.rxqueue.netdev.NetdevNlSock;
import dev.netmem.rxqueue.netdev.PagePoolInfo;
import dev.netmem.rxqueue.netdev.QueueInfo;
import dev.netmem.rxqueue.netdev.RxBinding;
import dev.netmem.rxqueue.nic.NetDevice;
import dev.netmem.rxqueue.stack.DevmemRecord;
import dev.netmem.rxqueue.stack.DevmemSocket;
import dev.netmem.rxqueue.stack.DmabufToken;
import dev.netmem.rxqueue.stack.NetStack;
import dev.netmem.rxqueue.wire.SyntheticWire;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The README's "RX queues" example, kept compiling and passing. */
@Timeout(30)
class ReadmeExampleTest {
    @Test
    void shouldRunTheReadmeExample() throws InterruptedException {
        long received = 0;
        // --- README example start ---
        NetDevice eth0 = NetDevice.builder("eth0").rxQueues(4).headerSplit(true, 0).build();
        eth0.addFlowRule(5201, 3);                      // ethtool -N: port 5201 -> queue 3
        eth0.open();
        try (Dmabuf dmabuf = Dmabuf.create(16L << 20);
             NetdevNlSock nl = Netdev.open();           // owns the binding: closing it unbinds
             DevmemSocket sock = NetStack.of(eth0).openSocket(5201)) {
            RxBinding binding = nl.bindRx(eth0, dmabuf, 3);   // restarts queue 3 on the dma-buf
            QueueInfo q = Netdev.queueGet(eth0.ifindex(), 3);  // q.dmabuf() == binding.id()
            PagePoolInfo pool = Netdev.pagePoolGet(eth0.rxQueue(3).pagePool().id());
            System.out.println(q + "\n" + pool + "\n" + Netdev.pagePoolStats(pool.id()).stats());

            try (SyntheticWire wire = SyntheticWire.builder(eth0, 40000, 5201).count(100).start()) {
                MemorySegment linear = Arena.ofAuto().allocate(64 << 10);
                List<DevmemRecord> records = new ArrayList<>();
                while (received < 100 * 1024) {
                    records.clear();
                    received += sock.recvmsg(linear, records, DevmemSocket.MSG_SOCK_DEVMEM, Duration.ofSeconds(1));
                    for (DevmemRecord r : records) {
                        if (r instanceof DevmemRecord.Dmabuf d) {   // payload stays in the dma-buf
                            MemorySegment payload = dmabuf.segment().asSlice(d.fragOffset(), d.fragSize());
                            assert payload.byteSize() == d.fragSize();
                            sock.dontneed(DmabufToken.of(d.fragToken()));   // give the buffer back
                        }
                    }
                }
                assertTrue(wire.await(Duration.ofSeconds(5)));
            }
            assertEquals(binding.id(), q.dmabuf().getAsLong());
        }
        eth0.unregister();
        // --- README example end ---
        assertEquals(100 * 1024, received);
    }
}
