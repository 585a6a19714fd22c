package dev.netmem.rxqueue;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.netmem.rxqueue.nic.IoUringNic;
import dev.netmem.rxqueue.nic.NetDevice;
import dev.netmem.uring.IoUringAvailability;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/**
 * Tests that build devices: every device built through {@link #device} is unregistered after the test.
 * A suite whose guarantees must hold on both NIC drivers overrides {@link #driver()} (a
 * {@code @ParameterizedClass} over {@link TestDriver}), builds with {@link #device}, picks ports with
 * {@link #port} and sends with {@link #transmit}.
 */
abstract class DeviceTestBase {
    private final List<NetDevice> devices = new ArrayList<>();
    private final Map<String, SocketChannel> connections = new HashMap<>();

    /** The driver {@link #device} builds with: the emulated NIC unless a suite says otherwise. */
    TestDriver driver() {
        return TestDriver.EMULATED;
    }

    @BeforeEach
    void requireDriver() {
        if (driver() == TestDriver.IO_URING) {
            IoUringAvailability a = IoUringAvailability.check();
            if (!a.available()) {
                System.out.println(getClass().getSimpleName() + " on io_uring skipped: " + a.message());
            }
            assumeTrue(a.available(), a.message());
        }
    }

    /** Builds a device with {@link #driver()} and remembers it for teardown. */
    NetDevice device(NetDevice.Builder b) {
        NetDevice d = driver().apply(b).build();
        devices.add(d);
        return d;
    }

    /**
     * A port for a flow rule and a socket: {@code emulated} on the emulated NIC (no real socket is
     * bound), a free loopback port on the io_uring driver (its listener binds it for real).
     */
    int port(int emulated) {
        if (driver() == TestDriver.EMULATED) {
            return emulated;
        }
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Sends {@code payload} to port {@code dst} of {@code dev}: on the emulated NIC one packet from
     * {@code src} on the wire ({@link TestSupport#send}); on the io_uring driver the bytes written to
     * a loopback TCP connection to {@code dst} (opened at the first send: the driver listens on
     * {@code dst} and receives it; the kernel picks the source port and may segment or coalesce).
     */
    void transmit(NetDevice dev, int src, int dst, MemorySegment payload) {
        if (!(dev.driver() instanceof IoUringNic nic)) {
            TestSupport.send(dev, src, dst, payload);
            return;
        }
        SocketChannel ch = connections.computeIfAbsent(dev.name() + ":" + dst, k -> connect(nic, dst));
        try {
            ByteBuffer b = payload.asByteBuffer();
            while (b.hasRemaining()) {
                ch.write(b);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static SocketChannel connect(IoUringNic nic, int dst) {
        IoUringNic.Listener l = nic.listen(dst); // closed when the device unregisters
        try {
            SocketChannel ch = SocketChannel.open(new InetSocketAddress(InetAddress.getLoopbackAddress(), dst));
            assertNotNull(l.nextAccepted(Duration.ofSeconds(10)), "the driver accepted the connection to " + dst);
            return ch;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    @AfterEach
    void unregisterDevices() throws IOException {
        for (SocketChannel ch : connections.values()) {
            ch.close();
        }
        for (NetDevice d : devices) {
            d.unregister();
        }
    }
}
