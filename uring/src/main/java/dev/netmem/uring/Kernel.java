package dev.netmem.uring;

import static dev.netmem.uring.IoUringDescriptor.NR_IO_URING_ENTER;
import static dev.netmem.uring.IoUringDescriptor.NR_IO_URING_REGISTER;
import static dev.netmem.uring.IoUringDescriptor.NR_IO_URING_SETUP;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The seam between this package and the kernel: every io_uring syscall, ring mapping and the
 * {@code io_uring_disabled} sysctl go through one {@code Kernel}. Results follow the kernel's
 * convention: a value, or {@code -errno}. {@link #LINUX} is the real one; tests substitute results
 * (an {@code EPERM} from {@code io_uring_setup}, an old kernel's {@code EINVAL}) by wrapping it.
 */
interface Kernel {
    /** {@code PROT_READ | PROT_WRITE}. */
    int PROT_RW = 0x1 | 0x2;
    /** {@code MAP_SHARED | MAP_POPULATE}, as liburing maps rings. */
    int MAP_SHARED_POPULATE = 0x01 | 0x8000;
    /** The sysctl that turns io_uring off (Linux 6.6): 0 allowed, 1 only for {@code io_uring_group}, 2 never. */
    Path IO_URING_DISABLED = Path.of("/proc/sys/kernel/io_uring_disabled");

    /** {@code io_uring_setup(entries, params)}: the ring fd, or {@code -errno}. */
    int setup(int entries, MemorySegment params);

    /** {@code io_uring_enter(fd, to_submit, min_complete, flags, arg, argsz)}. */
    int enter(int fd, int toSubmit, int minComplete, int flags, long arg, long argSize);

    /** {@code io_uring_register(fd, opcode, arg, nr_args)}. */
    int register(int fd, int opcode, long arg, int nrArgs);

    /** {@code mmap(NULL, len, PROT_READ|PROT_WRITE, MAP_SHARED|MAP_POPULATE, fd, offset)}: address or {@code -errno}. */
    long mmap(long len, int fd, long offset);

    /** {@code munmap(addr, len)}. */
    int munmap(long addr, long len);

    /** {@code close(fd)}. */
    int close(int fd);

    /** The value of {@code /proc/sys/kernel/io_uring_disabled}, or -1 when the kernel has no such sysctl. */
    int ioUringDisabled();

    /** The running kernel, through libc. */
    Kernel LINUX = new Kernel() {
        @Override
        public int setup(int entries, MemorySegment params) {
            return (int) Libc.syscall(NR_IO_URING_SETUP, entries, params.address(), 0, 0, 0, 0);
        }

        @Override
        public int enter(int fd, int toSubmit, int minComplete, int flags, long arg, long argSize) {
            return (int) Libc.syscall(NR_IO_URING_ENTER, fd, toSubmit, minComplete, flags, arg, argSize);
        }

        @Override
        public int register(int fd, int opcode, long arg, int nrArgs) {
            return (int) Libc.syscall(NR_IO_URING_REGISTER, fd, opcode, arg, nrArgs, 0, 0);
        }

        @Override
        public long mmap(long len, int fd, long offset) {
            return Libc.mmap(len, PROT_RW, MAP_SHARED_POPULATE, fd, offset);
        }

        @Override
        public int munmap(long addr, long len) {
            return Libc.munmap(addr, len);
        }

        @Override
        public int close(int fd) {
            return Libc.close(fd);
        }

        @Override
        public int ioUringDisabled() {
            try {
                return Integer.parseInt(Files.readString(IO_URING_DISABLED).strip());
            } catch (IOException | NumberFormatException e) {
                return -1;
            }
        }
    };
}
