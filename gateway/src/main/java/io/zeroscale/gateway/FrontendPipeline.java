package io.zeroscale.gateway;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http2.DefaultHttp2GoAwayFrame;
import io.netty.handler.codec.http2.Http2CodecUtil;
import io.netty.handler.codec.http2.Http2Connection;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2FrameCodec;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2PingFrame;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.codec.http2.Http2SettingsFrame;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamFrameToHttpObjectCodec;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.ApplicationProtocolNegotiationHandler;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.AttributeKey;
import io.netty.util.concurrent.ScheduledFuture;
import io.zeroscale.spi.Durations;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Builds a client connection's pipeline: TLS if configured, then HTTP/1.1 or HTTP/2, chosen by ALPN
 * under TLS or by the first bytes on a cleartext listener (the HTTP/2 connection preface, "prior
 * knowledge"). Either way each request ends up in a {@link FrontendHandler}: one per connection for
 * HTTP/1.1, one per stream for HTTP/2 (Netty's multiplexer gives each stream a child channel, and
 * the stream codec turns its frames into the same request objects the HTTP/1.1 decoder produces),
 * so holding, routing, header rules and limits are the same code for both.
 */
final class FrontendPipeline {
    private static final Logger log = LoggerFactory.getLogger(FrontendPipeline.class);

    /** Set on a connection over max-connections(-per-client): why it is answered 503 (or GOAWAY) and closed. */
    static final AttributeKey<String> REFUSED = AttributeKey.valueOf(FrontendPipeline.class, "refused");

    private final Proxy proxy;
    private final HttpDecoderConfig decoder;
    private final @Nullable TlsCertificates tls;
    private final Http2Config http2;

    FrontendPipeline(Proxy proxy, HttpDecoderConfig decoder, @Nullable TlsCertificates tls, Http2Config http2) {
        this.proxy = proxy;
        this.decoder = decoder;
        this.tls = tls;
        this.http2 = http2;
    }

    /** The ALPN protocols to offer under TLS, best first; null when only HTTP/1.1 is served. */
    static io.netty.handler.ssl.@Nullable ApplicationProtocolConfig alpn(Http2Config http2) {
        if (!http2.enabled()) {
            return null;
        }
        return new io.netty.handler.ssl.ApplicationProtocolConfig(
                io.netty.handler.ssl.ApplicationProtocolConfig.Protocol.ALPN,
                io.netty.handler.ssl.ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
                io.netty.handler.ssl.ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT,
                ApplicationProtocolNames.HTTP_2, ApplicationProtocolNames.HTTP_1_1);
    }

    ChannelInitializer<SocketChannel> initializer() {
        return new ChannelInitializer<>() {
            @Override
            protected void initChannel(SocketChannel channel) {
                ChannelPipeline pipeline = channel.pipeline();
                pipeline.addLast("count", new ConnectionCounter());
                TlsCertificates certificates = tls;
                if (certificates != null) {
                    pipeline.addLast("tls", certificates.newHandler(channel.alloc()));
                    if (http2.enabled()) {
                        pipeline.addLast("alpn", new Negotiation());
                    } else {
                        addHttp1(pipeline);
                    }
                } else if (http2.enabled() && http2.cleartext()) {
                    pipeline.addLast("detect", new PrefaceDetector());
                } else {
                    addHttp1(pipeline);
                }
            }
        };
    }

    private void addHttp1(ChannelPipeline pipeline) {
        FrontendHandler front = new FrontendHandler(proxy, tls != null, false);
        pipeline.addLast("codec", new FrontendCodec(decoder, front::headStarted)).addLast("front", front);
    }

    private void addHttp2(ChannelPipeline pipeline) {
        Http2Settings settings = Http2Settings.defaultSettings()
                .maxConcurrentStreams(http2.maxConcurrentStreams())
                .maxHeaderListSize(http2.maxHeaderListSize())
                .initialWindowSize(http2.streamWindow());
        int floodSeconds = (int) Math.min(Integer.MAX_VALUE, http2.floodWindow().toSeconds());
        Http2FrameCodec codec = Http2FrameCodecBuilder.forServer()
                .initialSettings(settings)
                .validateHeaders(true)
                .decoderEnforceMaxRstFramesPerWindow(http2.maxResets(), floodSeconds)
                .encoderEnforceMaxQueuedControlFrames(http2.maxQueuedControlFrames())
                .decoderEnforceMaxSmallContinuationFrames(http2.maxContinuationFrames())
                .build();
        boolean secure = tls != null;
        long idleNanos = proxy.defaults().idleTimeout().toNanos();
        pipeline.addLast("h2-idle", new IdleStateHandler(0, 0, idleNanos, TimeUnit.NANOSECONDS))
                .addLast("h2", codec)
                .addLast("h2-streams", new Http2MultiplexHandler(new ChannelInitializer<Http2StreamChannel>() {
                    @Override
                    protected void initChannel(Http2StreamChannel stream) {
                        stream.pipeline()
                                .addLast("h2-http", new Http2StreamFrameToHttpObjectCodec(true))
                                .addLast("h2-split", HttpMessageSplitter.INSTANCE)
                                .addLast("front", new FrontendHandler(proxy, secure, true));
                    }
                }))
                .addLast("h2-guard", new Http2Guard(codec));
    }

    /**
     * Counts every connection against max-connections and max-connections-per-client as it is
     * accepted, whatever protocol it turns out to speak. One over the limit is marked {@link #REFUSED};
     * the protocol handler then answers it (503 with Retry-After for HTTP/1.1, GOAWAY for HTTP/2).
     */
    private final class ConnectionCounter extends io.netty.channel.ChannelInboundHandlerAdapter {
        private @Nullable InetSocketAddress counted;
        private boolean trusted;

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            if (ctx.channel().remoteAddress() instanceof InetSocketAddress address && address.getAddress() != null) {
                trusted = proxy.trustedProxies().trusts(address);
                String over = proxy.openConnection(address.getAddress(), trusted);
                if (over != null) {
                    log.debug("Refusing a connection from {}: {}", address, over);
                    ctx.channel().attr(REFUSED).set(over);
                } else {
                    counted = address;
                }
            }
            ctx.fireChannelActive();
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            InetSocketAddress address = counted;
            if (address != null) {
                counted = null;
                proxy.closeConnection(address.getAddress(), trusted);
            }
            ctx.fireChannelInactive();
        }
    }

    /** Under TLS: HTTP/2 or HTTP/1.1, whichever the client and ALPN agreed on (HTTP/1.1 without ALPN). */
    private final class Negotiation extends ApplicationProtocolNegotiationHandler {
        Negotiation() {
            super(ApplicationProtocolNames.HTTP_1_1);
        }

        @Override
        protected void configurePipeline(ChannelHandlerContext ctx, String protocol) {
            if (ApplicationProtocolNames.HTTP_2.equals(protocol)) {
                addHttp2(ctx.pipeline());
            } else if (ApplicationProtocolNames.HTTP_1_1.equals(protocol)) {
                addHttp1(ctx.pipeline());
            } else {
                // Not offered, so not agreed: the client broke ALPN.
                log.debug("Closing {}: ALPN chose '{}', which was not offered", ctx.channel(), protocol);
                ctx.close();
            }
        }

        @Override
        protected void handshakeFailure(ChannelHandlerContext ctx, Throwable cause) {
            // Scanners and clients that distrust the certificate fail here all the time: not worth a warning.
            log.debug("TLS handshake with {} failed: {}", ctx.channel().remoteAddress(), cause.toString());
            ctx.close();
        }
    }

    /**
     * On a cleartext listener: a connection whose first 24 bytes are the HTTP/2 connection preface
     * speaks HTTP/2 (prior knowledge); anything else is HTTP/1.1. The first byte that differs
     * decides, so an HTTP/1.1 request is never delayed. The preface must arrive within
     * header-timeout, like any request head.
     */
    private final class PrefaceDetector extends ByteToMessageDecoder {
        private final ByteBuf preface = Http2CodecUtil.connectionPrefaceBuf();
        private @Nullable ScheduledFuture<?> timeout;

        @Override
        public void channelActive(ChannelHandlerContext ctx) throws Exception {
            if (ctx.channel().hasAttr(REFUSED) && ctx.channel().attr(REFUSED).get() != null) {
                // Over a connection limit: HTTP/1.1 answers that at once, before the client says anything.
                addHttp1(ctx.pipeline());
                ctx.pipeline().remove(this);
                super.channelActive(ctx);
                return;
            }
            // Nothing arrived yet, so the connection is idle: idle-timeout, as for HTTP/1.1.
            long nanos = proxy.defaults().idleTimeout().toNanos();
            timeout = ctx.executor().schedule(() -> {
                log.debug("Closing {}: no request within {} (idle-timeout)", ctx.channel(),
                        Durations.format(proxy.defaults().idleTimeout()));
                ctx.close();
            }, nanos, TimeUnit.NANOSECONDS);
            super.channelActive(ctx);
        }

        @Override
        protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
            int length = Math.min(in.readableBytes(), preface.readableBytes());
            boolean matches = ByteBufUtil.equals(in, in.readerIndex(), preface, 0, length);
            if (matches && length < preface.readableBytes()) {
                return;
            }
            cancelTimeout();
            if (matches) {
                addHttp2(ctx.pipeline());
            } else {
                addHttp1(ctx.pipeline());
            }
            // What was read so far goes to the chosen codec.
            ctx.pipeline().remove(this);
        }

        private void cancelTimeout() {
            ScheduledFuture<?> pending = timeout;
            if (pending != null) {
                pending.cancel(false);
                timeout = null;
            }
        }

        @Override
        protected void handlerRemoved0(ChannelHandlerContext ctx) {
            cancelTimeout();
            preface.release();
        }
    }

    /**
     * The connection-level guard of an HTTP/2 connection: counts it against the connection limits,
     * closes it when idle with no stream open, opens the connection flow-control window to its
     * configured size, and ends a client that floods PING or SETTINGS frames.
     */
    private final class Http2Guard extends ChannelDuplexHandler {
        private final Http2FrameCodec codec;
        private boolean started;
        /** Told to go away for a shutdown. */
        private boolean goingAway;
        private long windowStart = System.nanoTime();
        private int controlFrames;

        Http2Guard(Http2FrameCodec codec) {
            this.codec = codec;
        }

        @Override
        public void handlerAdded(ChannelHandlerContext ctx) {
            if (ctx.channel().isActive()) {
                start(ctx);
            }
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            start(ctx);
            ctx.fireChannelActive();
        }

        private void start(ChannelHandlerContext ctx) {
            if (started) {
                return;
            }
            started = true;
            String over = ctx.channel().attr(REFUSED).get();
            if (over != null) {
                // Nothing was processed: the client may retry every stream elsewhere or later.
                goAway(ctx, Http2Error.NO_ERROR, over);
                return;
            }
            proxy.http2Opened(ctx.channel(), () -> goAwayForShutdown(ctx));
            Http2Connection connection = codec.connection();
            int delta = http2.connectionWindow() - Http2CodecUtil.DEFAULT_WINDOW_SIZE;
            if (delta > 0) {
                try {
                    connection.local().flowController().incrementWindowSize(connection.connectionStream(), delta);
                    ctx.flush();
                } catch (io.netty.handler.codec.http2.Http2Exception e) {
                    log.debug("Could not open the connection window of {}", ctx.channel(), e);
                }
            }
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if ((msg instanceof Http2PingFrame ping && !ping.ack()) || msg instanceof Http2SettingsFrame) {
                long now = System.nanoTime();
                if (now - windowStart > http2.floodWindow().toNanos()) {
                    windowStart = now;
                    controlFrames = 0;
                }
                if (++controlFrames > http2.maxControlFrames()) {
                    String reason = "more than " + http2.maxControlFrames() + " PING/SETTINGS frames in "
                            + Durations.format(http2.floodWindow()) + " (http2.max-control-frames)";
                    log.debug("Closing HTTP/2 connection {}: {}", ctx.channel(), reason);
                    goAway(ctx, Http2Error.ENHANCE_YOUR_CALM, reason);
                    return;
                }
            }
            ctx.fireChannelRead(msg);
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof IdleStateEvent && codec.connection().numActiveStreams() == 0) {
                log.debug("Closing HTTP/2 connection {}: idle for {} (idle-timeout)", ctx.channel(),
                        Durations.format(proxy.defaults().idleTimeout()));
                ctx.close();
                return;
            }
            ctx.fireUserEventTriggered(evt);
        }

        /**
         * A graceful shutdown started: GOAWAY with NO_ERROR and the last stream taken, so the client
         * opens no new stream here (and knows that any it sent meanwhile was not processed, so it may
         * send it elsewhere, whatever its method) instead of getting a 503 for each. The streams in
         * flight run on; the connection closes after the last one, or when the gateway's shutdown
         * grace ends it (Netty's own graceful-close timeout is turned off for that).
         */
        private void goAwayForShutdown(ChannelHandlerContext ctx) {
            if (goingAway || !ctx.channel().isActive()) {
                return;
            }
            goingAway = true;
            log.debug("Telling HTTP/2 connection {} to go away: shutting down", ctx.channel());
            codec.gracefulShutdownTimeoutMillis(-1);
            ByteBuf debug = ctx.alloc().buffer();
            debug.writeCharSequence("zeroscale is shutting down; retry in " + proxy.defaults().retryAfter().toSeconds()
                    + "s", StandardCharsets.UTF_8);
            ctx.writeAndFlush(new DefaultHttp2GoAwayFrame(Http2Error.NO_ERROR, debug));
            // With GOAWAY sent, the codec's close waits for the active streams, then closes.
            ctx.close();
        }

        private void goAway(ChannelHandlerContext ctx, Http2Error error, String reason) {
            ByteBuf debug = ctx.alloc().buffer();
            debug.writeCharSequence(reason, StandardCharsets.UTF_8);
            ctx.writeAndFlush(new DefaultHttp2GoAwayFrame(error, debug))
                    .addListener(io.netty.channel.ChannelFutureListener.CLOSE);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            log.debug("HTTP/2 connection {} failed", ctx.channel(), cause);
            if (!(cause instanceof io.netty.handler.codec.http2.Http2Exception)) {
                ctx.close();
            }
            // An HTTP/2 error is the codec's to answer: it sends GOAWAY with the right code (e.g.
            // ENHANCE_YOUR_CALM for a rapid reset) and closes; closing here first would say NO_ERROR.
        }
    }
}
