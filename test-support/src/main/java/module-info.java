/**
 * Shared test fixtures for the modules above the api: {@link dev.netmem.testsupport.TestProvider}
 * (a configurable memory provider with counters and injectable failures) and
 * {@link dev.netmem.testsupport.StubQueue} (an RX queue of no device). Re-exports
 * {@code dev.netmem.testsupport.base} (hostile-input tallies, bounded waits).
 */
module dev.netmem.testsupport {
    requires transitive dev.netmem.api;
    requires transitive dev.netmem.testsupport.base;

    exports dev.netmem.testsupport;
}
