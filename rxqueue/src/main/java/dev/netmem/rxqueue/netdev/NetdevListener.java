package dev.netmem.rxqueue.netdev;

/**
 * Subscriber to the netdev family's {@code page-pool} multicast group: {@code page-pool-add-ntf},
 * {@code page-pool-change-ntf} and {@code page-pool-del-ntf}, for pools of registered devices.
 *
 * <p>Called synchronously on the thread that caused the event; must be quick and must not call back
 * into a pool's allocation or put paths.
 */
public interface NetdevListener {
    /** A pool was created ({@code page-pool-add-ntf}). */
    default void pagePoolAdded(PagePoolInfo pool) {
    }

    /** A pool was detached with buffers in flight ({@code page-pool-change-ntf}). */
    default void pagePoolChanged(PagePoolInfo pool) {
    }

    /** A pool was released and unlisted ({@code page-pool-del-ntf}). */
    default void pagePoolDeleted(PagePoolInfo pool) {
    }
}
