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
import dev.netmem.providers.zcrx.ZcrxStats;
import dev.netmem.providers.zcrx.ZcrxUserRing;
import dev.netmem.testsupport.StubQueue;
import java.lang.foreign.Arena;
import java.nio.file.Path;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.IIIII_Result;

/**
 * The io_uring zero-copy receive teardown: the user has returned two buffers through the refill
 * ring, and the NAPI consumes the ring ({@code io_zcrx_ring_refill}) while the control path closes
 * the ifq and scrubs the user references ({@code io_zcrx_scrub}). Each user reference is dropped
 * exactly once, by the refill or by the scrub (which puts the buffer into its pool, where the NAPI may
 * still allocate it until the queue restarts), and after the pool is destroyed every buffer is back
 * in the area's freelist, the region file is gone and no release was refused.
 */
public final class RefillVsTeardownStress {
    private static final Path DIR = Path.of(System.getProperty("netmem.shm", "/dev/shm"));

    private RefillVsTeardownStress() {
    }

    /** An ifq with two buffers out to the user, both handed back through the refill ring. */
    abstract static class Base {
        final DmaDevice dma = new DmaDevice("jcstress-zcrx", true);
        final ZcrxArea area = ZcrxArea.ofUserMemory(Arena.ofAuto().allocate(2L * NetIov.PAGE_SIZE, NetIov.PAGE_SIZE));
        final ZcrxIfq ifq = ZcrxIfq.register(area, dma, 4, 8, DIR, q -> { });
        final Napi napi = new Napi("jcstress-zcrx");
        final PagePool pool = PagePool.create(StubQueue.poolParams(ifq, dma).poolSize(16).napi(napi).build());
        final ZcrxUserRing user = ZcrxUserRing.open(ifq.regionPath(), area.memory());
        NetIov got;

        Base(boolean refillNow) {
            for (int i = 0; i < 2; i++) {
                NetIov b = AsNapi.alloc(pool, napi);
                ifq.postCompletion(b, 0, 64); // the user's reference
                pool.putNetmem(b, -1, false); // the skb's reference goes; the user holds the buffer
            }
            if (user.poll((off, len, flags) -> { }) != 2) {
                throw new IllegalStateException("expected two completions");
            }
            if (refillNow) {
                postRefills();
            }
        }

        final void postRefills() {
            user.refill(area.token(), 64);
            user.refill(area.token() + NetIov.PAGE_SIZE, 64);
        }

        /** The NAPI polls once: one allocation, refilling from the ring. */
        final void napiAlloc() {
            napi.schedule();
            try {
                got = pool.alloc();
            } finally {
                napi.complete();
            }
        }

        /** Closes the ifq (scrub); on a second close attempt the state is already CLOSED. */
        final int closeIfq() {
            try {
                ifq.close();
                return 0;
            } catch (RuntimeException e) {
                return 1;
            }
        }

        /** got a buffer, user refs dropped by refill, by scrub, errors, all home after teardown. */
        final void account(IIIII_Result r, int errors) {
            ZcrxStats s = ifq.stats();
            r.r1 = got != null ? 1 : 0;
            r.r2 = (int) s.refilled();
            r.r3 = (int) s.scrubbed();
            if (got != null) {
                pool.putNetmem(got, -1, false);
            }
            pool.destroy();
            user.close();
            r.r4 = errors + (int) s.releaseErrors();
            r.r5 = ifq.isFreed() && area.totalUserRefs() == 0 && pool.state() == PagePool.State.RELEASED
                    && !java.nio.file.Files.exists(ifq.regionPath()) ? 1 : 0;
        }
    }

    /** The NAPI consumes the refill ring while the ifq is closed. */
    @JCStressTest
    @Description("io_zcrx_ring_refill (NAPI alloc) races ifq close + scrub.")
    @Outcome(id = "1, 2, 0, 0, 1", expect = ACCEPTABLE, desc = "The refill took both user references first.")
    @Outcome(id = "0, 0, 2, 0, 1", expect = ACCEPTABLE,
            desc = "The close came first: the scrub dropped both user references, the alloc found the ifq closed.")
    @Outcome(id = "1, 0, 2, 0, 1", expect = ACCEPTABLE_INTERESTING,
            desc = "The scrub dropped both and put the buffers into the pool's ring, where the NAPI found one"
                    + " (the pool lives until the queue restarts, as in the kernel).")
    @Outcome(id = {"1, 1, 1, 0, 1"}, expect = ACCEPTABLE_INTERESTING,
            desc = "Interleaved: the scrub took one user reference, the refill the other.")
    @Outcome(expect = FORBIDDEN, desc = "A user reference dropped twice or never, an error, or a buffer not home.")
    @State
    public static class ConsumeVsClose extends Base {
        /** Entries posted before the race. */
        public ConsumeVsClose() {
            super(true);
        }

        /** NAPI. */
        @Actor
        public void napi() {
            napiAlloc();
        }

        /** Control path. */
        @Actor
        public void teardown(IIIII_Result r) {
            r.r4 = closeIfq();
        }

        /** Where everything is. */
        @Arbiter
        public void check(IIIII_Result r) {
            account(r, r.r4);
        }
    }

    /** The user writes the refill entries while the ifq is closed; the NAPI looks afterwards. */
    @JCStressTest
    @Description("The user's refill-ring writes race ifq close + scrub.")
    @Outcome(id = "1, 0, 2, 0, 1", expect = ACCEPTABLE,
            desc = "The scrub dropped both user references and put the buffers into the pool's ring, where the"
                    + " NAPI found one; refill entries are never read once the ifq is closed.")
    @Outcome(expect = FORBIDDEN, desc = "A user reference dropped twice or never, an error, or a buffer not home.")
    @State
    public static class UserRefillVsClose extends Base {
        /** No entries posted yet. */
        public UserRefillVsClose() {
            super(false);
        }

        /** The user returns both buffers. */
        @Actor
        public void user() {
            postRefills();
        }

        /** Control path. */
        @Actor
        public void teardown(IIIII_Result r) {
            r.r4 = closeIfq();
        }

        /** The NAPI polls after both (a closed ifq hands out nothing), then the accounting. */
        @Arbiter
        public void check(IIIII_Result r) {
            napiAlloc();
            account(r, r.r4);
        }
    }
}
