package dev.netmem.uring;

import org.junit.jupiter.api.Assumptions;

/** Skips a test, with the printed reason, only when io_uring cannot be used on this machine. */
final class UringTestSupport {
    private static IoUringAvailability availability;

    private UringTestSupport() {
    }

    static synchronized IoUringAvailability availability() {
        if (availability == null) {
            availability = IoUringAvailability.check();
            System.out.println("[uring tests] " + availability.message());
        }
        return availability;
    }

    static void assumeIoUring() {
        IoUringAvailability a = availability();
        if (!a.available()) {
            System.out.println("[uring tests] SKIPPED: " + a.message());
        }
        Assumptions.assumeTrue(a.available(), a.message());
    }
}
