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
import org.openjdk.jcstress.infra.results.IIII_Result;

/**
 * The ptr_ring between remote frees and the NAPI: a producer thread puts buffers into the ring
 * while the NAPI thread allocates, refilling its cache from the ring. Every buffer ends exactly
 * once in one place (handed out, in the cache or in the ring): nothing lost, nothing duplicated,
 * and the provider is never asked for more (all of its buffers are out).
 */
public final class RingVsNapiStress {
    private RingVsNapiStress() {
    }

    /** Shared set-up: a pool owning two buffers, both handed out. */
    abstract static class Base {
        final TestProvider pages = TestProvider.hostPages(2);
        final Napi napi = new Napi("stress-napi");
        final PagePool pool = PagePool.create(PagePoolParams.builder().poolSize(16).hostPages(pages).napi(napi)
                .build());
        final NetIov b0 = AsNapi.alloc(pool, napi);
        final NetIov b1 = AsNapi.alloc(pool, napi);
        NetIov x;
        NetIov y;

        /** The NAPI polls: two allocations. */
        void napiAlloc() {
            napi.schedule();
            try {
                x = pool.alloc();
                y = pool.alloc();
            } finally {
                napi.complete();
            }
        }

        /** allocated, in cache + ring, duplicates or strangers, all home once after teardown. */
        void account(IIII_Result r) {
            int got = (x != null ? 1 : 0) + (y != null ? 1 : 0);
            r.r1 = got;
            r.r2 = pool.allocCacheCount() + pool.ringCount();
            boolean strange = (x != null && x == y) || (x != null && x != b0 && x != b1)
                    || (y != null && y != b0 && y != b1) || pages.handedOut() != 2;
            r.r3 = strange ? 1 : 0;
            if (x != null) {
                pool.putNetmem(x, -1, false);
            }
            if (y != null) {
                pool.putNetmem(y, -1, false);
            }
            pool.destroy();
            r.r4 = pool.state() == PagePool.State.RELEASED && pages.allHomeOnce() ? 1 : 0;
        }
    }

    /** Two single puts against two allocations. */
    @JCStressTest
    @Description("Remote putNetmem x2 races NAPI alloc x2 (cache refill from the ring).")
    @Outcome(id = "0, 2, 0, 1", expect = ACCEPTABLE, desc = "The NAPI found the ring empty both times.")
    @Outcome(id = "1, 1, 0, 1", expect = ACCEPTABLE_INTERESTING, desc = "The NAPI got one buffer mid-stream.")
    @Outcome(id = "2, 0, 0, 1", expect = ACCEPTABLE, desc = "Both buffers reached the ring before the NAPI looked.")
    @Outcome(expect = FORBIDDEN, desc = "A buffer lost or duplicated, or not home once after teardown.")
    @State
    public static class SinglePuts extends Base {
        /** Producer. */
        @Actor
        public void produce() {
            pool.putNetmem(b0, -1, false);
            pool.putNetmem(b1, -1, false);
        }

        /** Consumer. */
        @Actor
        public void consume() {
            napiAlloc();
        }

        /** Where every buffer is. */
        @Arbiter
        public void check(IIII_Result r) {
            account(r);
        }
    }

    /** One bulk put (one ring claim for both) against two allocations. */
    @JCStressTest
    @Description("Remote putBulk of two races NAPI alloc x2.")
    @Outcome(id = "0, 2, 0, 1", expect = ACCEPTABLE, desc = "The NAPI found the ring empty both times.")
    @Outcome(id = "1, 1, 0, 1", expect = ACCEPTABLE_INTERESTING, desc = "The NAPI saw the first slot published, not yet the second.")
    @Outcome(id = "2, 0, 0, 1", expect = ACCEPTABLE, desc = "The bulk was published before the NAPI looked.")
    @Outcome(expect = FORBIDDEN, desc = "A buffer lost or duplicated, or not home once after teardown.")
    @State
    public static class BulkPut extends Base {
        /** Producer. */
        @Actor
        public void produce() {
            PagePool.putBulk(new NetIov[] {b0, b1}, 2);
        }

        /** Consumer. */
        @Actor
        public void consume() {
            napiAlloc();
        }

        /** Where every buffer is. */
        @Arbiter
        public void check(IIII_Result r) {
            account(r);
        }
    }
}
