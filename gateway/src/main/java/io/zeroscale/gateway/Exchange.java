package io.zeroscale.gateway;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ConnectTimeoutException;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import io.zeroscale.spi.Durations;
import io.zeroscale.spi.orchestrator.Endpoint;
import java.net.ConnectException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One request from arrival to the end of its answer: held while the target has no ready endpoint,
 * forwarded over a pooled connection, its response streamed back, or relayed as raw bytes after a
 * WebSocket upgrade. Everything but {@link #dispatch}, {@link #fail} and {@link #cutForShutdown}
 * runs on the client connection's event loop, which also serves the upstream connection, so no
 * field needs a lock; the three fields marked below belong to the target's bookkeeping and are
 * guarded by it.
 */
final class Exchange implements UpstreamPool.Callback {
    private static final Logger log = LoggerFactory.getLogger(Exchange.class);

    /**
     * A request body up to this size is received in full before we connect, like nginx's request
     * buffering: a request that is whole can be sent again when an endpoint refuses it or a pooled
     * connection turns out closed. Larger bodies stream and cannot be replayed.
     */
    static final int REPLAY_BUFFER = 64 * 1024;

    /**
     * A request that must not be sent twice (POST, PATCH, ...) only goes out on a pooled connection
     * that has been idle for less than this: an endpoint that closes idle connections after a
     * keep-alive timeout (commonly 2 s or more) may close one just as we write, and then we cannot
     * tell whether it read the request.
     */
    static final long UNSAFE_REUSE_NANOS = TimeUnit.SECONDS.toNanos(1);

    enum Phase {
        NEW,
        HELD,
        /** Assigned to an endpoint; buffering the body so the request stays replayable. */
        AWAITING_BODY,
        CONNECTING,
        /** Connected; the request is (being) sent and no response has started. */
        FORWARDING,
        RESPONDING,
        RELAYING,
        DONE
    }

    // Guarded by the TargetTraffic monitor.
    boolean queued;
    @Nullable Endpoint endpoint;
    boolean finished;

    final Instant arrival;
    private final Proxy proxy;
    private final FrontendHandler front;
    private final Channel down;
    private final EventLoop loop;
    /** Flushes of HTTP/2 streams and reports of the target's counters, once per loop turn. */
    private final LoopTurn turn;
    private final TargetTraffic target;
    private final GatewayConfig config;
    private final HttpRequest request;
    private final boolean clientKeepAlive;
    private final boolean clientHttp11;
    private final boolean webSocket;
    private final boolean htmlNavigation;
    private final boolean headRequest;
    /** Who sent the request, for the per-client hold limit. */
    private final String client;
    /** Sending the request twice has the effect of sending it once (RFC 9110 section 9.2.2). */
    private final boolean idempotent;
    /** This request counts against max-held-per-client and max-held-total. */
    private boolean holdCounted;
    /** A gRPC call: the gateway's own answers are trailers-only gRPC statuses, and its body streams at once. */
    private final boolean grpc;
    /** Sent to the endpoint over HTTP/2 (h2c): a gRPC call, or a target whose backend-protocol is h2c. */
    private final boolean http2Upstream;

    private Phase phase = Phase.NEW;
    /** Body received before an upstream connection exists; kept until a response starts if replayable. */
    private final ArrayDeque<HttpContent> body = new ArrayDeque<>();
    private long bodyBytes;
    private boolean requestComplete;
    /** The whole request sits in {@link #body}, so it can be sent again on another connection. */
    private boolean replayable;
    private @Nullable Endpoint connectingTo;
    private @Nullable Channel upstream;
    private boolean upstreamReused;
    private boolean upstreamReusable;
    private boolean skippingInformational;
    private boolean closeClient;
    /** The request has no body; the empty last content the decoder still emits is dropped. */
    private boolean dropDecoderLast;
    private @Nullable ScheduledFuture<?> wakeTimer;
    private @Nullable ScheduledFuture<?> pageTimer;
    private @Nullable ScheduledFuture<?> responseTimer;
    /** response-idle-timeout: System.nanoTime() by which the endpoint must send more of its response. */
    private long responseIdleDeadline = Long.MAX_VALUE;
    private @Nullable ScheduledFuture<?> responseIdleTimer;

    Exchange(Proxy proxy, FrontendHandler front, Channel down, TargetTraffic target, HttpRequest request,
            Instant arrival, boolean clientKeepAlive, boolean clientHttp11, boolean webSocket,
            boolean htmlNavigation, boolean headRequest, boolean bodyless, String client) {
        this.proxy = proxy;
        this.front = front;
        this.down = down;
        this.loop = down.eventLoop();
        this.turn = proxy.pool(loop).turn();
        this.target = target;
        this.config = target.config();
        this.request = request;
        this.arrival = arrival;
        this.clientKeepAlive = clientKeepAlive;
        this.clientHttp11 = clientHttp11;
        this.webSocket = webSocket;
        this.htmlNavigation = htmlNavigation;
        this.headRequest = headRequest;
        this.client = client;
        this.idempotent = isIdempotent(request.method());
        this.grpc = Responses.isGrpc(request);
        this.http2Upstream = config.backendProtocol().http2For(grpc);
        if (http2Upstream && grpc) {
            // gRPC servers require it; HTTP/2 allows this one value of TE (RFC 9113 section 8.2.2).
            request.headers().set(io.netty.handler.codec.http.HttpHeaderNames.TE,
                    io.netty.handler.codec.http.HttpHeaderValues.TRAILERS);
        }
        if (bodyless) {
            // Whole from the start, so it is replayable even on a connection taken from the pool at once.
            requestComplete = true;
            dropDecoderLast = true;
            body.add(LastHttpContent.EMPTY_LAST_CONTENT);
        }
    }

    /** True while more of the request body is expected from the client. */
    boolean wantsBody() {
        return !requestComplete && phase != Phase.DONE;
    }

    Duration bodyTimeout() {
        return config.bodyTimeout();
    }

    /** The client stopped sending the body for body-timeout: 408, the connection closes, the slot is freed. */
    void bodyTimedOut(String reason) {
        requestComplete = false;
        abortOrRespond(408, reason);
    }

    /** True until the request's last content arrived. */
    boolean wantsRequestContent() {
        return !requestComplete || dropDecoderLast;
    }

    void start() {
        proxy.register(this);
        TargetTraffic.Admission admission = target.admit(this, turn);
        switch (admission.outcome()) {
            case FORWARD -> forwardTo(requireEndpoint(admission));
            case HELD -> {
                String over = proxy.holdLimit(client);
                if (over != null && target.unhold(this)) {
                    respondRetryLater(503, over);
                } else {
                    enterHeld();
                }
            }
            case FULL -> respondRetryLater(503, "target " + target.target() + " is starting and already holds "
                    + config.maxHeld() + " requests (max-held); retry in " + config.retryAfter().toSeconds() + "s");
            case CLOSED -> respondRetryLater(503, target.shutdownReason());
            case REFUSED -> respondRefused(admission);
            case GONE -> finish();
        }
    }

    // --- holding ---

    private void enterHeld() {
        phase = Phase.HELD;
        if (!holdCounted) {
            holdCounted = true;
            proxy.held(client);
        }
        if (wakeTimer == null || wakeTimer.isDone()) {
            Duration left = config.wakeTimeout().minus(Duration.between(arrival, target.clock().instant()));
            wakeTimer = loop.schedule(this::wakeTimedOut, Math.max(0, left.toNanos()), TimeUnit.NANOSECONDS);
        }
        if (config.waitingPage() && htmlNavigation && pageTimer == null) {
            pageTimer = loop.schedule(this::showWaitingPage, config.retryAfter().toNanos(), TimeUnit.NANOSECONDS);
        }
    }

    private void wakeTimedOut() {
        if (phase == Phase.HELD && target.unhold(this)) {
            respond(Responses.text(down.alloc(), 504, "target " + target.target() + " did not become ready within "
                    + Durations.format(config.wakeTimeout()) + " (wake-timeout); try again later", closeAfterError()));
        }
    }

    private void showWaitingPage() {
        if (phase == Phase.HELD && target.unhold(this)) {
            respond(Responses.waitingPage(down.alloc(), target.target(), config.retryAfter(), closeAfterError()));
        }
    }

    /** The target assigned this held request to {@code endpoint}. Any thread. */
    void dispatch(Endpoint endpoint) {
        execute(() -> {
            if (phase == Phase.HELD) {
                cancel(pageTimer);
                forwardTo(endpoint);
            }
        });
    }

    /** The target took this request out of the hold queue to answer it with {@code status}. Any thread. */
    void fail(int status, String reason) {
        execute(() -> {
            if (phase == Phase.HELD) {
                if (status == 503) {
                    respondRetryLater(status, reason);
                } else {
                    respond(Responses.text(down.alloc(), status, reason, closeAfterError()));
                }
            }
        });
    }

    /** Like {@link #fail(int, String)}, with the engine's own {@code Retry-After}. Any thread. */
    void fail(int status, String reason, Duration retryAfter) {
        execute(() -> {
            if (phase == Phase.HELD) {
                respond(Responses.retryLater(down.alloc(), status, reason, retryAfter, closeAfterError()));
            }
        });
    }

    private void respondRefused(TargetTraffic.Admission admission) {
        var refusal = admission.refusal();
        if (refusal == null) {
            respondRetryLater(503, "target " + target.target() + " refuses requests for now");
            return;
        }
        respond(Responses.retryLater(down.alloc(), 503, refusal.reason(), target.retryAfter(refusal), closeAfterError()));
    }

    /**
     * The shutdown grace is over and this request has not ended: a request not answered yet gets an
     * answer that says so (503 if nothing reached the endpoint, 504 if the endpoint did not answer in
     * time); a response or relay in progress is cut, which is the only way HTTP/1.1 has to end it.
     * Any thread.
     */
    void cutForShutdown(Duration grace) {
        execute(() -> {
            switch (phase) {
                case NEW, HELD, AWAITING_BODY, CONNECTING -> respondRetryLater(503, target.shutdownReason());
                case FORWARDING -> {
                    String to = String.valueOf(connectingTo);
                    closeUpstream();
                    respond(Responses.text(down.alloc(), 504, "endpoint " + to + " of target " + target.target()
                            + " did not answer within the shutdown grace of " + Durations.format(grace)
                            + "; zeroscale is shutting down", true));
                }
                case RESPONDING, RELAYING -> {
                    log.debug("Cutting a {} request of target {} at the end of the shutdown grace", phase,
                            target.target());
                    closeUpstream();
                    front.closeNow();
                    finish();
                }
                case DONE -> {
                    // Ended meanwhile.
                }
            }
        });
    }

    private void execute(Runnable task) {
        try {
            loop.execute(task);
        } catch (RejectedExecutionException e) {
            // The loop is shutting down with the gateway; its connections close with it.
            log.debug("Dropped a task for an exchange of target {}: the gateway is closing", target.target());
        }
    }

    // --- connecting and sending ---

    private void releaseHold() {
        if (holdCounted) {
            holdCounted = false;
            proxy.released(client);
        }
    }

    private void forwardTo(Endpoint to) {
        releaseHold();
        // A gRPC stream may wait for the endpoint's first message before sending more: never wait for its body.
        if (requestComplete || bodyBytes >= REPLAY_BUFFER || grpc) {
            connect(to, false);
        } else {
            phase = Phase.AWAITING_BODY;
            connectingTo = to;
        }
    }

    private void connect(Endpoint to, boolean fresh) {
        phase = Phase.CONNECTING;
        connectingTo = to;
        proxy.pool(loop).acquire(to, fresh, idempotent ? Long.MAX_VALUE : UNSAFE_REUSE_NANOS,
                config.connectTimeout(), this, http2Upstream);
    }

    @Override
    public void connected(Channel channel, boolean reused) {
        Endpoint to = connectingTo;
        if (phase != Phase.CONNECTING || to == null) {
            // The client went away while we connected; the connection is clean, keep it.
            if (to != null) {
                proxy.pool(loop).release(to, channel);
            } else {
                channel.close();
            }
            return;
        }
        upstream = channel;
        upstreamReused = reused;
        channel.pipeline().get(UpstreamHandler.class).attach(this);
        phase = Phase.FORWARDING;
        channel.write(request, channel.voidPromise());
        if (requestComplete) {
            replayable = true;
            for (HttpContent content : body) {
                channel.write(content.retainedDuplicate(), channel.voidPromise());
            }
        } else {
            replayable = false;
            HttpContent content;
            while ((content = body.poll()) != null) {
                channel.write(content, channel.voidPromise());
            }
        }
        if (requestComplete) {
            turn.flush(channel);
            startResponseTimer();
        } else {
            // More of the request may be in the client's read under way: a gRPC call's HEADERS and its
            // first message arrive together, and flushing the head alone here sent them to the endpoint
            // as two writes (two wake-ups of the endpoint per call). onDownstreamReadComplete flushes
            // head and body at once; this task, run by the loop right after the I/O it is handling, is
            // the backstop for a request connected outside a client read (a held one the wake let go).
            turn.flushSoon(channel);
        }
        front.setBackpressured(!channel.isWritable());
    }

    @Override
    public void failed(Throwable cause) {
        Endpoint to = connectingTo;
        if (phase != Phase.CONNECTING || to == null) {
            return;
        }
        refused(to, describe(cause));
    }

    /** Nothing reached the endpoint (or it closed before answering and we still have the whole request). */
    private void refused(Endpoint to, String reason) {
        TargetTraffic.Admission admission = target.refused(this, to, reason);
        switch (admission.outcome()) {
            case FORWARD -> forwardTo(requireEndpoint(admission));
            case HELD -> enterHeld();
            case CLOSED -> respondRetryLater(503, target.shutdownReason());
            case REFUSED -> respondRefused(admission);
            case FULL, GONE -> finish();
        }
    }

    private void startResponseTimer() {
        cancel(responseTimer);
        if (!config.responseTimeout().isZero()) {
            responseTimer = loop.schedule(this::responseTimedOut, config.responseTimeout().toNanos(),
                    TimeUnit.NANOSECONDS);
        }
    }

    private void responseTimedOut() {
        if (phase == Phase.FORWARDING) {
            closeUpstream();
            respond(Responses.text(down.alloc(), 504, "endpoint " + connectingTo + " of target " + target.target()
                    + " did not answer within " + Durations.format(config.responseTimeout()) + " (response-timeout)",
                    closeAfterError()));
        }
    }

    // --- the client's side ---

    void onRequestContent(HttpContent content) {
        if (dropDecoderLast) {
            dropDecoderLast = !(content instanceof LastHttpContent);
            content.release();
            return;
        }
        if (content.decoderResult().isFailure()) {
            String cause = String.valueOf(content.decoderResult().cause().getMessage());
            content.release();
            requestComplete = false;
            abortOrRespond(400, "malformed request body: " + cause);
            return;
        }
        bodyBytes += content.content().readableBytes();
        if (content instanceof LastHttpContent) {
            requestComplete = true;
        }
        if (bodyBytes > config.maxBodySize()) {
            content.release();
            requestComplete = false;
            abortOrRespond(413, "request body is larger than " + ByteSizes.format(config.maxBodySize())
                    + " (max-body-size)");
            return;
        }
        switch (phase) {
            case NEW, HELD, CONNECTING -> {
                body.add(content);
                if (bodyBytes >= REPLAY_BUFFER && !requestComplete) {
                    // Held bodies would otherwise cost max-held x max-body-size of memory: let TCP make
                    // the client wait instead, and read on once an endpoint takes the request.
                    front.setBackpressured(true);
                }
            }
            case AWAITING_BODY -> {
                body.add(content);
                Endpoint to = connectingTo;
                if ((requestComplete || bodyBytes >= REPLAY_BUFFER) && to != null) {
                    connect(to, false);
                }
            }
            case FORWARDING, RESPONDING -> {
                Channel channel = upstream;
                if (channel == null) {
                    content.release();
                    return;
                }
                channel.write(content, channel.voidPromise());
                if (requestComplete && phase == Phase.FORWARDING) {
                    startResponseTimer();
                }
            }
            case RELAYING, DONE -> content.release();
        }
    }

    void onDownstreamReadComplete() {
        Channel channel = upstream;
        if (channel != null) {
            turn.flush(channel);
        }
    }

    void onDownstreamRelay(ByteBuf bytes) {
        Channel channel = upstream;
        if (phase == Phase.RELAYING && channel != null) {
            channel.write(bytes, channel.voidPromise());
        } else {
            bytes.release();
        }
    }

    void onDownstreamWritabilityChanged(boolean writable) {
        if (responseIdleDeadline != Long.MAX_VALUE) {
            // A pause we caused (a slow client) does not count against the endpoint.
            responseIdleDeadline = System.nanoTime() + config.responseIdleTimeout().toNanos();
        }
        Channel channel = upstream;
        if (channel != null) {
            channel.config().setAutoRead(writable);
        }
    }

    void onDownstreamClosed() {
        if (phase == Phase.DONE) {
            return;
        }
        closeUpstream();
        finish();
    }

    // --- the endpoint's side ---

    void onUpstreamRead(Object msg) {
        if (responseIdleDeadline != Long.MAX_VALUE) {
            responseIdleDeadline = System.nanoTime() + config.responseIdleTimeout().toNanos();
        }
        switch (phase) {
            case RELAYING -> {
                if (msg instanceof ByteBuf bytes) {
                    down.write(bytes, down.voidPromise());
                } else {
                    // The empty end of the 101 that the client codec emits before switching to raw bytes.
                    ReferenceCountUtil.release(msg);
                }
            }
            case FORWARDING, RESPONDING -> onUpstreamHttp(msg);
            default -> ReferenceCountUtil.release(msg);
        }
    }

    private void onUpstreamHttp(Object msg) {
        if (msg instanceof HttpResponse response) {
            if (response.decoderResult().isFailure() || phase != Phase.FORWARDING) {
                ReferenceCountUtil.release(msg);
                closeUpstream();
                abortOrRespond(502, "endpoint " + connectingTo + " of target " + target.target()
                        + " sent a malformed response");
                return;
            }
            int code = response.status().code();
            if (code == 101) {
                if (webSocket) {
                    switchProtocols(response);
                } else {
                    closeUpstream();
                    respond(Responses.text(down.alloc(), 502, "endpoint " + connectingTo + " of target "
                            + target.target() + " switched protocols without being asked", true));
                }
                return;
            }
            if (code >= 100 && code < 200) {
                // We answered Expect: 100-continue ourselves; other interim responses are not forwarded.
                skippingInformational = true;
                return;
            }
            onResponseHead(response);
            return;
        }
        if (msg instanceof HttpContent content) {
            if (skippingInformational) {
                skippingInformational = !(content instanceof LastHttpContent);
                content.release();
                return;
            }
            if (phase != Phase.RESPONDING) {
                content.release();
                return;
            }
            if (content.decoderResult().isFailure()) {
                content.release();
                closeUpstream();
                abortOrRespond(502, "malformed response body");
                return;
            }
            if (content instanceof LastHttpContent last) {
                onResponseComplete(last);
            } else {
                down.write(content, down.voidPromise());
            }
            return;
        }
        ReferenceCountUtil.release(msg);
    }

    private void onResponseHead(HttpResponse response) {
        cancel(responseTimer);
        releaseBody();
        replayable = false;
        boolean upstreamKeepAlive = HttpUtil.isKeepAlive(response);
        // While shutting down, the client learns from this response that the connection ends with it.
        closeClient = !clientKeepAlive || !requestComplete || proxy.shuttingDown();
        boolean closeDelimited = ProxyHeaders.prepareResponse(response, headRequest, closeClient, clientHttp11);
        upstreamReusable = upstreamKeepAlive && !closeDelimited;
        phase = Phase.RESPONDING;
        down.write(response, down.voidPromise());
        if (!config.responseIdleTimeout().isZero()) {
            responseIdleDeadline = System.nanoTime() + config.responseIdleTimeout().toNanos();
            scheduleResponseIdleCheck(config.responseIdleTimeout().toNanos());
        }
    }

    private void scheduleResponseIdleCheck(long delayNanos) {
        responseIdleTimer = loop.schedule(this::checkResponseIdle, delayNanos, TimeUnit.NANOSECONDS);
    }

    private void checkResponseIdle() {
        if (phase != Phase.RESPONDING || responseIdleDeadline == Long.MAX_VALUE) {
            return;
        }
        long left = responseIdleDeadline - System.nanoTime();
        Channel channel = upstream;
        if (left > 0 || (channel != null && !channel.config().isAutoRead())) {
            // More arrived meanwhile, or we paused the endpoint for a slow client.
            scheduleResponseIdleCheck(left > 0 ? left : config.responseIdleTimeout().toNanos());
            return;
        }
        log.debug("Endpoint {} of target {} sent nothing for {} mid-response (response-idle-timeout); cutting it",
                connectingTo, target.target(), Durations.format(config.responseIdleTimeout()));
        // The response started, so HTTP/1.1 has no way to say so but closing.
        closeUpstream();
        front.closeNow();
        finish();
    }

    void onUpstreamReadComplete() {
        if (phase == Phase.RESPONDING || phase == Phase.RELAYING) {
            turn.flush(down);
            Channel channel = upstream;
            if (channel != null && !down.isWritable()) {
                // The client reads slower than the endpoint writes: stop reading until it catches up.
                channel.config().setAutoRead(false);
            }
        }
    }

    void onUpstreamWritabilityChanged(boolean writable) {
        front.setBackpressured(!writable);
    }

    private void onResponseComplete(LastHttpContent last) {
        boolean close = closeClient || !requestComplete;
        ChannelFuture written = down.write(last);
        turn.flush(down);
        if (close) {
            front.closeAfter(written, !requestComplete);
        }
        Channel channel = upstream;
        Endpoint to = connectingTo;
        upstream = null;
        if (channel != null) {
            if (upstreamReusable && requestComplete && to != null) {
                proxy.pool(loop).release(to, channel);
            } else {
                channel.pipeline().get(UpstreamHandler.class).detach();
                channel.close();
            }
        }
        finish();
        front.exchangeDone(this, close);
    }

    void onUpstreamClosed(Channel channel) {
        if (channel != upstream) {
            return;
        }
        upstream = null;
        Endpoint to = connectingTo;
        switch (phase) {
            case FORWARDING -> {
                if (to == null) {
                    finish();
                } else if (upstreamReused && replayable && idempotent) {
                    // A pooled connection the endpoint had closed while idle: try a new one.
                    log.debug("Pooled connection to {} was closed; sending the request again", to);
                    connect(to, true);
                } else if (replayable && idempotent) {
                    refused(to, "connection closed before a response");
                } else if (!idempotent) {
                    // The endpoint may have acted on it: sending it again could do it twice.
                    target.reportRefusal(to, "connection closed before a response");
                    respond(Responses.text(down.alloc(), 502, "endpoint " + to + " of target " + target.target()
                            + " closed the connection before answering a " + request.method().name()
                            + " request, which is not sent twice", true));
                } else {
                    target.reportRefusal(to, "connection closed before a response");
                    respond(Responses.text(down.alloc(), 502, "endpoint " + to + " of target " + target.target()
                            + " closed the connection before answering", true));
                }
            }
            case RESPONDING -> {
                // The response is cut short and HTTP/1.1 has no way to say so but closing.
                log.debug("Endpoint {} of target {} closed the connection mid-response", to, target.target());
                front.closeNow();
                finish();
            }
            case RELAYING -> {
                down.writeAndFlush(io.netty.buffer.Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
                finish();
            }
            default -> {
                // Nothing depends on this connection any more.
            }
        }
    }

    private void switchProtocols(HttpResponse response) {
        cancel(responseTimer);
        releaseBody();
        replayable = false;
        ProxyHeaders.prepareSwitchingProtocols(response);
        phase = Phase.RELAYING;
        down.write(response, down.voidPromise());
        down.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT, down.voidPromise());
        Channel channel = upstream;
        if (channel != null) {
            HttpClientCodec codec = channel.pipeline().get(HttpClientCodec.class);
            if (codec != null) {
                // Our writes are raw frames from now on; the decoder already passes raw bytes after a 101.
                codec.prepareUpgradeFrom(channel.pipeline().context(codec));
            }
        }
        front.switchToRelay();
    }

    // --- ending ---

    private void respondRetryLater(int status, String reason) {
        respond(Responses.retryLater(down.alloc(), status, reason, config.retryAfter(), closeAfterError()));
    }

    /** Answers with the gateway's own response; only before a response from the endpoint started. */
    private void respond(FullHttpResponse answer) {
        if (phase == Phase.RESPONDING || phase == Phase.RELAYING || phase == Phase.DONE) {
            answer.release();
            return;
        }
        FullHttpResponse response = grpc ? Responses.grpc(answer) : answer;
        boolean close = closeAfterError() || !HttpUtil.isKeepAlive(response);
        closeUpstream();
        ChannelFuture written = down.writeAndFlush(response);
        if (close) {
            front.closeAfter(written, !requestComplete);
        }
        finish();
        front.exchangeDone(this, close);
    }

    private boolean closeAfterError() {
        return !clientKeepAlive || !requestComplete || proxy.shuttingDown();
    }

    private void abortOrRespond(int status, String reason) {
        if (phase == Phase.RESPONDING || phase == Phase.RELAYING) {
            closeUpstream();
            front.closeNow();
            finish();
        } else if (phase != Phase.DONE) {
            respond(Responses.text(down.alloc(), status, reason, true));
        }
    }

    private void closeUpstream() {
        Channel channel = upstream;
        upstream = null;
        if (channel != null) {
            UpstreamHandler handler = channel.pipeline().get(UpstreamHandler.class);
            if (handler != null) {
                handler.detach();
            }
            channel.close();
        }
    }

    private void finish() {
        if (phase == Phase.DONE) {
            return;
        }
        phase = Phase.DONE;
        releaseHold();
        responseIdleDeadline = Long.MAX_VALUE;
        cancel(responseIdleTimer);
        cancel(wakeTimer);
        cancel(pageTimer);
        cancel(responseTimer);
        releaseBody();
        target.finish(this, turn);
        proxy.unregister(this);
    }

    private void releaseBody() {
        HttpContent content;
        while ((content = body.poll()) != null) {
            content.release();
        }
    }

    private static void cancel(@Nullable ScheduledFuture<?> timer) {
        if (timer != null) {
            timer.cancel(false);
        }
    }

    private static Endpoint requireEndpoint(TargetTraffic.Admission admission) {
        Endpoint to = admission.endpoint();
        if (to == null) {
            throw new IllegalStateException("forward without an endpoint");
        }
        return to;
    }

    private static boolean isIdempotent(HttpMethod method) {
        return HttpMethod.GET.equals(method) || HttpMethod.HEAD.equals(method) || HttpMethod.OPTIONS.equals(method)
                || HttpMethod.TRACE.equals(method) || HttpMethod.PUT.equals(method) || HttpMethod.DELETE.equals(method);
    }

    private String describe(Throwable cause) {
        if (cause instanceof ConnectTimeoutException) {
            return "connect timed out after " + Durations.format(config.connectTimeout());
        }
        if (cause instanceof ConnectException) {
            return "connection refused";
        }
        String message = cause.getMessage();
        return message == null ? cause.getClass().getSimpleName() : Responses.oneLine(message);
    }
}
