package dev.netmem.rxqueue;

import static dev.netmem.rxqueue.TestSupport.payload;
import static dev.netmem.testsupport.base.Await.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.netmem.api.Errno;
import dev.netmem.api.ErrnoException;
import dev.netmem.api.PagePool;
import dev.netmem.providers.dmabuf.Dmabuf;
import dev.netmem.providers.dmabuf.DmabufBinding;
import dev.netmem.rxqueue.netdev.Netdev;
import dev.netmem.rxqueue.netdev.NetdevNlSock;
import dev.netmem.rxqueue.netdev.RxBinding;
import dev.netmem.rxqueue.nic.NetDevice;
import dev.netmem.rxqueue.stack.DevmemRecord;
import dev.netmem.rxqueue.stack.DevmemSocket;
import dev.netmem.rxqueue.stack.DmabufToken;
import dev.netmem.rxqueue.stack.NetStack;
import dev.netmem.rxqueue.wire.PayloadPattern;
import dev.netmem.testsupport.TestProvider;
import dev.netmem.testsupport.base.HostileTally;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
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
 * {@code SO_DEVMEM_DONTNEED} under hostile input, seeded: two sockets hold real tokens of devmem data
 * received into a dma-buf; random runs (unknown tokens, the other socket's tokens, duplicates within
 * a call and across calls, negative and huge starts and counts, more than
 * {@link DevmemSocket#MAX_DONTNEED_TOKENS} runs, runs past {@link DevmemSocket#MAX_DONTNEED_FRAGS},
 * null runs; passed as {@link DmabufToken} objects or as {@code struct dmabuf_token} entries in memory,
 * the setsockopt form, whose bad {@code optlen}s are refused) are checked against a model of the
 * kernel's loop: the return value is the number of tokens the socket really held among the first
 * 1024 inspected, and each socket's outstanding tokens match. After close every buffer is home. Each
 * case prints a summary line with its seed; rerun one with {@code -Dnetmem.seed=N}. Runs on both NIC
 * drivers: on the io_uring driver the tokens are of data the kernel received from a real loopback
 * connection.
 */
@Timeout(60)
@ParameterizedClass(name = "{0}")
@EnumSource(TestDriver.class)
class DontneedHostileTest extends DeviceTestBase {
    private static final int STEPS = 1_500;
    private static final Duration T = Duration.ofSeconds(5);
    private static final PayloadPattern P = PayloadPattern.repeating(11);

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

    /** One socket and the tokens the model says it holds. */
    private static final class Side {
        final DevmemSocket sock;
        final int port;
        final Set<Integer> tokens = new HashSet<>();
        final List<Integer> everHeld = new ArrayList<>();

        Side(DevmemSocket sock) {
            this.sock = sock;
            this.port = sock.port();
        }

        int any(Random r) {
            if (tokens.isEmpty()) {
                return r.nextInt(64);
            }
            List<Integer> l = new ArrayList<>(tokens);
            return l.get(r.nextInt(l.size()));
        }
    }

    private final MemorySegment iov = Arena.ofAuto().allocate(1 << 20);

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void shouldFreeExactlyTheTokensTheSocketHoldsAndBringEveryBufferHome(long seed) throws Exception {
        System.out.println("DontneedHostileTest seed=" + seed);
        HostileTally tally = new HostileTally("dontneed", seed);
        Random r = new Random(seed);
        NetDevice dev = device(NetDevice.builder("dn").rxQueues(2).ringSize(16).unsplitPayloads(100));
        int portA = port(6001);
        int portB = port(6002);
        dev.addFlowRule(portA, 1);
        dev.addFlowRule(portB, 1);
        dev.open();
        Dmabuf dmabuf = Dmabuf.create(dir, 512L * 4096);
        NetdevNlSock nl = Netdev.open();
        RxBinding binding = nl.bindRx(dev, dmabuf, 1);
        DmabufBinding db = assertInstanceOf(DmabufBinding.class, binding.provider());
        Side a = new Side(NetStack.of(dev).openSocket(portA));
        Side b = new Side(NetStack.of(dev).openSocket(portB));
        long inspectedTotal = 0;
        long freedTotal = 0;
        for (int step = 0; step < STEPS; step++) {
            String what = "seed " + seed + " step " + step;
            Side s = r.nextBoolean() ? a : b;
            Side o = s == a ? b : a;
            if (r.nextInt(7) == 0 && s.tokens.size() < 120) {
                receive(dev, s, 1 + r.nextInt(6), what);
                continue;
            }
            DmabufToken[] runs = runs(r, s, o);
            int bad = r.nextInt(25);
            if (bad == 0 && runs.length < DevmemSocket.MAX_DONTNEED_TOKENS) { // a null run: refused, nothing moves
                int at = runs.length == 0 ? 0 : r.nextInt(runs.length + 1);
                List<DmabufToken> l = new ArrayList<>(List.of(runs));
                l.add(at, null);
                DmabufToken[] withNull = l.toArray(new DmabufToken[0]);
                NullPointerException e = assertThrows(NullPointerException.class, () -> s.sock.dontneed(withNull),
                        what);
                assertEquals("runs[" + at + "]", e.getMessage(), what);
                tally.rejected();
            } else if (bad == 1) { // too many runs: EINVAL before any token moves
                DmabufToken[] many = new DmabufToken[DevmemSocket.MAX_DONTNEED_TOKENS + 1 + r.nextInt(200)];
                for (int i = 0; i < many.length; i++) {
                    many[i] = DmabufToken.of(s.any(r));
                }
                ErrnoException e = assertThrows(ErrnoException.class, () -> s.sock.dontneed(many), what);
                assertEquals(Errno.EINVAL, e.errno(), what);
                assertEquals("too many dmabuf tokens: " + many.length + " > 128", e.getMessage(), what);
                tally.rejected();
            } else if (bad == 2) { // a negative count is not a dmabuf_token
                int count = -1 - r.nextInt(Integer.MAX_VALUE);
                assertEquals("tokenCount must be >= 0: " + count, assertThrows(IllegalArgumentException.class,
                        () -> new DmabufToken(s.any(r), count), what).getMessage());
                tally.rejected();
            } else if (bad == 3) { // the setsockopt form: a bad optlen is refused before any token moves
                MemorySegment optval = optval(runs);
                long optlen = switch (r.nextInt(4)) {
                    case 0 -> -8L * (1 + r.nextInt(4));
                    case 1 -> 8L * runs.length + 1 + r.nextInt(7); // not a whole dmabuf_token
                    case 2 -> 8L * (DevmemSocket.MAX_DONTNEED_TOKENS + 1 + r.nextInt(64));
                    default -> 8L * (runs.length + 1 + r.nextInt(8)); // past the end of optval
                };
                ErrnoException e = assertThrows(ErrnoException.class, () -> s.sock.dontneed(optval, optlen), what);
                if (optlen >= 0 && optlen % 8 == 0 && optlen <= 8L * DevmemSocket.MAX_DONTNEED_TOKENS) {
                    assertEquals(Errno.EFAULT, e.errno(), what);
                    assertEquals("optlen " + optlen + " is past the end of optval (" + optval.byteSize() + " bytes)",
                            e.getMessage(), what);
                } else {
                    assertEquals(Errno.EINVAL, e.errno(), what);
                    assertEquals("optlen must be a multiple of 8 up to 1024: " + optlen, e.getMessage(), what);
                }
                tally.rejected();
            } else {
                int inspected = 0;
                int expected = 0;
                int asked = 0;
                outer:
                for (DmabufToken run : runs) {
                    for (long j = 0; j < run.tokenCount(); j++) {
                        if (++inspected > DevmemSocket.MAX_DONTNEED_FRAGS) {
                            inspected--;
                            break outer;
                        }
                        asked++;
                        long t = (Integer.toUnsignedLong(run.tokenStart()) + j) & 0xFFFF_FFFFL; // u32: wraps
                        if (t >= 0 && t <= Integer.MAX_VALUE && s.tokens.remove((int) t)) {
                            expected++;
                        }
                    }
                }
                // either form: the run objects, or struct dmabuf_token entries in memory (the setsockopt layout)
                assertEquals(expected, r.nextBoolean() ? s.sock.dontneed(runs)
                        : s.sock.dontneed(optval(runs), 8L * runs.length), what);
                inspectedTotal += inspected;
                freedTotal += expected;
                if (expected == asked) {
                    tally.accepted();
                } else {
                    tally.counted();
                }
            }
            assertEquals(s.tokens.size(), s.sock.outstandingTokens(), what);
            assertEquals(o.tokens.size(), o.sock.outstandingTokens(), what + ": the other socket is untouched");
        }
        System.out.println("dontneed seed=" + seed + " tokens inspected=" + inspectedTotal + " freed=" + freedTotal
                + " outstanding at close=" + (a.tokens.size() + b.tokens.size()));

        // Close: every outstanding token goes home; a closed socket frees nothing.
        List<Integer> left = new ArrayList<>(a.tokens);
        a.sock.close();
        assertEquals(0, a.sock.outstandingTokens());
        if (!left.isEmpty()) {
            assertEquals(0, a.sock.dontneed(DmabufToken.of(left.get(0))), "closed: nothing to free");
        }
        b.sock.close();
        PagePool pool = dev.rxQueue(1).pagePool();
        nl.close();
        assertTrue(binding.isClosed());
        await("the old pool released", () -> pool.state() == PagePool.State.RELEASED);
        await("every chunk home", () -> db.chunksOut() == 0);
        await("binding freed", db::isFreed);
        assertEquals(0, pool.inflight());
        dmabuf.close();
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(List.of(), files.toList(), "the dma-buf file is removed");
        }
        tally.print();
    }

    @Test
    void shouldRefuseANullRunBeforeTakingAnyToken() {
        NetDevice dev = device(NetDevice.builder("dnnull").rxQueues(2).ringSize(16).unsplitPayloads(100));
        int port = port(6003);
        dev.addFlowRule(port, 1);
        dev.open();
        NetdevNlSock nl = Netdev.open();
        TestProvider mp = TestProvider.dmabuf(64);
        nl.bindRx(dev, mp, 1);
        Side s = new Side(NetStack.of(dev).openSocket(port));
        receive(dev, s, 2, "null run"); // two tokens, or one where the kernel's TCP coalesced the two sends
        int held = s.tokens.size();
        int t = s.any(new Random(0));
        NullPointerException e = assertThrows(NullPointerException.class,
                () -> s.sock.dontneed(DmabufToken.of(t), null));
        assertEquals("runs[1]", e.getMessage());
        assertEquals(held, s.sock.outstandingTokens(), "the token before the null was not taken (and lost)");
        assertEquals(1, s.sock.dontneed(DmabufToken.of(t)));
        s.sock.close();
        nl.close();
        await("every chunk home", () -> mp.inUse() == 0);
    }

    /** {@code runs} as {@code struct dmabuf_token} entries: u32 start, u32 count, native order, unaligned. */
    private static MemorySegment optval(DmabufToken[] runs) {
        MemorySegment m = Arena.ofAuto().allocate(8L * runs.length + 1).asSlice(1);
        for (int i = 0; i < runs.length; i++) {
            m.set(ValueLayout.JAVA_INT_UNALIGNED, 8L * i, runs[i].tokenStart());
            m.set(ValueLayout.JAVA_INT_UNALIGNED, 8L * i + 4, runs[i].tokenCount());
        }
        return m;
    }

    /** Sends {@code packets} segments to the socket and receives them as devmem records. */
    private void receive(NetDevice dev, Side s, int packets, String what) {
        long before = s.sock.queuedBytes();
        for (int i = 0; i < packets; i++) {
            transmit(dev, 40000 + s.port, s.port, payload(P, 0, 500 + i * 300));
        }
        long bytes = 0;
        for (int i = 0; i < packets; i++) {
            bytes += 500 + i * 300;
        }
        long want = before + bytes;
        await("queued", () -> s.sock.queuedBytes() == want);
        List<DevmemRecord> recs = new ArrayList<>();
        assertEquals((int) want, s.sock.recvmsg(iov, recs, DevmemSocket.MSG_SOCK_DEVMEM, T), what);
        for (DevmemRecord rec : recs) {
            DevmemRecord.Dmabuf d = assertInstanceOf(DevmemRecord.Dmabuf.class, rec, what);
            assertTrue(s.tokens.add(d.fragToken()), what + ": token " + d.fragToken() + " handed out twice");
            s.everHeld.add(d.fragToken());
        }
        assertEquals(s.tokens.size(), s.sock.outstandingTokens(), what);
    }

    /** Random runs: held tokens, duplicates, the other socket's, unknown, negative, huge. */
    private static DmabufToken[] runs(Random r, Side s, Side o) {
        int n = r.nextInt(10) == 0 ? DevmemSocket.MAX_DONTNEED_TOKENS : r.nextInt(8);
        DmabufToken[] runs = new DmabufToken[n];
        for (int i = 0; i < n; i++) {
            int start;
            switch (r.nextInt(10)) {
                case 0 -> start = s.any(r); // held (maybe)
                case 2 -> start = s.everHeld.isEmpty() ? 0 : s.everHeld.get(r.nextInt(s.everHeld.size())); // stale
                case 3 -> start = o.any(r); // the other socket's
                case 4 -> start = 1000 + r.nextInt(1 << 20); // never handed out
                case 5 -> start = -1 - r.nextInt(3); // negative
                case 6 -> start = r.nextBoolean() ? Integer.MAX_VALUE - r.nextInt(3) : Integer.MIN_VALUE;
                case 7 -> start = r.nextInt();
                default -> start = i > 0 ? runs[i - 1].tokenStart() : s.any(r); // a duplicate in this call
            }
            int count = switch (r.nextInt(8)) {
                case 0 -> 0;
                case 1 -> 2 + r.nextInt(5);
                case 2 -> r.nextBoolean() ? Integer.MAX_VALUE : 1000 + r.nextInt(100);
                default -> 1;
            };
            runs[i] = new DmabufToken(start, count);
        }
        return runs;
    }
}
