package dev.netmem.stress;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE_INTERESTING;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import dev.netmem.api.Napi;
import dev.netmem.api.NetIov;
import dev.netmem.api.PagePool;
import dev.netmem.api.PagePoolParams;
import dev.netmem.testsupport.TestProvider;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.IIIII_Result;

/**
 * A remote put (a socket returning a buffer from an application thread) races {@code destroy}
 * (the driver tearing the queue down): the put lands in the ring just before the destroy drains it,
 * or finds the pool detached and releases straight away (the Dekker handshake between
 * {@code recycleInRing} and {@code destroy}). Either way no put touches a released pool, inflight
 * is never negative, the buffer is returned exactly once and the pool ends RELEASED.
 */
public final class PutVsDestroyStress {
    private PutVsDestroyStress() {
    }

    /** One buffer out; a second one sits in the ring (so the destroy has a ring to drain). */
    @JCStressTest
    @Description("A remote putNetmem races PagePool.destroy.")
    @Outcome(id = "0, 1, 0, 1, 0", expect = ACCEPTABLE,
            desc = "The put reached the ring first; destroy drained it and released the pool at once.")
    @Outcome(id = "0, 1, 0, 1, 1", expect = ACCEPTABLE_INTERESTING,
            desc = "Destroy ran first and detached the pool; the late put released the buffer and the pool.")
    @Outcome(expect = FORBIDDEN,
            desc = "An exception, a buffer returned twice or never, negative inflight, or a pool never released.")
    @State
    public static class OneBuffer {
        private final TestProvider pages = TestProvider.hostPages(2);
        private final Napi napi = new Napi("stress");
        private final PagePool pool = PagePool.create(PagePoolParams.builder().poolSize(16).hostPages(pages)
                .napi(napi).build());
        private final NetIov b;

        /** Allocates two buffers and puts one back remotely. */
        public OneBuffer() {
            b = AsNapi.alloc(pool, napi);
            NetIov other = AsNapi.alloc(pool, napi);
            pool.putNetmem(other, -1, false); // not NAPI-local: into the ring
        }

        /** An application thread returns the buffer. */
        @Actor
        public void put(IIIII_Result r) {
            try {
                pool.putNetmem(b, -1, false);
            } catch (RuntimeException e) {
                r.r1 += 1;
            }
        }

        /** The driver destroys the pool. */
        @Actor
        public void destroy(IIIII_Result r) {
            try {
                pool.destroy();
            } catch (RuntimeException e) {
                r.r1 += 2;
            }
        }

        /** errors, every buffer home once (1), inflight, RELEASED (1), detached on the way (1). */
        @Arbiter
        public void check(IIIII_Result r) {
            r.r2 = pages.allHomeOnce() && pages.handedOut() == 2 ? 1 : 0;
            r.r3 = pool.inflight();
            r.r4 = pool.state() == PagePool.State.RELEASED ? 1 : 0;
            r.r5 = pool.detachTime().isPresent() ? 1 : 0;
        }
    }
}
