package dev.netmem.testsupport.base;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

class HostileTallyTest {
    @Test
    void shouldSummariseEveryKindOfCase() {
        HostileTally t = new HostileTally("suite", 42);
        t.rejected();
        t.rejected();
        t.counted();
        t.counted(3);
        t.accepted();
        t.accepted(5);
        assertEquals(12, t.cases());
        assertEquals("hostile-input suite: seed=42 cases=12 rejected=2 counted=4 accepted=6", t.summary());
    }

    @Test
    void shouldRunOneAndFortyTwoAndTwoFreshSeedsUnlessOneIsFixed() {
        String fixed = System.getProperty("netmem.seed");
        List<Long> seeds = HostileTally.seeds();
        if (fixed != null) {
            assertEquals(List.of(Long.parseLong(fixed)), seeds);
        } else {
            assertEquals(4, seeds.size());
            assertEquals(List.of(1L, 42L), seeds.subList(0, 2));
            assertEquals(0x9E3779B97F4A7C15L, seeds.get(3) - seeds.get(2));
        }
    }
}
