/**
 * The io_uring zero-copy receive provider (io_uring/zcrx.c):
 * {@link dev.netmem.providers.zcrx.ZcrxArea} (the memory),
 * {@link dev.netmem.providers.zcrx.ZcrxIfq} (the provider, its completion and refill rings) and
 * {@link dev.netmem.providers.zcrx.ZcrxUserRing} (the user side, usable from another process).
 *
 * <h2>Memory-ordering vocabulary</h2>
 * The rings live in shared memory and follow the io_uring protocol: a producer writes entries with
 * plain stores and then store-releases its tail ({@code setRelease}); the consumer load-acquires the
 * tail ({@code getAcquire}) before reading entries, and store-releases its head once it is done with
 * them; the producer load-acquires the head before reusing a slot. Accessors are named after the
 * access mode they use ({@code rqTailRelease}, {@code cqHeadAcquire}); every release store names its
 * acquire partner. User references are atomic ({@code getAndAdd}, {@code compareAndExchange},
 * {@code getAndSet}).
 */
package dev.netmem.providers.zcrx;
