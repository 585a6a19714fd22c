package dev.netmem.api;

/**
 * Receives page-pool lifecycle notifications, modelling the netdev netlink family's
 * {@code page-pool-add-ntf}, {@code page-pool-change-ntf} and {@code page-pool-del-ntf}.
 *
 * <p>Called synchronously on the thread that caused the event (creation, destroy, the release
 * retry, a netdev unregistering, or the put that returned the last in-flight buffer of a detached
 * pool); implementations must be quick and must not call back into the pool's allocation or put
 * paths.
 *
 * <p><b>Order.</b> For one pool the calls are ordered, whichever threads make them: {@code added}
 * happens-before everything else, every {@code changed} (detach, orphaning) happens-before
 * {@code deleted}, and {@code deleted} comes at most once and last. A listener therefore sees a
 * pool's events in kernel order without sorting them; it must still be thread-safe, since
 * consecutive events of one pool may arrive on different threads.
 */
public interface PagePoolListener {
    /** A pool was created and listed ({@code ADD}). */
    default void added(PagePool pool) {
    }

    /** A pool was destroyed with buffers still in flight and is now detached ({@code CHANGE}). */
    default void changed(PagePool pool) {
    }

    /** A pool released its last buffer and was unlisted ({@code DEL}). */
    default void deleted(PagePool pool) {
    }
}
