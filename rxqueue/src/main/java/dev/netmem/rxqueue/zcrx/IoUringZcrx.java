package dev.netmem.rxqueue.zcrx;

import dev.netmem.api.Errno;
import dev.netmem.api.ErrnoException;
import dev.netmem.api.NetIov;
import dev.netmem.api.NetdevRxQueue;
import dev.netmem.providers.zcrx.ZcrxArea;
import dev.netmem.providers.zcrx.ZcrxIfq;
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
        Objects.requireNonNull(nl, "nl");
        Objects.requireNonNull(device, "device");
        return nl.bindRx(device, new NetdevNlSock.ProviderRegistration<ZcrxIfq>() {
            @Override
            public ZcrxIfq create(Object owner, Consumer<NetdevRxQueue> closeQueue) {
                return ZcrxIfq.register(area, device.dmaDevice(), rqEntries, cqEntries, dir, closeQueue, owner);
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
        }, queue);
    }

    /**
     * {@code IORING_OP_RECV_ZC} ({@code io_zcrx_recv}): hands data queued on {@code sock} to the
     * io_uring user ring of {@code ifq}. Each frag in the ifq's memory becomes a completion
     * ({@link ZcrxIfq#postCompletion}, which takes the buffer's {@code pp_ref_count} and user
     * references); linear bytes and readable (host page) frags are copied into free ifq buffers
     * ({@link ZcrxIfq#postCopyCompletion}, the copy fallback). At most
     * {@link #IO_SKBS_PER_CALL_LIMIT} skbs per call; the user returns buffers through the refill ring.
     *
     * @return bytes handed over, 0 if none arrived in time
     * @throws ErrnoException {@link Errno#EFAULT} for a frag in another provider's memory;
     *                        {@link Errno#ENOSPC} (completion ring full) or {@link Errno#ENOMEM}
     *                        (no free buffer for a copy) when nothing could be handed over;
     *                        {@link Errno#ENOTCONN} once the socket is closed
     */
    public static int recvZc(DevmemSocket sock, ZcrxIfq ifq, Duration timeout) {
        Objects.requireNonNull(ifq, "ifq");
        int r = sock.readSock((skb, offset, len) -> recvSkb(ifq, skb, offset, len), IO_SKBS_PER_CALL_LIMIT, timeout);
        if (r < 0) {
            throw r == Errno.ENOSPC.value()
                    ? Errno.ENOSPC.exception("zcrx completion ring is full")
                    : Errno.ENOMEM.exception("zcrx has no free buffer for the copy fallback");
        }
        return r;
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
            int n = skb.headlen() - pos;
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
                int n = fEnd - pos;
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
        return copyOut(ifq, niov, skb.fragOffset(i) + from, n);
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
