package dev.netmem.stress;

import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Expect;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.II_Result;
import java.util.concurrent.atomic.AtomicInteger;

/** Placeholder to check the toolchain; replaced below. */
@JCStressTest
@Outcome(id = {"1, 2", "2, 1"}, expect = Expect.ACCEPTABLE, desc = "one each")
@Outcome(expect = Expect.FORBIDDEN, desc = "lost update")
@State
public class RefcountStress {
    private final AtomicInteger a = new AtomicInteger();

    /** One. */
    @Actor
    public void one(II_Result r) {
        r.r1 = a.incrementAndGet();
    }

    /** Two. */
    @Actor
    public void two(II_Result r) {
        r.r2 = a.incrementAndGet();
    }
}
