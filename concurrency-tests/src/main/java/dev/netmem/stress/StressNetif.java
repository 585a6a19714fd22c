package dev.netmem.stress;

import dev.netmem.rxqueue.net.Netif;
import dev.netmem.rxqueue.net.NetifRx;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A device as the stack sees it ({@link Netif}) with no queues, threads or registry entry: what a
 * stress test needs to open sockets on a {@link dev.netmem.rxqueue.stack.NetStack} and hand it skbs
 * through the driver seam, once per jcstress state.
 */
final class StressNetif implements Netif {
    private final String name;
    private final AtomicReference<NetifRx> handler = new AtomicReference<>();

    StressNetif(String name) {
        this.name = name;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public int ifindex() {
        return 0;
    }

    @Override
    public boolean isRegistered() {
        return true;
    }

    @Override
    public long rcvbuf() {
        return 1L << 20;
    }

    @Override
    public long rmemHardLimit() {
        return 2L << 20;
    }

    @Override
    public NetifRx rxHandler() {
        return handler.get();
    }

    @Override
    public NetifRx rxHandlerRegister(NetifRx h) {
        NetifRx w = handler.compareAndExchange(null, h);
        return w == null ? h : w;
    }
}
