/**
 * Internal to the netmem core; not exported.
 *
 * <h2>Memory-ordering vocabulary</h2>
 * Accessors spell their ordering as the {@link java.lang.invoke.VarHandle} access mode they use:
 * <ul>
 *   <li><b>plain</b>: a field or array access with no ordering; used only for state owned by one thread
 *       (the NAPI side of a pool);</li>
 *   <li><b>opaque</b> ({@code getOpaque/setOpaque}): no ordering, but never torn and never hoisted; used to
 *       read another thread's counters for a racy snapshot;</li>
 *   <li><b>release / acquire</b> ({@code setRelease/getAcquire}): publication of an element or an index;
 *       every release store names its acquire partner in a comment;</li>
 *   <li><b>volatile</b> ({@code getVolatile/setVolatile}, CAS, {@code getAndAdd}): sequentially consistent;
 *       used where a Dekker-style handshake between two threads needs a total order (a ring producer
 *       racing a pool's destroy).</li>
 * </ul>
 */
package dev.netmem.api.internal;
