/**
 * Test helpers that depend on nothing but the JDK: {@link dev.netmem.testsupport.base.HostileTally}
 * (seeds and the one-line summary of a hostile-input suite) and {@link dev.netmem.testsupport.base.Await}
 * (bounded waits). Used as a test-scoped dependency, by api's tests too.
 */
module dev.netmem.testsupport.base {
    exports dev.netmem.testsupport.base;
}
