package io.zeroscale.gateway;

import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http2.HttpConversionUtil;

/**
 * Between Netty's HTTP/2 stream codec and the proxy: hands on every message as a head followed by
 * its content, the shape the HTTP/1.1 decoder produces and {@link Exchange} expects (the stream
 * codec emits a whole message as one {@code FullHttpMessage} when its HEADERS frame ends the stream,
 * e.g. a GET or a gRPC trailers-only answer). It also drops the {@code x-http2-*} headers the codec
 * adds for its own bookkeeping, so they never reach the other side.
 */
@ChannelHandler.Sharable
final class HttpMessageSplitter extends ChannelInboundHandlerAdapter {
    static final HttpMessageSplitter INSTANCE = new HttpMessageSplitter();

    private HttpMessageSplitter() {}

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof FullHttpRequest full) {
            stripExtensions(full.headers());
            ctx.fireChannelRead(new DefaultHttpRequest(full.protocolVersion(), full.method(), full.uri(),
                    full.headers()));
            ctx.fireChannelRead(new DefaultLastHttpContent(full.content(), full.trailingHeaders()));
        } else if (msg instanceof FullHttpResponse full) {
            stripExtensions(full.headers());
            ctx.fireChannelRead(new DefaultHttpResponse(full.protocolVersion(), full.status(), full.headers()));
            ctx.fireChannelRead(new DefaultLastHttpContent(full.content(), full.trailingHeaders()));
        } else {
            if (msg instanceof HttpMessage message) {
                stripExtensions(message.headers());
            }
            if (msg instanceof LastHttpContent last) {
                stripExtensions(last.trailingHeaders());
            }
            ctx.fireChannelRead(msg);
        }
    }

    private static void stripExtensions(HttpHeaders headers) {
        for (HttpConversionUtil.ExtensionHeaderNames name : HttpConversionUtil.ExtensionHeaderNames.values()) {
            headers.remove(name.text());
        }
    }
}
