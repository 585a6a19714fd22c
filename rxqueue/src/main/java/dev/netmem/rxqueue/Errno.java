package dev.netmem.rxqueue;

/**
 * The kernel error codes the emulated device and the netdev family return, with their negative
 * values as the kernel returns them.
 */
public enum Errno {
    /** {@code -ENOENT}: no such object (pool, queue, device). */
    ENOENT(-2),
    /** {@code -EAGAIN}: nothing to receive yet. */
    EAGAIN(-11),
    /** {@code -ENOMEM}: out of memory. */
    ENOMEM(-12),
    /** {@code -EFAULT}: payload bytes cannot be copied (unreadable memory). */
    EFAULT(-14),
    /** {@code -EBUSY}: the object is in use. */
    EBUSY(-16),
    /** {@code -EEXIST}: already bound. */
    EEXIST(-17),
    /** {@code -ENODEV}: no such device, or memory of the wrong provider. */
    ENODEV(-19),
    /** {@code -EINVAL}: invalid argument or configuration. */
    EINVAL(-22),
    /** {@code -ENOSPC}: the completion ring is full. */
    ENOSPC(-28),
    /** {@code -ERANGE}: index out of range. */
    ERANGE(-34),
    /** {@code -ENODATA}: the new page pool does not honour the queue's memory provider. */
    ENODATA(-61),
    /** {@code -EOPNOTSUPP}: operation not supported (for example statistics compiled out). */
    EOPNOTSUPP(-95),
    /** {@code -ENETDOWN}: the device is down. */
    ENETDOWN(-100),
    /** {@code -ENOTCONN}: the socket is closed. */
    ENOTCONN(-107);

    private final int value;

    Errno(int value) {
        this.value = value;
    }

    /** The kernel's negative return value, for example {@code -34} for {@link #ERANGE}. */
    public int value() {
        return value;
    }
}
