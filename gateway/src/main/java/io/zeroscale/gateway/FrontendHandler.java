package io.zeroscale.gateway;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.DuplexChannel;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.handler.codec.http2.DefaultHttp2ResetFrame;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import io.zeroscale.spi.Durations;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client connection: parses requests, routes each to its target, and runs one {@link Exchange}
 * at a time (HTTP/1.1 answers in order, so a pipelined request waits in {@link #stash} and reading
 * pauses until the current one is answered). For HTTP/2 there is one per stream (a {@code stream}
 * handler): it serves the stream's one request the same way, while the connection's own limits and
 * idle timeout are kept by {@link FrontendPipeline}.
 */
final class FrontendHandler extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(FrontendHandler.class);

    private final Proxy proxy;
    private @Nullable ChannelHandlerContext ctx;
    private @Nullable Exchange current;
    private final ArrayDeque<Object> stash = new ArrayDeque<>(4);
    /** Swallowing what is left of a request answered without an exchange. */
    private boolean discarding;
    /** The connection closes after the last answer; everything read is dropped. */
    private boolean closing;
    /** Raw bytes since a WebSocket upgrade. */
    private boolean relaying;
    /** The endpoint cannot take the request body as fast as the client sends it. */
    private boolean backpressured;
    private boolean drainingStash;
    /** Our answer is out and our side shut; reading (and dropping) what the client still sends. */
    private boolean lingering;
    private @Nullable Boolean peerTrusted;
    /** The peer's address as text, once per connection. */
    private @Nullable String peerText;

    /** What the connection waits for from the client, which decides the timeout that applies. */
    private enum Wait {
        /** Nothing: a request is being answered, or the connection is closing or relaying. */
        NONE,
        /** The next request on a keep-alive connection: idle-timeout. */
        IDLE,
        /** The rest of a request head whose first bytes arrived: header-timeout. */
        HEAD,
        /** The next piece of a request body: body-timeout (paused while we stop reading). */
        BODY
    }

    private Wait wait = Wait.NONE;
    /** System.nanoTime() by which the awaited input must arrive; Long.MAX_VALUE for none. */
    private long deadline = Long.MAX_VALUE;
    private @Nullable ScheduledFuture<?> timer;
    private long timerAt = Long.MAX_VALUE;
    /** Bytes of the next request head arrived while another request was being answered. */
    private boolean headPending;

    /**
     * How long a connection answered before its request was fully read keeps draining input. Closing
     * at once with unread bytes makes the kernel send a reset, which can destroy the answer (a 413 or
     * 431) before the client reads it.
     */
    private static final long LINGER_MILLIS = 2_000;

    /** The client connected with TLS: the endpoint is told {@code X-Forwarded-Proto: https}. */
    private final boolean secure;

    /** Serves one HTTP/2 stream, not a connection. */
    private final boolean stream;
    private boolean started;

    FrontendHandler(Proxy proxy, boolean secure, boolean stream) {
        this.proxy = proxy;
        this.secure = secure;
        this.stream = stream;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        if (ctx.channel().isActive()) {
            // Added once TLS and ALPN (or the cleartext preface check) decided on HTTP/1.1.
            start(ctx);
        }
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        start(ctx);
        ctx.fireChannelActive();
    }

    private void start(ChannelHandlerContext ctx) {
        if (started || stream) {
            // A stream's request is already arriving; its connection was counted when it was accepted.
            started = true;
            return;
        }
        started = true;
        String over = ctx.channel().attr(FrontendPipeline.REFUSED).get();
        if (over != null) {
            log.debug("Refused a connection from {}: {}", ctx.channel().remoteAddress(), over);
            closeAfter(ctx.writeAndFlush(Responses.retryLater(ctx.alloc(), 503, over, proxy.defaults().retryAfter(),
                    true)), true);
        } else {
            await(Wait.IDLE);
        }
    }

    // --- client timeouts ---

    /** The first bytes of a request head arrived (called by the decoder, once per head). */
    void headStarted() {
        if (wait == Wait.IDLE) {
            await(Wait.HEAD);
        } else {
            headPending = true;
        }
    }

    private void await(Wait kind) {
        wait = kind;
        GatewayConfig config = proxy.defaults();
        long timeout = switch (kind) {
            case NONE -> -1;
            case IDLE -> config.idleTimeout().toNanos();
            case HEAD -> config.headerTimeout().toNanos();
            case BODY -> bodyTimeout().toNanos();
        };
        deadline = timeout < 0 || (kind == Wait.BODY && backpressured) ? Long.MAX_VALUE : System.nanoTime() + timeout;
        armTimer();
    }

    private Duration bodyTimeout() {
        Exchange exchange = current;
        return exchange != null ? exchange.bodyTimeout() : proxy.defaults().bodyTimeout();
    }

    /** One scheduled task per connection at most; moving a deadline later only costs a field write. */
    private void armTimer() {
        ChannelHandlerContext ctx = this.ctx;
        if (deadline == Long.MAX_VALUE || ctx == null || closing) {
            return;
        }
        if (timer != null && timerAt - deadline <= 0) {
            return;
        }
        if (timer != null) {
            timer.cancel(false);
        }
        // Never further out than header-timeout: then a request head starting on an idle connection
        // never needs the timer moved earlier, so a request costs no scheduling at all.
        long now = System.nanoTime();
        long delay = Math.max(0, Math.min(deadline - now, proxy.defaults().headerTimeout().toNanos()));
        timerAt = now + delay;
        timer = ctx.executor().schedule(this::timerFired, delay, TimeUnit.NANOSECONDS);
    }

    private void timerFired() {
        timer = null;
        timerAt = Long.MAX_VALUE;
        if (closing || deadline == Long.MAX_VALUE) {
            return;
        }
        if (System.nanoTime() - deadline < 0) {
            armTimer();
            return;
        }
        ChannelHandlerContext ctx = requireContext();
        GatewayConfig config = proxy.defaults();
        switch (wait) {
            case IDLE -> {
                log.debug("Closing {}: idle for {} (idle-timeout)", ctx.channel(), Durations.format(config.idleTimeout()));
                closeNow();
            }
            case HEAD -> {
                wait = Wait.NONE;
                closeAfter(ctx.writeAndFlush(Responses.text(ctx.alloc(), 408, "the request head did not arrive within "
                        + Durations.format(config.headerTimeout()) + " (header-timeout)", true)), true);
            }
            case BODY -> {
                wait = Wait.NONE;
                String reason = "the request body stalled: nothing arrived for " + Durations.format(bodyTimeout())
                        + " (body-timeout)";
                Exchange exchange = current;
                if (exchange != null) {
                    exchange.bodyTimedOut(reason);
                } else {
                    closeAfter(ctx.writeAndFlush(Responses.text(ctx.alloc(), 408, reason, true)), true);
                }
            }
            case NONE -> {
                // Nothing awaited any more.
            }
        }
    }

    /** After a request or a piece of its body: wait for more body, or for nothing until it is answered. */
    private void afterRequestInput(Exchange exchange) {
        if (current == exchange) {
            if (exchange.wantsBody()) {
                await(Wait.BODY);
            } else if (wait != Wait.NONE) {
                await(Wait.NONE);
            }
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (closing) {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (relaying) {
            Exchange exchange = current;
            if (exchange != null && msg instanceof ByteBuf bytes) {
                exchange.onDownstreamRelay(bytes);
            } else {
                ReferenceCountUtil.release(msg);
            }
            return;
        }
        if (!stash.isEmpty()) {
            stash.add(msg);
            updateAutoRead();
            return;
        }
        dispatch(msg);
    }

    private void dispatch(Object msg) {
        Exchange exchange = current;
        if (exchange != null) {
            if (msg instanceof HttpContent content && exchange.wantsRequestContent()) {
                exchange.onRequestContent(content);
                afterRequestInput(exchange);
            } else {
                stash.add(msg);
                updateAutoRead();
            }
            return;
        }
        if (discarding) {
            if (msg instanceof HttpContent content) {
                discarding = !(content instanceof LastHttpContent);
                content.release();
                await(discarding ? Wait.BODY : Wait.IDLE);
                return;
            }
            discarding = false;
        }
        if (msg instanceof HttpRequest request) {
            headPending = false;
            try {
                onRequest(request);
            } finally {
                // Only the decoder's placeholder for a malformed request is reference counted.
                ReferenceCountUtil.release(request);
            }
            return;
        }
        ReferenceCountUtil.release(msg);
    }

    private void onRequest(HttpRequest request) {
        ChannelHandlerContext ctx = requireContext();
        if (request.decoderResult().isFailure()) {
            rejectMalformed(request.decoderResult().cause());
            return;
        }
        HttpVersion version = request.protocolVersion();
        if (!version.equals(HttpVersion.HTTP_1_1) && !version.equals(HttpVersion.HTTP_1_0)) {
            // HTTP/2 arrives through ALPN or the cleartext preface, never as an HTTP/1 request line.
            reject(request, 505, "HTTP version " + version.text() + " is not supported here; send HTTP/1.1"
                    + " (or HTTP/2 with TLS and ALPN, or with prior knowledge)", true);
            return;
        }
        if (HttpMethod.CONNECT.equals(request.method())) {
            reject(request, 405, "CONNECT is not supported: this gateway is a reverse proxy", true);
            return;
        }
        String problem = RequestChecks.headProblem(request);
        if (problem != null) {
            rejectMalformed(new IllegalArgumentException(problem));
            return;
        }
        String uri = request.uri();
        String hostHeader = request.headers().get(HttpHeaderNames.HOST);
        String path;
        if (uri.startsWith("/")) {
            path = uri;
        } else if (uri.equals("*")) {
            path = "/";
        } else {
            // Absolute form (http://host/path): its authority is the host, and the endpoint gets the path.
            // It never decides where we connect: only the target's endpoints do (no open proxy).
            int schemeEnd = uri.indexOf("://");
            if (schemeEnd <= 0) {
                reject(request, 400, "malformed request target '" + uri + "'", true);
                return;
            }
            int authorityStart = schemeEnd + 3;
            int pathStart = indexOfAny(uri, authorityStart, "/?#");
            String authority = uri.substring(authorityStart, pathStart < 0 ? uri.length() : pathStart);
            // Userinfo (user@host) is deprecated for http and parsers disagree on where it ends: refused.
            hostHeader = authority;
            if (!RequestChecks.validHost(hostHeader)) {
                rejectMalformed(new IllegalArgumentException("malformed authority '" + hostHeader
                        + "' in the request target; send host or host:port"));
                return;
            }
            path = pathStart < 0 ? "/" : (uri.charAt(pathStart) == '/' ? "" : "/") + uri.substring(pathStart);
            request.setUri(path);
            request.headers().set(HttpHeaderNames.HOST, hostHeader);
        }
        RequestChecks.Target normalized = RequestChecks.normalize(path);
        String normalizedPath = normalized.uri();
        if (normalizedPath == null) {
            rejectMalformed(new IllegalArgumentException(normalized.problem()));
            return;
        }
        if (!normalizedPath.equals(path)) {
            // The endpoint gets the path we routed, not one it could resolve differently.
            path = normalizedPath;
            request.setUri(path);
        }
        if (hostHeader == null) {
            // HTTP/1.0 without Host: the endpoint still gets one, the address the client connected to.
            hostHeader = localHost();
            request.headers().set(HttpHeaderNames.HOST, hostHeader);
        }
        TargetTraffic target = proxy.route(Hosts.normalize(hostHeader), path);
        if (target == null) {
            reject(request, 404, "no route for host '" + (hostHeader == null ? "" : hostHeader) + "' and path '"
                    + pathOnly(path) + "'", false);
            return;
        }
        GatewayConfig config = target.config();
        long contentLength = HttpUtil.getContentLength(request, -1L);
        if (contentLength > config.maxBodySize()) {
            reject(request, 413, "request body is larger than " + ByteSizes.format(config.maxBodySize())
                    + " (max-body-size)", true);
            return;
        }
        String expect = request.headers().get(HttpHeaderNames.EXPECT);
        if (expect != null && !expect.equalsIgnoreCase("100-continue")) {
            reject(request, 417, "unsupported Expect header '" + expect + "'", true);
            return;
        }
        if (HttpUtil.is100ContinueExpected(request)) {
            // We take the body ourselves (to hold it while the target wakes), so we say continue.
            request.headers().remove(HttpHeaderNames.EXPECT);
            ctx.writeAndFlush(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.CONTINUE,
                    Unpooled.EMPTY_BUFFER), ctx.voidPromise());
        }
        boolean http11 = request.protocolVersion().equals(HttpVersion.HTTP_1_1);
        boolean keepAlive = http11 && HttpUtil.isKeepAlive(request);
        boolean webSocket = HttpMethod.GET.equals(request.method()) && ProxyHeaders.isWebSocketUpgrade(request);
        String accept = request.headers().get(HttpHeaderNames.ACCEPT);
        boolean htmlNavigation = HttpMethod.GET.equals(request.method()) && accept != null
                && accept.toLowerCase(Locale.ROOT).contains("text/html");
        String client = clientOf(request);
        boolean chunked = HttpUtil.isTransferEncodingChunked(request);
        boolean bodyless = !chunked && contentLength <= 0;
        ProxyHeaders.prepareRequest(request, contentLength, chunked, clientAddress(), peerTrusted(), webSocket,
                secure);
        Exchange exchange = new Exchange(proxy, this, ctx.channel(), target, request, target.clock().instant(),
                keepAlive, http11, webSocket, htmlNavigation, HttpMethod.HEAD.equals(request.method()), bodyless, client);
        current = exchange;
        exchange.start();
        afterRequestInput(exchange);
    }

    private void rejectMalformed(Throwable cause) {
        int maxHeaderSize = proxy.defaults().maxHeaderSize();
        FullHttpResponse response;
        if (cause instanceof TooLongHttpHeaderException) {
            response = Responses.text(requireContext().alloc(), 431, "request headers are larger than "
                    + ByteSizes.format(maxHeaderSize) + " (max-header-size)", true);
        } else if (cause instanceof TooLongHttpLineException) {
            response = Responses.text(requireContext().alloc(), 414, "request line is longer than "
                    + ByteSizes.format(maxHeaderSize) + " (max-header-size)", true);
        } else if (cause instanceof TooLongFrameException) {
            response = Responses.text(requireContext().alloc(), 431, "request is too large: " + cause.getMessage(), true);
        } else {
            response = Responses.text(requireContext().alloc(), 400, "malformed request: "
                    + (cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage()), true);
        }
        log.debug("Rejected a malformed request from {} with {}", clientAddress(), response.status(), cause);
        closeAfter(requireContext().writeAndFlush(response), true);
    }

    /** Answers without an exchange; keeps the connection when nothing of the request is left to read. */
    private void reject(HttpRequest request, int status, String reason, boolean alwaysClose) {
        boolean bodyExpected = HttpUtil.isTransferEncodingChunked(request)
                || HttpUtil.getContentLength(request, 0L) > 0;
        boolean close = alwaysClose || bodyExpected || !HttpUtil.isKeepAlive(request)
                || !request.protocolVersion().equals(HttpVersion.HTTP_1_1) || proxy.shuttingDown();
        FullHttpResponse text = Responses.text(requireContext().alloc(), status, reason, close);
        FullHttpResponse response = Responses.isGrpc(request) ? Responses.grpc(text) : text;
        if (close) {
            closeAfter(requireContext().writeAndFlush(response), bodyExpected);
        } else {
            discarding = true;
            requireContext().writeAndFlush(response, requireContext().voidPromise());
            await(Wait.BODY);
        }
    }

    /** The current exchange answered; the next pipelined request, if any, goes next. */
    void exchangeDone(Exchange exchange, boolean closeAfter) {
        if (current != exchange) {
            return;
        }
        current = null;
        backpressured = false;
        if (closeAfter || stream) {
            // An HTTP/2 stream carries one request; it closes once both sides ended.
            closing = true;
            releaseStash();
            return;
        }
        await(headPending ? Wait.HEAD : Wait.IDLE);
        drainStash();
        updateAutoRead();
    }

    private void drainStash() {
        if (drainingStash) {
            return;
        }
        drainingStash = true;
        try {
            while (!closing && !relaying && !stash.isEmpty()) {
                Exchange exchange = current;
                Object next = stash.peekFirst();
                if (exchange != null && !(next instanceof HttpContent && exchange.wantsRequestContent())) {
                    break;
                }
                stash.pollFirst();
                dispatch(next);
            }
        } finally {
            drainingStash = false;
        }
    }

    void setBackpressured(boolean value) {
        boolean changed = backpressured != value;
        backpressured = value;
        if (changed && wait == Wait.BODY) {
            // We stopped reading, not the client: the body timeout pauses meanwhile.
            await(Wait.BODY);
        }
        updateAutoRead();
    }

    /** After a 101: the client's bytes are no longer HTTP, so the codec leaves the pipeline. */
    void switchToRelay() {
        relaying = true;
        await(Wait.NONE);
        backpressured = false;
        releaseStash();
        ChannelHandlerContext ctx = requireContext();
        // Bytes the decoder already holds are handed to us (as raw bytes) when it is removed.
        ctx.pipeline().remove(FrontendCodec.class);
        updateAutoRead();
    }

    /**
     * Closes the connection once {@code written} is out. With {@code linger} (the request was not
     * read to its end) our side shuts first and the rest of the request is read and dropped for a
     * moment, so the client gets to read the answer.
     */
    void closeAfter(ChannelFuture written, boolean linger) {
        closing = true;
        cancelTimer();
        if (stream && linger) {
            // HTTP/2 says this without closing anything else: a stream answered in full while its
            // body still comes is ended with RST_STREAM NO_ERROR, which asks the client to stop
            // sending and keeps the answer valid (RFC 9113 section 8.1). Closing the stream channel
            // alone would reset it with CANCEL, and clients then count the answered request as failed.
            written.addListener((ChannelFuture future) -> {
                Channel channel = future.channel();
                if (future.isSuccess() && channel.isActive()) {
                    channel.writeAndFlush(new DefaultHttp2ResetFrame(Http2Error.NO_ERROR))
                            .addListener(ChannelFutureListener.CLOSE);
                } else {
                    channel.close();
                }
            });
            return;
        }
        if (!linger) {
            written.addListener(ChannelFutureListener.CLOSE);
            return;
        }
        lingering = true;
        updateAutoRead();
        written.addListener((ChannelFuture future) -> {
            Channel channel = future.channel();
            if (future.isSuccess() && channel instanceof DuplexChannel duplex && channel.isActive()) {
                duplex.shutdownOutput().addListener(shut -> channel.eventLoop()
                        .schedule(() -> channel.close(), LINGER_MILLIS, TimeUnit.MILLISECONDS));
            } else {
                channel.close();
            }
        });
    }

    void closeNow() {
        closing = true;
        cancelTimer();
        requireContext().close();
    }

    private void updateAutoRead() {
        ChannelHandlerContext ctx = this.ctx;
        if (ctx == null) {
            return;
        }
        boolean read = lingering || (!closing && stash.isEmpty() && !backpressured);
        if (ctx.channel().config().isAutoRead() != read) {
            ctx.channel().config().setAutoRead(read);
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        Exchange exchange = current;
        if (exchange != null) {
            exchange.onDownstreamReadComplete();
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        Exchange exchange = current;
        if (exchange != null) {
            exchange.onDownstreamWritabilityChanged(ctx.channel().isWritable());
        }
        ctx.fireChannelWritabilityChanged();
    }

    private void cancelTimer() {
        deadline = Long.MAX_VALUE;
        if (timer != null) {
            timer.cancel(false);
            timer = null;
            timerAt = Long.MAX_VALUE;
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        closing = true;
        cancelTimer();
        releaseStash();
        Exchange exchange = current;
        current = null;
        if (exchange != null) {
            exchange.onDownstreamClosed();
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        log.debug("Client connection {} failed", ctx.channel(), cause);
        closing = true;
        ctx.close();
    }

    private void releaseStash() {
        Object msg;
        while ((msg = stash.pollFirst()) != null) {
            ReferenceCountUtil.release(msg);
        }
    }

    private @Nullable String clientAddress() {
        String text = peerText;
        if (text == null) {
            ChannelHandlerContext ctx = this.ctx;
            if (ctx != null && ctx.channel().remoteAddress() instanceof InetSocketAddress address
                    && address.getAddress() != null) {
                text = address.getAddress().getHostAddress();
                peerText = text;
            }
        }
        return text;
    }

    /**
     * Who the request is from, for the per-client limits: the peer, or when the peer is a trusted
     * proxy, the nearest address in {@code X-Forwarded-For} that is not a trusted proxy itself.
     */
    private String clientOf(HttpRequest request) {
        String peer = clientAddress();
        if (peer == null) {
            return "unknown";
        }
        if (!peerTrusted()) {
            return peer;
        }
        String forwardedFor = request.headers().get(ProxyHeaders.X_FORWARDED_FOR);
        if (forwardedFor == null) {
            return peer;
        }
        String[] hops = forwardedFor.split(",");
        for (int i = hops.length - 1; i >= 0; i--) {
            String hop = hops[i].strip();
            if (!hop.isEmpty() && !proxy.trustedProxies().trustsLiteral(hop)) {
                return hop;
            }
        }
        return peer;
    }

    /** True when the peer is one of the {@code trusted-proxies}; decided once per connection. */
    private boolean peerTrusted() {
        if (peerTrusted == null) {
            ChannelHandlerContext ctx = this.ctx;
            peerTrusted = ctx != null && ctx.channel().remoteAddress() instanceof InetSocketAddress address
                    && proxy.trustedProxies().trusts(address);
        }
        return peerTrusted;
    }

    private String localHost() {
        ChannelHandlerContext ctx = this.ctx;
        if (ctx != null && ctx.channel().localAddress() instanceof InetSocketAddress address
                && address.getAddress() != null) {
            String host = address.getAddress().getHostAddress();
            return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + address.getPort();
        }
        return "localhost";
    }

    private ChannelHandlerContext requireContext() {
        ChannelHandlerContext ctx = this.ctx;
        if (ctx == null) {
            throw new IllegalStateException("handler is not in a pipeline");
        }
        return ctx;
    }

    private static int indexOfAny(String text, int from, String chars) {
        for (int i = from; i < text.length(); i++) {
            if (chars.indexOf(text.charAt(i)) >= 0) {
                return i;
            }
        }
        return -1;
    }

    private static String pathOnly(String path) {
        int query = path.indexOf('?');
        return query < 0 ? path : path.substring(0, query);
    }
}
