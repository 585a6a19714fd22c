package dev.netmem.testsupport.base;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class AwaitTest {
    @Test
    void shouldReturnOnceTheConditionHolds() {
        AtomicInteger polls = new AtomicInteger();
        Await.await("the third poll", () -> polls.incrementAndGet() == 3);
        assertEquals(3, polls.get());
    }

    @Test
    void shouldFailNamingWhatItAwaitedWhenTheBoundPasses() {
        AssertionError e = assertThrows(AssertionError.class,
                () -> Await.await("never", Duration.ofMillis(20), () -> false));
        assertEquals("timed out after PT0.02S waiting for: never", e.getMessage());
    }

    @Test
    void shouldFailAndKeepTheInterruptWhenInterrupted() {
        Thread.currentThread().interrupt();
        AssertionError e = assertThrows(AssertionError.class, () -> Await.await("never", () -> false));
        assertEquals("interrupted waiting for: never", e.getMessage());
        assertTrue(Thread.interrupted(), "the interrupt status is kept");
        assertFalse(Thread.currentThread().isInterrupted());
    }
}
