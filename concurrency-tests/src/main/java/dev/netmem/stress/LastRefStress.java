package dev.netmem.stress;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

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
import org.openjdk.jcstress.infra.results.II_Result;
import org.openjdk.jcstress.infra.results.IIII_Result;

/**
 * Two threads drop the last two {@code pp_ref_count} references of one buffer (an skb frag and a
 * clone, a socket token and the skb): exactly one of them sees the count reach zero and the buffer
 * leaves through the single put path once: the page_pool's refcount races
 * ({@code page_pool_unref_netmem} and {@code page_pool_put_unrefed_netmem}).
 */
public final class LastRefStress {
    private LastRefStress() {
    }

    /** A pool of one page, with the page handed out and shared by two holders. */
    static PagePool poolWithSharedBuffer(TestProvider pages, NetIov[] out) {
        PagePool pool = PagePool.create(PagePoolParams.builder().poolSize(16).hostPages(pages).build());
        NetIov b = pool.alloc();
        PagePool.refNetmem(b); // pp_ref_count 2: two holders
        out[0] = b;
        return pool;
    }

    /** {@code page_pool_unref_netmem} from both holders: exactly one sees 0 left. */
    @JCStressTest
    @Description("Two holders each drop one of the last two references with unrefNetmem.")
    @Outcome(id = {"1, 0", "0, 1"}, expect = ACCEPTABLE, desc = "Exactly one holder dropped the last reference.")
    @Outcome(id = "0, 0", expect = FORBIDDEN, desc = "Both saw the last reference: the buffer would be put twice.")
    @Outcome(id = "1, 1", expect = FORBIDDEN, desc = "Neither saw the last reference: the buffer would leak.")
    @Outcome(expect = FORBIDDEN, desc = "Anything else (an exception, -1) is a refcount bug.")
    @State
    public static class Unref {
        private final TestProvider pages = TestProvider.hostPages(1);
        private final NetIov b;
        private final PagePool pool;

        /** A buffer with two references. */
        public Unref() {
            NetIov[] out = new NetIov[1];
            pool = poolWithSharedBuffer(pages, out);
            b = out[0];
        }

        /** First holder. */
        @Actor
        public void first(II_Result r) {
            r.r1 = unref(b);
        }

        /** Second holder. */
        @Actor
        public void second(II_Result r) {
            r.r2 = unref(b);
        }

        /** Teardown: whoever saw 0 must put the buffer ({@code page_pool_put_unrefed_netmem}). */
        @Arbiter
        public void check(II_Result r) {
            if (r.r1 == 0 || r.r2 == 0) {
                pool.putUnrefedNetmem(b, -1, false);
            }
            pool.destroy();
        }

        private static int unref(NetIov b) {
            try {
                return (int) PagePool.unrefNetmem(b, 1);
            } catch (RuntimeException e) {
                return -1;
            }
        }
    }

    /** A pool with one buffer out, shared by two holders that each put one reference. */
    abstract static class TwoHolders {
        final TestProvider pages = TestProvider.hostPages(1);
        final NetIov b;
        final PagePool pool;

        TwoHolders(boolean detach) {
            NetIov[] out = new NetIov[1];
            pool = poolWithSharedBuffer(pages, out);
            b = out[0];
            if (detach) {
                pool.destroy(); // DESTROYING: the buffer is in flight
            }
        }

        /** Holder {@code who} (0 or 1) puts its reference; bit {@code who} of r1 is set on an exception. */
        final void put(IIII_Result r, int who) {
            try {
                pool.putNetmem(b, -1, false);
            } catch (RuntimeException e) {
                r.r1 |= 1 << who;
            }
        }
    }

    /**
     * {@code page_pool_put_netmem} from two non-NAPI threads on an active pool: the buffer is
     * recycled into the ring exactly once and nothing is released.
     */
    @JCStressTest
    @Description("Two threads put the last two references of a buffer of an active pool.")
    @Outcome(id = "0, 1, 0, 1", expect = ACCEPTABLE, desc = "One recycle into the ring, no release, no error.")
    @Outcome(expect = FORBIDDEN, desc = "A put failed, the buffer was recycled twice or not at all, or released.")
    @State
    public static class PutActive extends TwoHolders {
        /** An active pool. */
        public PutActive() {
            super(false);
        }

        /** First holder. */
        @Actor
        public void first(IIII_Result r) {
            put(r, 0);
        }

        /** Second holder. */
        @Actor
        public void second(IIII_Result r) {
            put(r, 1);
        }

        /** errors, ring recycles, releases, all home after destroy. */
        @Arbiter
        public void check(IIII_Result r) {
            r.r2 = (int) pool.stats().ring();
            r.r3 = pool.releaseCount();
            pool.destroy();
            r.r4 = pool.state() == PagePool.State.RELEASED && pages.allHomeOnce() ? 1 : 0;
        }
    }

    /**
     * {@code page_pool_put_netmem} from two threads on a pool destroyed while the buffer was out
     * (detached): the last put releases the buffer exactly once and the pool reaches RELEASED.
     */
    @JCStressTest
    @Description("Two threads put the last two references of a buffer of a detached pool.")
    @Outcome(id = "0, 1, 1, 1", expect = ACCEPTABLE, desc = "One release, release count 1, pool released, no error.")
    @Outcome(expect = FORBIDDEN, desc = "A put failed, or the buffer was released twice or never.")
    @State
    public static class PutDetached extends TwoHolders {
        /** A pool destroyed with the buffer out. */
        public PutDetached() {
            super(true);
        }

        /** First holder. */
        @Actor
        public void first(IIII_Result r) {
            put(r, 0);
        }

        /** Second holder. */
        @Actor
        public void second(IIII_Result r) {
            put(r, 1);
        }

        /** errors, provider releases of the buffer, pool release count, released and all home. */
        @Arbiter
        public void check(IIII_Result r) {
            r.r2 = pages.releases(0);
            r.r3 = pool.releaseCount();
            r.r4 = pool.state() == PagePool.State.RELEASED && pool.inflight() == 0 && pages.allHomeOnce() ? 1 : 0;
        }
    }
}
