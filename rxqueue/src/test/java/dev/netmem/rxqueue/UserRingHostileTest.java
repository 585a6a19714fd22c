package dev.netmem.rxqueue;

import static dev.netmem.rxqueue.TestSupport.payload;
import static dev.netmem.testsupport.base.Await.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.netmem.api.Errno;
import dev.netmem.api.ErrnoException;
import dev.netmem.api.NetIov;
import dev.netmem.providers.zcrx.ZcrxArea;
import dev.netmem.providers.zcrx.ZcrxIfq;
import dev.netmem.providers.zcrx.ZcrxStats;
import dev.netmem.providers.zcrx.ZcrxUserRing;
import dev.netmem.rxqueue.netdev.Netdev;
import dev.netmem.rxqueue.netdev.NetdevNlSock;
import dev.netmem.rxqueue.netdev.RxBinding;
import dev.netmem.rxqueue.nic.NetDevice;
import dev.netmem.rxqueue.stack.DevmemSocket;
import dev.netmem.rxqueue.stack.NetStack;
import dev.netmem.rxqueue.wire.PayloadPattern;
import dev.netmem.rxqueue.zcrx.IoUringZcrx;
import dev.netmem.testsupport.base.HostileTally;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The user ring's hostile-input and ownership guarantees on a device, on both NIC drivers: the
 * provider-level suite ({@code ZcrxRefillHostileTest} in providers) drives a {@link ZcrxIfq}
 * directly, entry by entry; here data really arrives through the driver (on io_uring, from a
 * loopback TCP connection), is handed to the user ring with {@link IoUringZcrx#recvZc}, and a seeded
 * user writes a mix of valid and hostile refill entries (nonzero pad, foreign area, index past the
 * area, garbage, buffers it holds no reference on, returns twice). Every entry is counted as the
 * kernel's {@code io_parse_rqe} would, a hostile entry never frees a buffer the user still holds
 * (its bytes are checked after every round), and at the end every buffer is back in the area and no
 * file is left. Entries are consumed whenever the queue's page pool next allocates; each round
 * forces that with a queue restart, whose new pool fills from the refill ring first.
 */
@Timeout(120)
@ParameterizedClass(name = "{0}")
@EnumSource(TestDriver.class)
class UserRingHostileTest extends DeviceTestBase {
    private static final int ROUNDS = 8;
    private static final int AREA_BUFFERS = 512;
    private static final int RQ = 64;
    private static final Duration T = Duration.ofSeconds(10);
    private static final PayloadPattern P = PayloadPattern.repeating(13);

    @TempDir
    Path dir;

    @Parameter
    TestDriver driver;

    @Override
    TestDriver driver() {
        return driver;
    }

    static List<Long> seeds() {
        return HostileTally.seeds();
    }

    /** A completion the user holds: where its bytes are and where they sit in the stream. */
    private record Held(long off, int len, long streamOff) {
        int index() {
            return (int) ((off & ~ZcrxArea.IORING_ZCRX_AREA_MASK) >>> NetIov.PAGE_SHIFT);
        }
    }

    /** The counters the model predicts, as {@link ZcrxStats} names them. */
    private static final class Model {
        final int[] userRefs = new int[AREA_BUFFERS];
        long refilled;
        long badPad;
        long badArea;
        long badIndex;
        long noUserRef;
        long posted;

        void assertMatches(ZcrxStats s, String what) {
            assertEquals(List.of(refilled, badPad, badArea, badIndex, noUserRef),
                    List.of(s.refilled(), s.badPad(), s.badArea(), s.badIndex(), s.noUserRef()),
                    what + ": refilled, badPad, badArea, badIndex, noUserRef");
        }
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void shouldCountEveryHostileRefillEntryAndNeverFreeABufferTheUserHolds(long seed) throws Exception {
        System.out.println("UserRingHostileTest " + driver + " seed=" + seed);
        HostileTally tally = new HostileTally("user-ring refill (" + driver + ")", seed);
        Random r = new Random(seed);
        NetDevice dev = device(NetDevice.builder("urh").rxQueues(2).ringSize(16).headerSplit(true, 0));
        int port = port(6201);
        dev.addFlowRule(port, 1);
        dev.open();
        MemorySegment mem = Arena.ofShared().allocate((long) AREA_BUFFERS * NetIov.PAGE_SIZE, NetIov.PAGE_SIZE);
        NetdevNlSock nl = Netdev.open();
        RxBinding b = IoUringZcrx.bindRxUserRing(nl, dev, ZcrxArea.ofUserMemory(mem), 1, RQ, 256, dir);
        ZcrxIfq ifq = assertInstanceOf(ZcrxIfq.class, b.provider());
        DevmemSocket sock = NetStack.of(dev).openSocket(port);
        Model m = new Model();
        List<Held> held = new ArrayList<>();
        long[] stream = {0, 0}; // bytes sent, bytes received
        try (ZcrxUserRing ring = ZcrxUserRing.open(ifq.regionPath(), mem)) {
            long token = ring.areaToken();
            for (int round = 0; round < ROUNDS; round++) {
                String what = driver + " seed " + seed + " round " + round;
                receive(dev, sock, ifq, ring, port, 4 + r.nextInt(9), held, m, stream, what);
                int entries = 8 + r.nextInt(RQ - 16);
                for (int e = 0; e < entries; e++) {
                    hostileOrValid(r, ring, token, held, m, tally);
                }
                dev.restartQueue(1); // the new pool's first allocation consumes the refill ring
                await(what + ": every refill entry consumed", () -> ifq.stats().entriesConsumed() == m.posted);
                m.assertMatches(ifq.stats(), what);
                for (Held h : held) { // nothing the user still holds was recycled and overwritten
                    verify(ring.data(h.off(), h.len()), h.streamOff(), h.len(), what);
                }
            }
            while (!held.isEmpty()) { // everything back, at most a refill ring's worth per restart
                for (int i = 0; i < RQ / 2 && !held.isEmpty(); i++) {
                    Held h = held.removeLast();
                    assertTrue(ring.refill(h.off(), h.len()));
                    m.userRefs[h.index()]--;
                    m.refilled++;
                    m.posted++;
                }
                dev.restartQueue(1);
                await("the last refills consumed", () -> ifq.stats().entriesConsumed() == m.posted);
            }
            m.assertMatches(ifq.stats(), driver + " seed " + seed + " end");
        }
        sock.close();
        b.close(); // closes the ifq: the queue restarts without it
        await("the ifq is freed", ifq::isFreed);
        assertEquals(0, ifq.stats().scrubbed(), "every user reference was returned before close");
        assertEquals(AREA_BUFFERS, ifq.area().freeCount(), "every buffer back in the area");
        nl.close();
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(List.of(), files.toList(), "the region file is removed");
        }
        tally.print();
    }

    /** Sends {@code packets} segments and hands every byte to the user ring; records the completions. */
    private void receive(NetDevice dev, DevmemSocket sock, ZcrxIfq ifq, ZcrxUserRing ring, int port, int packets,
                         List<Held> held, Model m, long[] stream, String what) {
        for (int i = 0; i < packets; i++) {
            int len = 500 + (int) (stream[0] % 2500);
            transmit(dev, 40000, port, payload(P, stream[0], len));
            stream[0] += len;
        }
        long deadline = System.nanoTime() + T.toNanos();
        while (stream[1] < stream[0]) {
            assertTrue(System.nanoTime() < deadline, what + ": received " + stream[1] + " of " + stream[0]);
            IoUringZcrx.recvZc(sock, ifq, Duration.ofMillis(50));
            ring.poll((off, len, flags) -> {
                Held h = new Held(off, len, stream[1]);
                verify(ring.data(off, len), h.streamOff(), len, what);
                stream[1] += len;
                held.add(h);
                m.userRefs[h.index()]++;
            });
        }
    }

    /** One refill entry, valid or hostile, and what the model says the provider will count. */
    private static void hostileOrValid(Random r, ZcrxUserRing ring, long token, List<Held> held, Model m,
                                       HostileTally tally) {
        int kind = r.nextInt(8);
        if (kind <= 1 && !held.isEmpty()) { // valid: return one held completion
            Held h = held.remove(r.nextInt(held.size()));
            assertTrue(ring.refill(h.off(), h.len()));
            m.userRefs[h.index()]--;
            m.refilled++;
            tally.accepted();
        } else if (kind == 2) { // nonzero __pad on an otherwise plausible entry
            assertTrue(ring.postRefillEntry(token | ((long) r.nextInt(AREA_BUFFERS) << NetIov.PAGE_SHIFT), 1,
                    1 + r.nextInt(Integer.MAX_VALUE)));
            m.badPad++;
            tally.counted();
        } else if (kind == 3) { // another area's token, or all ones
            long off = r.nextBoolean() ? -1L : (token + (1L + r.nextInt(100) << ZcrxArea.IORING_ZCRX_AREA_SHIFT))
                    | ((long) r.nextInt(AREA_BUFFERS) << NetIov.PAGE_SHIFT);
            assertTrue(ring.postRefillEntry(off, r.nextInt(), 0));
            m.badArea++;
            tally.counted();
        } else if (kind == 4) { // past the area
            long idx = AREA_BUFFERS + (r.nextBoolean() ? r.nextInt(1000) : (1L << 35) - 1 - AREA_BUFFERS);
            assertTrue(ring.postRefillEntry(token | (idx << NetIov.PAGE_SHIFT), 1, 0));
            m.badIndex++;
            tally.counted();
        } else { // a buffer the user holds no reference on: never handed out, or already returned
            int idx = r.nextInt(AREA_BUFFERS);
            for (int tries = 0; m.userRefs[idx] != 0 && tries < AREA_BUFFERS; tries++) {
                idx = (idx + 1) % AREA_BUFFERS;
            }
            assertEquals(0, m.userRefs[idx], "a buffer the user does not hold");
            assertTrue(ring.postRefillEntry(token | ((long) idx << NetIov.PAGE_SHIFT) | r.nextInt(NetIov.PAGE_SIZE),
                    1 + r.nextInt(NetIov.PAGE_SIZE), 0));
            m.noUserRef++;
            tally.counted();
        }
        m.posted++;
    }

    private static void verify(MemorySegment seg, long streamOff, int len, String what) {
        for (int i = 0; i < len; i++) {
            byte b = seg.get(ValueLayout.JAVA_BYTE, i);
            if (b != P.at(streamOff + i)) {
                throw new AssertionError(what + ": stream byte " + (streamOff + i) + " expected " + P.at(streamOff + i)
                        + " but was " + b);
            }
        }
    }

    /** User-ring memory never leaves through the devmem receive path, whichever driver wrote it. */
    @Test
    void shouldRefuseUserRingMemoryInADevmemReceiveAndHandItToTheUserRing() {
        NetDevice dev = device(NetDevice.builder("urd").rxQueues(2).ringSize(16).headerSplit(true, 0));
        int port = port(6202);
        dev.addFlowRule(port, 1);
        dev.open();
        MemorySegment mem = Arena.ofShared().allocate(1 << 20, NetIov.PAGE_SIZE);
        MemorySegment iov = Arena.ofAuto().allocate(1 << 16);
        try (NetdevNlSock nl = Netdev.open(); DevmemSocket sock = NetStack.of(dev).openSocket(port)) {
            RxBinding b = IoUringZcrx.bindRxUserRing(nl, dev, ZcrxArea.ofUserMemory(mem), 1, 64, 64, dir);
            transmit(dev, 40000, port, payload(P, 0, 2000));
            await("queued", () -> sock.queuedBytes() == 2000);
            ErrnoException e = assertThrows(ErrnoException.class,
                    () -> sock.recvmsg(iov, new ArrayList<>(), DevmemSocket.MSG_SOCK_DEVMEM, T));
            assertEquals(Errno.ENODEV, e.errno());
            assertEquals("frag 0 is IOURING memory, not a dma-buf", e.getMessage());
            assertEquals(2000, sock.queuedBytes(), "the refused receive consumed nothing");
            assertEquals(2000, IoUringZcrx.recvZc(sock, (ZcrxIfq) b.provider(), T), "the right receive path takes it");
        }
    }
}
