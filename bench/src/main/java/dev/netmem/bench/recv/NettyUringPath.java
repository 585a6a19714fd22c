package dev.netmem.bench.recv;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.uring.IoUringIoHandler;
import io.netty.channel.uring.IoUringServerSocketChannel;
import java.lang.foreign.MemorySegment;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** Path (c): Netty 4.2's io_uring transport (its own buffer ring, multishot receive), verified in the event loop. */
final class NettyUringPath {
    private NettyUringPath() {
    }

    static RecvBench.Result run(long bytes, String verify) throws Exception {
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, IoUringIoHandler.newFactory());
        try {
            CompletableFuture<NioPaths.Verifier> done = new CompletableFuture<>();
            NioPaths.Verifier v = new NioPaths.Verifier(verify);
            ServerBootstrap b = new ServerBootstrap().group(group).channel(IoUringServerSocketChannel.class)
                    .childHandler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            ch.pipeline().addLast(new ChannelInboundHandlerAdapter() {
                                @Override
                                public void channelRead(ChannelHandlerContext ctx, Object msg) {
                                    ByteBuf bb = (ByteBuf) msg;
                                    try {
                                        for (ByteBuffer nb : bb.nioBuffers()) {
                                            v.chunk(MemorySegment.ofBuffer(nb), 0, nb.remaining());
                                        }
                                    } finally {
                                        bb.release();
                                    }
                                }

                                @Override
                                public void channelInactive(ChannelHandlerContext ctx) {
                                    done.complete(v);
                                }

                                @Override
                                public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                                    done.completeExceptionally(cause);
                                }
                            });
                        }
                    });
            Channel server = b.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)).sync().channel();
            int port = ((InetSocketAddress) server.localAddress()).getPort();
            long t0 = System.nanoTime();
            long c0 = NioPaths.cpuNanos();
            Thread s = NioPaths.sender(port, bytes);
            NioPaths.Verifier r = done.get(600, TimeUnit.SECONDS);
            double secs = (System.nanoTime() - t0) / 1e9;
            s.join();
            server.close().sync();
            return new RecvBench.Result(r.pos, secs, (NioPaths.cpuNanos() - c0) / 1e9, r.ok(bytes));
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        }
    }
}
