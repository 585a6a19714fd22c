package dev.netmem.uring;

import java.lang.foreign.MemorySegment;

/** The real kernel; tests override single calls to substitute their results. */
class DelegatingKernel implements Kernel {
    @Override
    public int setup(int entries, MemorySegment params) {
        return LINUX.setup(entries, params);
    }

    @Override
    public int enter(int fd, int toSubmit, int minComplete, int flags, long arg, long argSize) {
        return LINUX.enter(fd, toSubmit, minComplete, flags, arg, argSize);
    }

    @Override
    public int register(int fd, int opcode, long arg, int nrArgs) {
        return LINUX.register(fd, opcode, arg, nrArgs);
    }

    @Override
    public long mmap(long len, int fd, long offset) {
        return LINUX.mmap(len, fd, offset);
    }

    @Override
    public int munmap(long addr, long len) {
        return LINUX.munmap(addr, len);
    }

    @Override
    public int close(int fd) {
        return LINUX.close(fd);
    }

    @Override
    public int ioUringDisabled() {
        return LINUX.ioUringDisabled();
    }
}
