package dev.netmem.api;

/**
 * Receives page-pool lifecycle notifications, modelling the netdev netlink family's
 * {@code page-pool-add-ntf}, {@code page-pool-change-ntf} and {@code page-pool-del-ntf}.
 *
 * <p>Called synchronously on the thread that caused the event (creation, destroy, or the put
 * that returned the last in-flight buffer); implementations must be quick and must not call back
 * into the pool's allocation or put paths.
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
