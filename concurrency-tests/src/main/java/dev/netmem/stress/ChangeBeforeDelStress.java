package dev.netmem.stress;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE_INTERESTING;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

import dev.netmem.api.Napi;
import dev.netmem.api.NetIov;
import dev.netmem.api.PagePool;
import dev.netmem.api.PagePoolListener;
import dev.netmem.api.PagePoolParams;
import dev.netmem.testsupport.TestProvider;
import java.util.concurrent.ConcurrentHashMap;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Description;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.IIIII_Result;

/**
 * The last in-flight buffer comes home while {@code destroy} runs. In the kernel only
 * {@code page_pool_release} (destroy itself, or the retry work) ever destroys a pool, so a pool that
 * was detached ({@code CHANGE}) is unlisted ({@code DEL}) only after that: the notifications of one
 * pool are never seen as DEL before CHANGE, whichever thread sends which.
 */
public final class ChangeBeforeDelStress {
    private static final int CHANGE = 1;
    private static final int DEL = 2;
    /** Per pool, the notifications seen so far, one decimal digit per event in arrival order. */
    private static final ConcurrentHashMap<PagePool, int[]> EVENTS = new ConcurrentHashMap<>();

    static {
        PagePool.addListener(new PagePoolListener() {
            @Override
            public void changed(PagePool pool) {
                record(pool, CHANGE);
            }

            @Override
            public void deleted(PagePool pool) {
                record(pool, DEL);
            }
        });
    }

    private ChangeBeforeDelStress() {
    }

    private static void record(PagePool pool, int event) {
        int[] e = EVENTS.get(pool);
        if (e != null) {
            synchronized (e) {
                e[0] = e[0] * 10 + event;
            }
        }
    }

    /** One buffer out; an application thread returns it while the driver destroys the pool. */
    @JCStressTest
    @Description("The last buffer's put races PagePool.destroy; notifications are recorded in order.")
    @Outcome(id = "2, 0, 1, 1, 0", expect = ACCEPTABLE,
            desc = "The put came first: destroy found nothing in flight and sent only DEL.")
    @Outcome(id = "12, 0, 1, 1, 1", expect = ACCEPTABLE_INTERESTING,
            desc = "Destroy detached the pool (CHANGE); the put or a release pass then sent DEL.")
    @Outcome(expect = FORBIDDEN,
            desc = "DEL before CHANGE, a notification twice or missing, an exception, a buffer returned twice"
                    + " or never, or a pool never released.")
    @State
    public static class LastBuffer {
        private final TestProvider pages = TestProvider.hostPages(1);
        private final Napi napi = new Napi("stress");
        private final PagePool pool = PagePool.create(PagePoolParams.builder().poolSize(16).hostPages(pages)
                .napi(napi).build());
        private final NetIov b;
        private final int[] events = new int[1];

        /** Allocates the one buffer and starts recording the pool's notifications. */
        public LastBuffer() {
            b = AsNapi.alloc(pool, napi);
            EVENTS.put(pool, events);
        }

        /** An application thread returns the last buffer. */
        @Actor
        public void put(IIIII_Result r) {
            try {
                pool.putNetmem(b, -1, false);
            } catch (RuntimeException e) {
                r.r2 += 1;
            }
        }

        /** The driver destroys the pool. */
        @Actor
        public void destroy(IIIII_Result r) {
            try {
                pool.destroy();
            } catch (RuntimeException e) {
                r.r2 += 2;
            }
        }

        /** events in order, errors, every buffer home once (1), RELEASED (1), detached on the way (1). */
        @Arbiter
        public void check(IIIII_Result r) {
            EVENTS.remove(pool);
            synchronized (events) {
                r.r1 = events[0];
            }
            r.r3 = pages.allHomeOnce() && pages.handedOut() == 1 ? 1 : 0;
            r.r4 = pool.state() == PagePool.State.RELEASED ? 1 : 0;
            r.r5 = pool.detachTime().isPresent() ? 1 : 0;
        }
    }
}
