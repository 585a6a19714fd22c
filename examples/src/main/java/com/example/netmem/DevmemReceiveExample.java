package com.example.netmem;

import dev.netmem.providers.dmabuf.Dmabuf;
import dev.netmem.rxqueue.netdev.Netdev;
import dev.netmem.rxqueue.netdev.NetdevNlSock;
import dev.netmem.rxqueue.netdev.RxBinding;
import dev.netmem.rxqueue.nic.NetDevice;
import dev.netmem.rxqueue.stack.DevmemRecord;
import dev.netmem.rxqueue.stack.DevmemSocket;
import dev.netmem.rxqueue.stack.DmabufToken;
import dev.netmem.rxqueue.stack.NetStack;
import dev.netmem.rxqueue.wire.StreamWire;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * Devmem TCP receive: RX queue 3 of an emulated NIC is bound to a dma-buf, a real loopback TCP
 * stream is steered to it, and the devmem socket's {@code recvmsg} hands out where each payload
 * lies in the dma-buf; it is read there and its token handed back ({@code SO_DEVMEM_DONTNEED}).
 */
public final class DevmemReceiveExample {
    private static final long BYTES = 8L << 20;

    private DevmemReceiveExample() {
    }

    /**
     * Sends {@value #BYTES} bytes through a loopback TCP connection into the NIC and receives them.
     *
     * @param args none
     * @throws Exception if a socket fails, or the bytes received differ from the bytes sent
     */
    public static void main(String[] args) throws Exception {
        MessageDigest received = LoopbackSender.sha256();
        long total = 0;
        // @readme-start
        NetDevice eth0 = NetDevice.builder("eth0").rxQueues(4).headerSplit(true, 0).build();
        eth0.addFlowRule(5201, 3);                            // ethtool -N: port 5201 -> queue 3
        eth0.open();
        try (Dmabuf dmabuf = Dmabuf.create(16L << 20);        // /dev/shm, mode 0600
             NetdevNlSock nl = Netdev.open();                 // owns the binding: closing it unbinds
             DevmemSocket sock = NetStack.of(eth0).openSocket(5201);
             ServerSocket listener = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
             Socket client = new Socket(listener.getInetAddress(), listener.getLocalPort());
             Socket server = listener.accept()) {
            RxBinding binding = nl.bindRx(eth0, dmabuf, 3);   // checks, then restarts queue 3 on the dma-buf
            System.out.println(Netdev.queueGet(eth0.ifindex(), 3) + ", binding " + binding.id());

            LoopbackSender sender = new LoopbackSender(client, BYTES);
            Thread sending = Thread.ofPlatform().name("sender").start(sender);
            // The real socket's bytes become packets to port 5201 of eth0: the NIC splits headers
            // (host memory) from payload (the dma-buf) and queue 3's NAPI delivers them to sock.
            try (StreamWire wire = StreamWire.start(eth0, server.getInputStream(), server.getPort(), 5201, 1448)) {
                MemorySegment linear = Arena.ofAuto().allocate(64 << 10);
                List<DevmemRecord> records = new ArrayList<>();
                while (total < BYTES) {
                    records.clear();
                    int n = sock.recvmsg(linear, records, DevmemSocket.MSG_SOCK_DEVMEM, Duration.ofSeconds(10));
                    if (n <= 0) {
                        throw new IllegalStateException(n == 0 ? "no data for 10 s" : "stream ended early");
                    }
                    long copied = 0;                          // linear bytes lie at the start of linear
                    for (DevmemRecord r : records) {
                        switch (r) {
                            case DevmemRecord.Linear l -> {
                                received.update(linear.asSlice(copied, l.fragSize()).asByteBuffer());
                                copied += l.fragSize();
                            }
                            case DevmemRecord.Dmabuf d -> {   // payload read where the NIC put it
                                received.update(dmabuf.segment().asSlice(d.fragOffset(), d.fragSize()).asByteBuffer());
                                sock.dontneed(DmabufToken.of(d.fragToken()));   // the buffer goes home
                            }
                        }
                    }
                    if (records.isEmpty()) {                  // readable bytes, copied like recv(2)
                        received.update(linear.asSlice(0, n).asByteBuffer());
                    }
                    total += n;
                }
                System.out.println("the NIC received " + wire.packetsSent() + " packets from the socket");
            }
            sending.join();
            String sent = sender.digest();
            String got = HexFormat.of().formatHex(received.digest());
            System.out.println("received " + total + " bytes, sha256 " + got
                    + (got.equals(sent) ? " = sent" : " != sent " + sent));
            if (!got.equals(sent)) {
                throw new IllegalStateException("the bytes received differ from the bytes sent");
            }
        } finally {
            eth0.unregister();                                // stops the queues, destroys the pools
        }
        // @readme-end
    }
}
