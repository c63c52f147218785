package io.zeroscale.gateway;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamFrameToHttpObjectCodec;
import io.zeroscale.spi.orchestrator.Endpoint;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A real HTTP/2-only server (cleartext, prior knowledge; Netty's HTTP/2 codec) on a free loopback
 * port: answers every request with "h2 METHOD PATH BODY-LENGTH". An HTTP/1.1 request never gets an
 * answer from it (its bytes are not the HTTP/2 preface), so a served request came over HTTP/2.
 */
final class H2cBackend implements AutoCloseable {
    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    private final Channel server;
    private final AtomicInteger connections = new AtomicInteger();
    private final AtomicInteger streams = new AtomicInteger();

    H2cBackend() {
        server = new ServerBootstrap()
                .group(group)
                .channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel channel) {
                        connections.incrementAndGet();
                        channel.pipeline()
                                .addLast(Http2FrameCodecBuilder.forServer().build())
                                .addLast(new Http2MultiplexHandler(new ChannelInitializer<Http2StreamChannel>() {
                                    @Override
                                    protected void initChannel(Http2StreamChannel stream) {
                                        streams.incrementAndGet();
                                        stream.pipeline()
                                                .addLast(new Http2StreamFrameToHttpObjectCodec(true))
                                                .addLast(new HttpObjectAggregator(1024 * 1024))
                                                .addLast(new SimpleChannelInboundHandler<FullHttpRequest>() {
                                                    @Override
                                                    protected void channelRead0(ChannelHandlerContext ctx,
                                                            FullHttpRequest request) {
                                                        String body = "h2 " + request.method() + " " + request.uri()
                                                                + " " + request.content().readableBytes();
                                                        FullHttpResponse response = new DefaultFullHttpResponse(
                                                                HttpVersion.HTTP_1_1, HttpResponseStatus.OK,
                                                                Unpooled.copiedBuffer(body, StandardCharsets.UTF_8));
                                                        response.headers().setInt(HttpHeaderNames.CONTENT_LENGTH,
                                                                response.content().readableBytes());
                                                        ctx.writeAndFlush(response);
                                                    }
                                                });
                                    }
                                }));
                    }
                })
                .bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))
                .syncUninterruptibly()
                .channel();
    }

    Endpoint endpoint() {
        return new Endpoint("127.0.0.1", ((InetSocketAddress) server.localAddress()).getPort());
    }

    /** TCP connections accepted so far. */
    int connections() {
        return connections.get();
    }

    /** HTTP/2 streams (requests) opened so far. */
    int streams() {
        return streams.get();
    }

    @Override
    public void close() {
        server.close().syncUninterruptibly();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }
}
