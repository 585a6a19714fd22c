package dev.netmem.cli;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The completion script is made from the programs' own options. */
class CompletionTest {
    @Test
    void shouldCompleteTheDemoFromItsOwnOptions() {
        String s = Completion.script();
        assertTrue(s.contains("complete -F _complete_netmem -o default netmem"), s);
        assertTrue(s.contains("function _picocli_netmem_demo()"), s);
        assertTrue(s.contains("function _picocli_netmem_demo_send()"), s);
        assertTrue(s.contains("--provider"), s);
        assertTrue(s.contains("(\"host\" \"dmabuf\" \"user-ring\") # --provider values"), s);
        assertTrue(s.contains("--queues"), s);
        // bench, stress and soak live in modules this one cannot see: left out here, present in the launcher's
        assertFalse(s.contains("_picocli_netmem_bench()"), s);
    }
}
