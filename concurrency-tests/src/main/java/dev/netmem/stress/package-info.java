/**
 * jcstress tests of netmem's refcount and teardown races, one invariant per test, and
 * {@link dev.netmem.stress.StressMain}, which runs them and counts forbidden outcomes.
 */
package dev.netmem.stress;
