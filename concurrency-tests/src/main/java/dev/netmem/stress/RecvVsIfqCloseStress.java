package dev.netmem.stress;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE_INTERESTING;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import dev.netmem.api.DmaDevice;
import dev.netmem.api.Napi;
import dev.netmem.api.NetIov;
import dev.netmem.api.PagePool;
import dev.netmem.providers.zcrx.ZcrxArea;
import dev.netmem.providers.zcrx.ZcrxIfq;
import dev.netmem.testsupport.StubQueue;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.IIIII_Result;

/**
 * A receive ({@code io_zcrx_recv_frag}: pp_ref++, user ref++, CQE) races the ifq's close
 * ({@code io_shutdown_zcrx_ifqs}: scrub the user references). The kernel cancels the ring's receive
 * requests before it scrubs, so a user reference is never taken behind the scrub's back; here
 * close runs from another thread ({@code RxBinding.close}, the netlink socket's close, the GC
 * cleaner), so the ifq itself must exclude receives while it closes: either the completion was
 * posted before the scrub, which then drops its user reference, or the receive sees the ifq closed
 * and takes no reference. Either way, once the pool is destroyed it is released and the ifq freed.
 */
@JCStressTest
@Description("ZcrxIfq.postCompletion (receive) races ZcrxIfq.close (scrub).")
@Outcome(id = "1, 1, 0, 1, 1", expect = ACCEPTABLE,
        desc = "The completion came first: the scrub dropped its user reference; everything went home.")
@Outcome(id = "0, 0, 0, 1, 1", expect = ACCEPTABLE_INTERESTING,
        desc = "The close came first: the receive found the ifq closed and took no reference.")
@Outcome(expect = FORBIDDEN,
        desc = "A user reference taken behind the scrub (left over, pool stuck in DESTROYING, ifq never freed),"
                + " or one dropped twice.")
@State
public class RecvVsIfqCloseStress {
    private static final Path DIR = Path.of(System.getProperty("netmem.shm", "/dev/shm"));

    private final DmaDevice dma = new DmaDevice("jcstress-zcrx-close", true);
    private final ZcrxArea area = ZcrxArea.ofUserMemory(Arena.ofAuto().allocate(NetIov.PAGE_SIZE, NetIov.PAGE_SIZE));
    private final ZcrxIfq ifq = ZcrxIfq.register(area, dma, 4, 8, DIR, q -> { });
    private final Napi napi = new Napi("jcstress-zcrx-close");
    private final PagePool pool = PagePool.create(StubQueue.poolParams(ifq, dma).poolSize(16).napi(napi).build());
    /** The received buffer; the skb's reference is the caller's. */
    private final NetIov b = AsNapi.alloc(pool, napi);

    /** The receive path: posts a completion for the skb's frag, then frees the skb. */
    @Actor
    public void recv(IIIII_Result r) {
        try {
            r.r1 = ifq.postCompletion(b, 0, 64) ? 1 : 0;
        } catch (IllegalStateException closed) {
            r.r1 = 0;
        }
        pool.putNetmem(b, -1, false);
    }

    /** The control path closes the ifq. */
    @Actor
    public void close() {
        ifq.close();
    }

    /** posted, user refs the scrub dropped, user refs left, pool released after destroy, ifq freed. */
    @Arbiter
    public void check(IIIII_Result r) {
        r.r2 = (int) ifq.stats().scrubbed();
        r.r3 = (int) area.totalUserRefs();
        pool.destroy();
        r.r4 = pool.state() == PagePool.State.RELEASED ? 1 : 0;
        r.r5 = ifq.isFreed() && !Files.exists(ifq.regionPath()) ? 1 : 0;
    }
}
