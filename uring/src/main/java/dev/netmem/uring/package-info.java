/**
 * An io_uring binding in pure FFM, shaped for a NIC driver's receive path: one {@link
 * dev.netmem.uring.IoUring} per RX queue, driven by its NAPI thread, a {@link dev.netmem.uring.BufRing}
 * as the descriptor (refill) ring, multishot {@code IORING_OP_RECV} with buffer select per connection,
 * CQEs as RX completions.
 *
 * <h2>Memory-ordering vocabulary</h2>
 * The rings are shared with the kernel; every access to a shared index says its ordering, as in
 * JCTools and Agrona, and every release store names its acquire partner in a comment:
 * <ul>
 *   <li><b>plain</b> ({@code VarHandle.get/set}): no ordering; used for SQE, CQE and buffer-slot fields,
 *       which are published or consumed through an index that carries the ordering;</li>
 *   <li><b>acquire</b> ({@code getAcquire}): later reads and writes stay after the load; used to read an
 *       index the kernel publishes (CQ tail, SQ head) before touching the entries it covers;</li>
 *   <li><b>release</b> ({@code setRelease}): earlier reads and writes stay before the store; used to
 *       publish an index the kernel reads (SQ tail after filling SQEs, CQ head after reading CQEs,
 *       buffer-ring tail after writing slots, which pairs with the kernel's
 *       {@code smp_load_acquire(&br->tail)}).</li>
 * </ul>
 * These are the rules of {@code io_uring/io_uring.c}'s header comment and liburing's
 * {@code io_uring_smp_load_acquire}/{@code io_uring_smp_store_release}. Indexes are free-running
 * ({@code u32} for SQ/CQ, {@code u16} for buffer rings) and masked on access.
 *
 * <h2>Single issuer and deferred task work</h2>
 * A ring is set up with {@code IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN} where the
 * kernel has them. That is a contract: exactly one thread, the ring's <em>owner</em>, submits, waits,
 * reaps and registers (the kernel answers {@code -EEXIST} to any other task), and completions —
 * including the data copies of a multishot receive — run only when the owner calls
 * {@link dev.netmem.uring.IoUring#submitAndWait} ({@code IORING_ENTER_GETEVENTS}). A ring nobody enters
 * makes no progress; in exchange nothing runs behind the owner's back, as with a NAPI poll. Every
 * owner-only method says so and checks it with {@code assert}, free with assertions off. Buffer rings
 * are single-producer rings of the same owner.
 *
 * <h2>Errors</h2>
 * Results follow the kernel: {@code cqe.res} is bytes or {@code -errno}, compared with the
 * {@link dev.netmem.api.Errno#value() value()} of the project's one errno vocabulary,
 * {@link dev.netmem.api.Errno} (the binding's only dependency within netmem); failed calls throw
 * {@link dev.netmem.uring.SyscallException} with the call's name and the errno. Where io_uring may be
 * missing, {@link dev.netmem.uring.IoUringAvailability#check()} says why in one message.
 */
package dev.netmem.uring;
