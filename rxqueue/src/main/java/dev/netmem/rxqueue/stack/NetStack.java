package dev.netmem.rxqueue.stack;

import dev.netmem.api.Errno;
import dev.netmem.api.ErrnoException;
import dev.netmem.rxqueue.net.Headers;
import dev.netmem.rxqueue.net.Netif;
import dev.netmem.rxqueue.net.NetifRx;
import dev.netmem.rxqueue.net.SkBuff;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * The TCP stack above one device: the socket table (demux by destination port), receive-window
 * accounting, and delivery of the skbs the device's driver hands up through the {@link NetifRx}
 * seam. Get it with {@link #of(Netif)}, which installs it as the device's receive handler.
 *
 * <p>Threads: {@link #receiveSkb} runs on the device's NAPI threads; everything else on any thread.
 */
public final class NetStack implements NetifRx {
    private final Netif netif;
    private final AtomicReferenceArray<DevmemSocket> sockets = new AtomicReferenceArray<>(65536);

    private NetStack(Netif netif) {
        this.netif = netif;
    }

    /**
     * The stack of {@code netif}: the one installed as its receive handler, installed now if it has
     * none. Any thread.
     *
     * @throws IllegalStateException if the device's receive handler is not a {@link NetStack}
     */
    public static NetStack of(Netif netif) {
        Objects.requireNonNull(netif, "netif");
        NetifRx h = netif.rxHandler();
        if (h == null) {
            h = netif.rxHandlerRegister(new NetStack(netif));
        }
        if (h instanceof NetStack s) {
            return s;
        }
        throw new IllegalStateException(netif.name() + " has another rx handler: " + h);
    }

    /** The device this stack receives from. */
    public Netif netif() {
        return netif;
    }

    /**
     * Opens a TCP-like socket receiving segments addressed to {@code port}.
     *
     * @throws ErrnoException        {@link Errno#EINVAL} if the port is not in [0, 65535]
     * @throws IllegalStateException if the port is taken or the device is unregistered
     */
    public DevmemSocket openSocket(int port) {
        if (port < 0 || port > 65535) {
            throw Errno.EINVAL.exception("port must be in [0, 65535]: " + port);
        }
        if (!netif.isRegistered()) {
            throw new IllegalStateException(netif.name() + " is unregistered");
        }
        DevmemSocket s = new DevmemSocket(this, port);
        if (!sockets.compareAndSet(port, null, s)) {
            throw new IllegalStateException("port " + port + " is in use on " + netif.name());
        }
        netif.rxWake(); // a connection that waited for this socket can be received from now
        return s;
    }

    /**
     * The protocol layer ({@code tcp_v4_rcv}): finds the socket by destination port, reads the TCP
     * flags, pulls the headers and queues the skb (a FIN or RST segment without data is queued too,
     * so the socket sees the end of the stream after the data before it); with no socket the skb is
     * consumed and freed (the kernel answers with a reset), which is not a drop.
     */
    @Override
    public int receiveSkb(SkBuff skb) {
        int port = Headers.dstPort(skb.head().segment(), skb.headOffset());
        DevmemSocket sock = sockets.get(port);
        skb.setTcpFlags(Headers.tcpFlags(skb.head().segment(), skb.headOffset()));
        skb.pull(Headers.HEADER_LEN);
        if (sock == null) {
            skb.free(); // NAPI context: the buffers recycle into the fast caches
            return NET_RX_SUCCESS;
        }
        if (!sock.enqueue(skb)) {
            skb.free();
            return NET_RX_DROP;
        }
        return NET_RX_SUCCESS;
    }

    @Override
    public boolean rcvWindowOpen(int srcPort, int dstPort) {
        DevmemSocket s = sockets.get(dstPort);
        return s == null || s.rmemAlloc() < netif.rcvbuf();
    }

    @Override
    public boolean hasSocket(int dstPort) {
        return dstPort >= 0 && dstPort < sockets.length() && sockets.get(dstPort) != null;
    }

    /** Closes every socket: the device is going away. */
    @Override
    public void netdevUnregister() {
        for (int p = 0; p < sockets.length(); p++) {
            DevmemSocket s = sockets.get(p);
            if (s != null) {
                s.close();
            }
        }
    }

    long rmemHardLimit() {
        return netif.rmemHardLimit();
    }

    void removeSocket(DevmemSocket s) {
        sockets.compareAndSet(s.port(), s, null);
    }

    @Override
    public String toString() {
        return "NetStack[" + netif.name() + "]";
    }
}
