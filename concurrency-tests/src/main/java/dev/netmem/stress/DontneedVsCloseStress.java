package dev.netmem.stress;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import dev.netmem.api.DmaDevice;
import dev.netmem.api.NetIov;
import dev.netmem.api.PagePool;
import dev.netmem.api.PagePoolParams;
import dev.netmem.rxqueue.net.SkBuff;
import dev.netmem.rxqueue.net.Headers;
import dev.netmem.rxqueue.net.NetifRx;
import dev.netmem.rxqueue.stack.DevmemRecord;
import dev.netmem.rxqueue.stack.DevmemSocket;
import dev.netmem.rxqueue.stack.DmabufToken;
import dev.netmem.rxqueue.stack.NetStack;
import dev.netmem.testsupport.StubQueue;
import dev.netmem.testsupport.TestProvider;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.IIIII_Result;

/**
 * {@code SO_DEVMEM_DONTNEED} races the socket's close ({@code tcp_release_user_frags}): a socket
 * holds two devmem tokens received through the real {@code recvmsg} path; one thread gives both
 * back while another closes the socket. Every buffer goes home exactly once: either dontneed
 * returned both and close found none, or close returned both and dontneed found none.
 *
 * <p>The skb reaches the socket the way a driver hands it up: through the stack's
 * {@link NetifRx#receiveSkb} seam of a {@link StressNetif} (a device without queues or threads),
 * one per test state.
 */
@JCStressTest
@Description("DevmemSocket.dontneed of every token races DevmemSocket.close.")
@Outcome(id = "2, 0, 0, 1, 1", expect = ACCEPTABLE, desc = "dontneed returned both tokens, close found none.")
@Outcome(id = "0, 0, 0, 1, 1", expect = ACCEPTABLE, desc = "close returned both tokens, dontneed found none.")
@Outcome(expect = FORBIDDEN, desc = "A token returned twice or lost, an exception, or a buffer not home once.")
@State
public class DontneedVsCloseStress {
    private static final DmaDevice DMA = new DmaDevice("jcstress-dma", true);

    private final TestProvider payload = TestProvider.dmabuf(2);
    private final TestProvider heads = TestProvider.hostPages(1);
    private final PagePool payloadPool = PagePool.create(StubQueue.poolParams(payload, DMA).poolSize(16).build());
    private final PagePool headPool = PagePool.create(PagePoolParams.builder().poolSize(16).hostPages(heads).build());
    private final NetStack stack = NetStack.of(new StressNetif("jcstress0"));
    private final DevmemSocket socket = stack.openSocket(9999);
    private final int tokensReceived;

    /** One devmem skb with two dma-buf frags, received: the socket holds two tokens. */
    public DontneedVsCloseStress() {
        NetIov head = headPool.alloc();
        Headers.write(head.segment(), 0, 1, 9999, 200);
        SkBuff skb = SkBuff.build(head, 0, Headers.HEADER_LEN);
        skb.addRxFrag(payloadPool.alloc(), 0, 100);
        skb.addRxFrag(payloadPool.alloc(), 0, 100);
        skb.markForRecycle();
        if (stack.receiveSkb(skb) != NetifRx.NET_RX_SUCCESS) {
            throw new IllegalStateException("socket refused the skb");
        }
        List<DevmemRecord> records = new ArrayList<>(2);
        MemorySegment iov = Arena.ofAuto().allocate(256);
        if (socket.recvmsg(iov, records, DevmemSocket.MSG_SOCK_DEVMEM | DevmemSocket.MSG_DONTWAIT, Duration.ZERO)
                != 200) {
            throw new IllegalStateException("expected 200 bytes: " + records);
        }
        tokensReceived = socket.outstandingTokens();
    }

    /** The application gives both tokens back. */
    @Actor
    public void dontneed(IIIII_Result r) {
        try {
            r.r1 = socket.dontneed(new DmabufToken(1, 2)); // tokens start at 1 (XA_FLAGS_ALLOC1)
        } catch (RuntimeException e) {
            r.r1 = -1;
        }
    }

    /** The application closes the socket. */
    @Actor
    public void close(IIIII_Result r) {
        try {
            socket.close();
        } catch (RuntimeException e) {
            r.r2 = 1;
        }
    }

    /** freed by dontneed, close error, tokens left, every buffer home once, tokens received == 2. */
    @Arbiter
    public void check(IIIII_Result r) {
        r.r3 = socket.outstandingTokens();
        payloadPool.destroy();
        headPool.destroy();
        r.r4 = payloadPool.state() == PagePool.State.RELEASED && headPool.state() == PagePool.State.RELEASED
                && payload.allHomeOnce() && payload.handedOut() == 2 && heads.allHomeOnce() ? 1 : 0;
        r.r5 = tokensReceived == 2 ? 1 : 0;
    }
}
