package com.example.netmem;

import dev.netmem.api.Errno;
import dev.netmem.api.ErrnoException;
import dev.netmem.providers.dmabuf.Dmabuf;
import dev.netmem.providers.zcrx.ZcrxArea;
import dev.netmem.providers.zcrx.ZcrxIfq;
import dev.netmem.providers.zcrx.ZcrxUserRing;
import dev.netmem.rxqueue.netdev.Netdev;
import dev.netmem.rxqueue.netdev.NetdevNlSock;
import dev.netmem.rxqueue.netdev.RxBinding;
import dev.netmem.rxqueue.nic.NetDevice;
import dev.netmem.rxqueue.stack.DevmemSocket;
import dev.netmem.rxqueue.stack.NetStack;
import dev.netmem.rxqueue.wire.StreamWire;
import dev.netmem.rxqueue.zcrx.IoUringZcrx;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.concurrent.locks.LockSupport;

/**
 * io_uring zero-copy receive: RX queue 3 is bound to a zcrx interface queue over a dma-buf, a real
 * loopback TCP stream is steered to it, {@code recvZc} posts completions to the user ring, and a
 * second JVM (this program with {@code consume REGION AREA BYTES}) reads each buffer in place and
 * hands it back through the refill ring.
 */
public final class UserRingExample {
    private static final long BYTES = 8L << 20;

    private UserRingExample() {
    }

    /**
     * Runs the receiver and the consumer process; {@code consume REGION AREA BYTES} is the consumer.
     *
     * @param args none, or {@code consume REGION AREA BYTES}
     * @throws Exception if a socket or the consumer fails, or the bytes consumed differ from the bytes sent
     */
    public static void main(String[] args) throws Exception {
        if (args.length == 4 && args[0].equals("consume")) {
            consume(Path.of(args[1]), Path.of(args[2]), Long.parseLong(args[3]));
            return;
        }
        NetDevice eth0 = NetDevice.builder("eth0").rxQueues(4).headerSplit(true, 0).build();
        eth0.addFlowRule(5201, 3);                            // ethtool -N: port 5201 -> queue 3
        eth0.open();
        // @readme-start
        try (Dmabuf dmabuf = Dmabuf.create(2L << 20);         // the area: 512 buffers of 4 KiB
             NetdevNlSock nl = Netdev.open();
             DevmemSocket sock = NetStack.of(eth0).openSocket(5201);
             ServerSocket listener = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
             Socket client = new Socket(listener.getInetAddress(), listener.getLocalPort());
             Socket server = listener.accept()) {
            // IORING_REGISTER_ZCRX_IFQ: refill ring large enough for every buffer of the area
            RxBinding binding = IoUringZcrx.bindRxUserRing(nl, eth0, ZcrxArea.ofDmabuf(dmabuf), 3, 512, 512,
                    Dmabuf.DEFAULT_DIR);
            ZcrxIfq ifq = (ZcrxIfq) binding.provider();
            Process consumer = new ProcessBuilder(            // maps the rings and the area
                    ProcessHandle.current().info().command().orElseThrow(),
                    "--module-path", System.getProperty("jdk.module.path"),
                    "-m", "com.example.netmem/com.example.netmem.UserRingExample",
                    "consume", ifq.regionPath().toString(), dmabuf.path().toString(), Long.toString(BYTES))
                    .redirectError(ProcessBuilder.Redirect.INHERIT).start();

            LoopbackSender sender = new LoopbackSender(client, BYTES);
            Thread sending = Thread.ofPlatform().name("sender").start(sender);
            try (StreamWire wire = StreamWire.start(eth0, server.getInputStream(), server.getPort(), 5201, 1448)) {
                long handed = 0;
                while (handed < BYTES) {                      // IORING_OP_RECV_ZC, re-armed
                    try {
                        handed += IoUringZcrx.recvZc(sock, ifq, Duration.ofMillis(100));
                    } catch (ErrnoException e) {              // rings full: the consumer is behind
                        if (e.errno() != Errno.ENOSPC && e.errno() != Errno.ENOMEM) {
                            throw e;
                        }
                        LockSupport.parkNanos(100_000);
                    }
                    if (!consumer.isAlive() && handed < BYTES) {
                        throw new IllegalStateException("the consumer exited: " + consumer.exitValue());
                    }
                }
                System.out.println("the NIC received " + wire.packetsSent() + " packets from the socket");
            }
            sending.join();
            String consumed;
            try (BufferedReader out = new BufferedReader(
                    new InputStreamReader(consumer.getInputStream(), StandardCharsets.UTF_8))) {
                consumed = out.readLine();                    // "sha256 <hex>"
            }
            if (consumer.waitFor() != 0 || !("sha256 " + sender.digest()).equals(consumed)) {
                throw new IllegalStateException("consumer: exit " + consumer.exitValue() + ", " + consumed
                        + "; sent sha256 " + sender.digest());
            }
            System.out.println("consumer read " + BYTES + " bytes in place, " + consumed + " = sent");
        } finally {
            eth0.unregister();
        }
        // @readme-end
    }

    /** The other process: polls completions, reads each buffer where it lies, refills it. */
    private static void consume(Path region, Path area, long bytes) {
        MessageDigest sha256 = LoopbackSender.sha256();
        long[] seen = {0};
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        try (ZcrxUserRing ring = ZcrxUserRing.open(region, area)) {
            while (seen[0] < bytes) {
                int n = ring.poll((off, len, flags) -> {
                    sha256.update(ring.data(off, len).asByteBuffer());
                    seen[0] += len;
                    if (!ring.refill(off, len)) {             // cannot happen: the ring holds every buffer
                        throw new IllegalStateException("refill ring full");
                    }
                });
                if (n == 0) {
                    if (System.nanoTime() > deadline) {
                        throw new IllegalStateException("consumed " + seen[0] + " of " + bytes + " bytes in 60 s");
                    }
                    LockSupport.parkNanos(100_000);
                }
            }
        }
        System.out.println("sha256 " + HexFormat.of().formatHex(sha256.digest()));
    }
}
