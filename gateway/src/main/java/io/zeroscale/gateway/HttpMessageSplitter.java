package io.zeroscale.gateway;

import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
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
 *
 * <p>A gRPC trailers-only answer from an endpoint (one HEADERS frame that ends the stream and
 * carries {@code grpc-status}, e.g. any error a service returns before a message) is handed on as a
 * head with {@code content-type} only and its metadata as the trailers: split like any other full
 * response, its {@code grpc-status} would stay in a header block that does not end the stream, which
 * gRPC clients ignore, and the caller would get INTERNAL ("no trailers") instead of the service's
 * status. Headers followed by trailers is the other shape the gRPC protocol allows.
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
            if (isGrpcTrailersOnly(full)) {
                HttpHeaders head = new DefaultHttpHeaders();
                HttpHeaders trailers = new DefaultHttpHeaders();
                for (java.util.Map.Entry<String, String> header : full.headers()) {
                    if (HttpHeaderNames.CONTENT_TYPE.contentEqualsIgnoreCase(header.getKey())) {
                        head.add(header.getKey(), header.getValue());
                    } else if (!HttpHeaderNames.CONTENT_LENGTH.contentEqualsIgnoreCase(header.getKey())) {
                        trailers.add(header.getKey(), header.getValue());
                    }
                }
                trailers.add(full.trailingHeaders());
                ctx.fireChannelRead(new DefaultHttpResponse(full.protocolVersion(), full.status(), head));
                ctx.fireChannelRead(new DefaultLastHttpContent(full.content(), trailers));
                return;
            }
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

    /** A response that is a whole gRPC call in one header block: gRPC content type, {@code grpc-status}, no body. */
    private static boolean isGrpcTrailersOnly(FullHttpResponse response) {
        String type = response.headers().get(HttpHeaderNames.CONTENT_TYPE);
        return !response.content().isReadable() && response.headers().contains(Responses.GRPC_STATUS)
                && type != null && type.regionMatches(true, 0, "application/grpc", 0, 16);
    }

    private static void stripExtensions(HttpHeaders headers) {
        for (HttpConversionUtil.ExtensionHeaderNames name : HttpConversionUtil.ExtensionHeaderNames.values()) {
            headers.remove(name.text());
        }
    }
}
