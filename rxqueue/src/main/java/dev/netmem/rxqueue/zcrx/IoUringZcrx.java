package dev.netmem.rxqueue.zcrx;

import dev.netmem.api.Errno;
import dev.netmem.api.ErrnoException;
import dev.netmem.api.NetIov;
import dev.netmem.api.NetdevRxQueue;
import dev.netmem.providers.zcrx.ZcrxArea;
import dev.netmem.providers.zcrx.ZcrxIfq;
import dev.netmem.providers.zcrx.ZcrxIfqReg;
import dev.netmem.rxqueue.net.SkBuff;
import dev.netmem.rxqueue.netdev.NetdevNlSock;
import dev.netmem.rxqueue.netdev.RxBinding;
import dev.netmem.rxqueue.nic.NetDevice;
import dev.netmem.rxqueue.stack.DevmemSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * io_uring's zero-copy receive ({@code io_uring/zcrx.c}) above the stack: registering a zcrx ifq on
 * an RX queue ({@code IORING_REGISTER_ZCRX_IFQ}) and {@code IORING_OP_RECV_ZC}, which reads a
 * socket through the stack's {@link DevmemSocket#readSock tcp_read_sock} and turns each frag into a
 * completion on the ifq's user ring. The stack and the netdev family never name these types.
 */
public final class IoUringZcrx {
    /** {@code IO_SKBS_PER_CALL_LIMIT}: most skbs one {@link #recvZc} call consumes. */
    public static final int IO_SKBS_PER_CALL_LIMIT = 20;
    /** {@code IO_URING_F_MULTISHOT}: the issue is one round of a multishot request. */
    public static final int IO_URING_F_MULTISHOT = 4;
    /** {@code IOU_REQUEUE}: more data may be ready; requeue the multishot request now. */
    public static final int IOU_REQUEUE = -3072;

    private IoUringZcrx() {
    }

    /**
     * {@code IORING_REGISTER_ZCRX_IFQ} (the user-ring equivalent of {@code bind-rx}): registers a
     * {@link ZcrxIfq} over {@code area} with refill and completion rings in a shared-memory region
     * under {@code dir}, and binds it to RX queue {@code queue} through {@code nl} with the bind-rx
     * checks. Receive into it with {@link #recvZc}; a {@link dev.netmem.providers.zcrx.ZcrxUserRing}
     * opened on {@link ZcrxIfq#regionPath()} consumes the completions. Closing the binding (or
     * {@code nl}) closes the ifq, scrubbing user references, which restarts the queue without it.
     * Only {@code nl} can close the ifq ({@code EPERM} for anyone else).
     */
    public static RxBinding bindRxUserRing(NetdevNlSock nl, NetDevice device, ZcrxArea area, int queue,
                                           int rqEntries, int cqEntries, Path dir) {
        return bindRxUserRing(nl, device, area, queue, ZcrxIfqReg.of(rqEntries, cqEntries), dir);
    }

    /**
     * {@link #bindRxUserRing(NetdevNlSock, NetDevice, ZcrxArea, int, int, int, Path)} with every field
     * of the registration ({@link ZcrxIfqReg}: the ring's setup flags, the reserved words and flags of
     * the ifq, region and area structs, the events, {@code rx_buf_len}), checked by
     * {@link ZcrxIfq#register} in the kernel's order after the {@code CAP_NET_ADMIN} check. A non-zero
     * {@link ZcrxIfqReg#rxBufLen} binds the queue with that {@code rx_page_size}: the driver must list
     * {@code QCFG_RX_PAGE_SIZE} ({@code EOPNOTSUPP}) and accept the size in its
     * {@code ndo_validate_qcfg}; the queue's pool then has buffers of that size.
     */
    public static RxBinding bindRxUserRing(NetdevNlSock nl, NetDevice device, ZcrxArea area, int queue,
                                           ZcrxIfqReg reg, Path dir) {
        Objects.requireNonNull(nl, "nl");
        Objects.requireNonNull(reg, "reg");
        Objects.requireNonNull(device, "device");
        return nl.bindRx(device, new NetdevNlSock.ProviderRegistration<ZcrxIfq>() {
            @Override
            public ZcrxIfq create(Object owner, Consumer<NetdevRxQueue> closeQueue) {
                return ZcrxIfq.register(area, device.dmaDevice(), reg, dir, closeQueue, owner);
            }

            @Override
            public long id(ZcrxIfq ifq) {
                return ifq.id();
            }

            @Override
            public void queueBound(ZcrxIfq ifq, NetdevRxQueue q) {
                ifq.addQueue(q);
            }

            @Override
            public void release(ZcrxIfq ifq, Object owner) {
                if (ifq.state() == ZcrxIfq.State.ACTIVE) {
                    ifq.close(owner);
                }
            }

            @Override
            public int rxPageSize(ZcrxIfq ifq) {
                return ifq.rxPageSize(); // mp_param.rx_page_size: only when rx_buf_len was set
            }
        }, queue);
    }

    /**
     * {@code IORING_OP_RECV_ZC} ({@code io_zcrx_recv}) as a blocking call: waits up to
     * {@code timeout} for data on {@code sock}, then hands it to the io_uring user ring of {@code ifq}
     * as {@link #zcrxRecv} does. Each frag in the ifq's memory becomes a completion
     * ({@link ZcrxIfq#postCompletion}, which takes the buffer's {@code pp_ref_count} and user
     * references); linear bytes and readable (host page) frags are copied into free ifq buffers (the
     * copy fallback). At most {@link #IO_SKBS_PER_CALL_LIMIT} + 1 skbs per call, as the kernel's
     * post-incremented count allows; the user returns buffers through the refill ring.
     *
     * <p>The copy fallback takes buffers only from the area's freelist ({@code io_zcrx_alloc_fallback});
     * the page pool takes from it too, and keeps what the refill ring returns. An area no larger than
     * what the pool's caches, the NIC ring, the socket's queue (up to its rmem limit) and the user's
     * unreturned completions can hold at once may leave nothing for a copy: {@link Errno#ENOMEM} until
     * buffers leave the pool, for as long as the socket's head needs a copy (as in the kernel). Size the
     * area above that sum.
     *
     * @return bytes handed over, 0 if none arrived in time
     * @throws ErrnoException {@link Errno#EFAULT} for a frag in another provider's memory;
     *                        {@link Errno#ENOSPC} (completion ring full) or {@link Errno#ENOMEM}
     *                        (no free buffer for a copy) when nothing could be handed over;
     *                        {@link Errno#ENOTCONN} once the socket is closed
     */
    public static int recvZc(DevmemSocket sock, ZcrxIfq ifq, Duration timeout) {
        Objects.requireNonNull(ifq, "ifq");
        Args args = Args.of(ifq, 0);
        int r;
        try {
            r = sock.readSock(args, Integer.MAX_VALUE, timeout);
        } finally {
            args.done();
        }
        if (r < 0) {
            throw r == Errno.ENOSPC.value()
                    ? Errno.ENOSPC.exception("zcrx completion ring is full")
                    : Errno.ENOMEM.exception("zcrx has no free buffer for the copy fallback");
        }
        return r;
    }

    /**
     * {@code io_zcrx_recv} / {@code io_zcrx_tcp_recvmsg}: one non-blocking issue of
     * {@code IORING_OP_RECV_ZC} on {@code sock}, with the kernel's result mapping. Reads at most
     * {@code len} bytes ({@code 0}: no limit) and at most {@link #IO_SKBS_PER_CALL_LIMIT} + 1 skbs.
     *
     * <p>Results: the bytes handed over; or, when none were: a negative errno from the receive
     * ({@code -ENOSPC}, {@code -ENOMEM}, {@code -EFAULT}); 0 once the peer's FIN was read
     * ({@code SOCK_DONE}); the pending socket error ({@code -ECONNRESET}, once); 0 once the stream was
     * shut down ({@code RCV_SHUTDOWN}); {@code -ENOTCONN} on a closed socket; else {@code -EAGAIN} (no
     * data yet). When bytes were handed over and the call stopped at the skb limit, a multishot issue
     * gets {@link #IOU_REQUEUE}; and when the FIN was read as well, a multishot issue gets
     * {@link #IOU_REQUEUE} and a single-shot one {@code -EAGAIN}, so the caller retries until it gets 0.
     *
     * @param len        most bytes to read; 0 for no limit
     * @param issueFlags {@link #IO_URING_F_MULTISHOT} or 0
     * @return as above
     * @throws ErrnoException {@link Errno#EFAULT} for a frag in another provider's memory
     */
    public static int zcrxRecv(DevmemSocket sock, ZcrxIfq ifq, int len, int issueFlags) {
        Objects.requireNonNull(sock, "sock");
        Objects.requireNonNull(ifq, "ifq");
        boolean multishot = (issueFlags & IO_URING_F_MULTISHOT) != 0;
        Args args = Args.of(ifq, len == 0 ? 0xFFFF_FFFFL : Integer.toUnsignedLong(len));
        int ret;
        int nrSkbs;
        try {
            ret = sock.readSock(args, Integer.MAX_VALUE, Duration.ZERO);
        } catch (ErrnoException e) {
            if (e.errno() != Errno.ENOTCONN) {
                throw e;
            }
            return Errno.ENOTCONN.value(); // sk_state == TCP_CLOSE
        } finally {
            nrSkbs = args.nrSkbs;
            args.done();
        }
        if (ret <= 0) {
            if (ret < 0 || sock.isSockDone()) {
                return ret;
            }
            int err = sock.sockError();
            if (err != 0) {
                return err;
            }
            return sock.isEndOfStream() ? 0 : Errno.EAGAIN.value();
        }
        if (nrSkbs > IO_SKBS_PER_CALL_LIMIT && multishot) {
            return IOU_REQUEUE;
        }
        if (sock.isSockDone()) {
            return multishot ? IOU_REQUEUE : Errno.EAGAIN.value(); // retry until it finally gets 0
        }
        return ret;
    }

    /**
     * {@code struct io_zcrx_args} and {@code io_zcrx_recv_skb}: the {@code tcp_read_sock} actor. Counts
     * skbs ({@code nr_skbs++ > IO_SKBS_PER_CALL_LIMIT} stops with {@code -EAGAIN}) and bytes left
     * ({@code desc->count}).
     */
    private static final class Args implements DevmemSocket.SkbReader {
        /**
         * One per thread, reused by every call on it: the kernel's {@code io_zcrx_args} lives on the
         * stack; a new object per call was the user-ring RX path's only allocation (about 2 B per packet).
         */
        private static final ThreadLocal<Args> OF_THREAD = ThreadLocal.withInitial(Args::new);
        private ZcrxIfq ifq;
        private long count;
        int nrSkbs;

        /** This thread's args, set for one call to {@code ifq} of at most {@code count} bytes (0: no limit). */
        static Args of(ZcrxIfq ifq, long count) {
            Args a = OF_THREAD.get();
            if (a.ifq != null) {
                throw new IllegalStateException("a zcrx receive is already in progress on this thread");
            }
            a.ifq = ifq;
            a.count = count == 0 ? 0xFFFF_FFFFL : count;
            a.nrSkbs = 0;
            return a;
        }

        /** The call is over: drops the ifq, so that the thread does not keep it reachable. */
        void done() {
            ifq = null;
        }

        @Override
        public int read(SkBuff skb, int offset, int len) {
            int n = (int) Math.min(len, count);
            if (n == 0) {
                return 0;
            }
            if (nrSkbs++ > IO_SKBS_PER_CALL_LIMIT) {
                return Errno.EAGAIN.value();
            }
            int r = recvSkb(ifq, skb, offset, n);
            if (r > 0) {
                count -= r;
            }
            return r;
        }
    }

    /**
     * {@code io_zcrx_recv_skb}: hands over bytes {@code [offset, offset + len)} of {@code skb}: the
     * linear part by copy, then each frag. Returns the bytes handed over, or a negative errno if
     * none could be.
     */
    private static int recvSkb(ZcrxIfq ifq, SkBuff skb, int offset, int len) {
        int end = offset + len;
        int pos = offset;
        if (pos < skb.headlen()) {
            int n = Math.min(skb.headlen() - pos, len);
            int r = copyOut(ifq, skb.head(), skb.headOffset() + pos, n);
            if (r < n) {
                return r; // stuck in the linear part: what was copied, or the error
            }
            pos += r;
        }
        int r = 0;
        int fStart = skb.headlen();
        for (int i = 0; i < skb.nrFrags() && pos < end; i++) {
            int fEnd = fStart + skb.fragSize(i);
            if (pos < fEnd) {
                int n = Math.min(fEnd, end) - pos;
                r = recvFrag(ifq, skb, i, pos - fStart, n);
                if (r < 0) {
                    break;
                }
                pos += r;
                if (r < n) {
                    break; // the copy fallback ran out of buffers part way: the next call reports why
                }
            }
            fStart = fEnd;
        }
        int done = pos - offset;
        return done > 0 ? done : r;
    }

    /** Frag {@code i}, bytes {@code [from, from + n)}: a completion if in the ifq's area, else a copy. */
    private static int recvFrag(ZcrxIfq ifq, SkBuff skb, int i, int from, int n) {
        NetIov niov = skb.fragNetmem(i);
        if (niov.owner() == ifq.area().niovs()) {
            return ifq.postCompletion(niov, skb.fragOffset(i) + from, n) ? n : Errno.ENOSPC.value();
        }
        if (!niov.type().readable()) {
            throw Errno.EFAULT.exception("frag " + i + " is not memory of zcrx ifq " + ifq.id());
        }
        return ifq.copyFrag(niov.segment().asSlice(skb.fragOffset(i) + from, n)); // counted, COPY event
    }

    /** The copy fallback: copies {@code n} bytes at {@code off} of {@code src} into free ifq buffers. */
    private static int copyOut(ZcrxIfq ifq, NetIov src, int off, int n) {
        int done = 0;
        while (done < n) {
            int r = ifq.postCopyCompletion(src.segment().asSlice(off + done, n - done));
            if (r < 0) {
                return done > 0 ? done : r;
            }
            done += r;
        }
        return done;
    }
}
