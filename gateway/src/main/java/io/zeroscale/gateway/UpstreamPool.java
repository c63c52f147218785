package io.zeroscale.gateway;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http2.Http2FrameCodec;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamChannelBootstrap;
import io.netty.handler.codec.http2.Http2StreamFrameToHttpObjectCodec;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.concurrent.Future;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import io.zeroscale.spi.orchestrator.Endpoint;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * Keep-alive connections to endpoints, for one event loop. HTTP/1.1 connections carry one request
 * at a time and wait idle in the pool between requests; an HTTP/2 (h2c) connection per endpoint
 * carries many requests at once, each on a stream of its own that the exchange uses like an
 * HTTP/1.1 connection (the stream codec turns frames into the same response objects, trailers
 * included).
 * Each client connection is served by one
 * loop and takes its upstream connections from that loop's pool, so a request never crosses
 * threads and the pool needs no locking: every method must be called on {@link #loop}.
 */
final class UpstreamPool {
    private static final Logger log = LoggerFactory.getLogger(UpstreamPool.class);
    static final String CODEC = "codec";
    static final String HANDLER = "upstream";

    /** Idle connections kept per endpoint on one loop; more are closed when released. */
    private static final int MAX_IDLE_PER_ENDPOINT = 256;
    /** An idle pooled connection is closed after this long, before the endpoint's own idle timeout can race us. */
    private static final Duration IDLE_TIMEOUT = Duration.ofSeconds(30);

    /** Told when a connection is ready for a request, or why it could not be made. */
    interface Callback {
        void connected(Channel channel, boolean reused);

        void failed(Throwable cause);
    }

    private final EventLoop loop;
    /** How long a connection has been idle is read from this (System.nanoTime unless a test drives it). */
    private final LongSupplier nanoTime;
    private final LoopTurn turn;
    private final Bootstrap bootstrap;
    private final Bootstrap h2Bootstrap;
    private final Map<Endpoint, ArrayDeque<Channel>> idle = new HashMap<>();
    /** The HTTP/2 connection to each endpoint new streams open on. */
    private final Map<Endpoint, Channel> h2Connections = new HashMap<>();
    /** An HTTP/2 connection being made; requests meanwhile wait for it instead of connecting again. */
    private final Map<Endpoint, ChannelFuture> h2Connecting = new HashMap<>();

    UpstreamPool(EventLoop loop, Transport transport, LongSupplier nanoTime) {
        this.loop = loop;
        this.nanoTime = nanoTime;
        this.turn = new LoopTurn(loop);
        this.h2Bootstrap = h2Bootstrap(loop, transport);
        this.bootstrap = connections(loop, transport)
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel channel) {
                        channel.pipeline()
                                .addLast(CODEC, new HttpClientCodec(new HttpDecoderConfig()
                                                .setMaxInitialLineLength(16 * 1024)
                                                .setMaxHeaderSize(64 * 1024)
                                                .setMaxChunkSize(64 * 1024),
                                        false, false))
                                .addLast("idle", new IdleStateHandler(0, 0, IDLE_TIMEOUT.toMillis(),
                                        TimeUnit.MILLISECONDS))
                                .addLast(HANDLER, new UpstreamHandler(nanoTime));
                    }
                });
    }

    /** Connections to endpoints, HTTP/1.1 or HTTP/2: on the caller's loop, no Nagle delay, keep-alive on. */
    private static Bootstrap connections(EventLoop loop, Transport transport) {
        return new Bootstrap()
                .group(loop)
                .channel(transport.clientChannel())
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.SO_KEEPALIVE, true);
    }

    private static Bootstrap h2Bootstrap(EventLoop loop, Transport transport) {
        return connections(loop, transport)
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel channel) {
                        Http2FrameCodec codec = Http2FrameCodecBuilder.forClient()
                                .initialSettings(Http2Settings.defaultSettings().pushEnabled(false)
                                        .maxHeaderListSize(64 * 1024))
                                .validateHeaders(true)
                                .build();
                        channel.pipeline()
                                .addLast("h2", codec)
                                // The endpoint cannot open streams to us (push is off): nothing to handle.
                                .addLast("h2-streams", new Http2MultiplexHandler(new ChannelInboundHandlerAdapter()))
                                .addLast("idle", new IdleStateHandler(0, 0, IDLE_TIMEOUT.toMillis(),
                                        TimeUnit.MILLISECONDS))
                                .addLast("h2-idle", new ChannelInboundHandlerAdapter() {
                                    @Override
                                    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
                                        if (evt instanceof IdleStateEvent && codec.connection().numActiveStreams() == 0) {
                                            ctx.close();
                                            return;
                                        }
                                        ctx.fireUserEventTriggered(evt);
                                    }

                                    @Override
                                    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                                        log.debug("HTTP/2 connection {} to an endpoint failed", ctx.channel(), cause);
                                    }
                                });
                    }
                });
    }

    EventLoop loop() {
        return loop;
    }

    /** What this loop defers to the end of its turn: flushes of HTTP/2 streams, reports of counters. */
    LoopTurn turn() {
        return turn;
    }

    /**
     * Hands {@code callback} an idle connection to {@code endpoint} at once, or connects a new one.
     * {@code fresh} skips the idle ones (after a reused connection turned out to be closed); an
     * idle one older than {@code maxIdleNanos} is not used (a request that must not be sent twice).
     */
    void acquire(Endpoint endpoint, boolean fresh, long maxIdleNanos, Duration connectTimeout, Callback callback) {
        acquire(endpoint, fresh, maxIdleNanos, connectTimeout, callback, false);
    }

    /**
     * Like {@link #acquire(Endpoint, boolean, long, Duration, Callback)}; with {@code http2} the
     * callback gets a new stream on the endpoint's HTTP/2 connection (made first if there is none, or
     * none that can open another stream). A stream on an existing connection counts as reused.
     */
    void acquire(Endpoint endpoint, boolean fresh, long maxIdleNanos, Duration connectTimeout, Callback callback,
            boolean http2) {
        if (http2) {
            acquireStream(endpoint, connectTimeout, callback);
            return;
        }
        if (!fresh) {
            ArrayDeque<Channel> channels = idle.get(endpoint);
            while (channels != null && !channels.isEmpty()) {
                Channel channel = channels.peekLast();
                if (maxIdleNanos != Long.MAX_VALUE && channel.isActive() && tooLongIdle(channel, maxIdleNanos)) {
                    // The most recently used one is too old for this request; the others are older.
                    break;
                }
                channels.pollLast();
                if (channel.isActive()) {
                    callback.connected(channel, true);
                    return;
                }
            }
        }
        ChannelFuture connect = bootstrap.clone()
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE, connectTimeout.toMillis()))
                .connect(InetSocketAddress.createUnresolved(endpoint.host(), endpoint.port()));
        connect.addListener((ChannelFuture future) -> {
            if (future.isSuccess()) {
                callback.connected(future.channel(), false);
            } else {
                callback.failed(future.cause());
            }
        });
    }

    private void acquireStream(Endpoint endpoint, Duration connectTimeout, Callback callback) {
        Channel connection = h2Connections.get(endpoint);
        if (connection != null && connection.isActive() && canOpenStream(connection)) {
            openStream(connection, true, callback);
            return;
        }
        ChannelFuture pending = h2Connecting.get(endpoint);
        if (pending == null) {
            ChannelFuture connect = h2Bootstrap.clone()
                    .option(ChannelOption.CONNECT_TIMEOUT_MILLIS,
                            (int) Math.min(Integer.MAX_VALUE, connectTimeout.toMillis()))
                    .connect(InetSocketAddress.createUnresolved(endpoint.host(), endpoint.port()));
            h2Connecting.put(endpoint, connect);
            connect.addListener((ChannelFuture future) -> {
                h2Connecting.remove(endpoint, future);
                if (future.isSuccess()) {
                    Channel made = future.channel();
                    h2Connections.put(endpoint, made);
                    made.closeFuture().addListener(closed -> h2Connections.remove(endpoint, made));
                }
            });
            pending = connect;
        }
        pending.addListener((ChannelFuture future) -> {
            if (future.isSuccess()) {
                openStream(future.channel(), false, callback);
            } else {
                callback.failed(future.cause());
            }
        });
    }

    /** Not told to go away, and below the endpoint's SETTINGS_MAX_CONCURRENT_STREAMS. */
    private static boolean canOpenStream(Channel connection) {
        Http2FrameCodec codec = connection.pipeline().get(Http2FrameCodec.class);
        return codec != null && !codec.connection().goAwayReceived() && codec.connection().local().canOpenStream();
    }

    private void openStream(Channel connection, boolean reused, Callback callback) {
        new Http2StreamChannelBootstrap(connection)
                .handler(new ChannelInitializer<Http2StreamChannel>() {
                    @Override
                    protected void initChannel(Http2StreamChannel stream) {
                        stream.pipeline()
                                .addLast(CODEC, new Http2StreamFrameToHttpObjectCodec(false))
                                .addLast("split", HttpMessageSplitter.INSTANCE)
                                .addLast(HANDLER, new UpstreamHandler(nanoTime));
                    }
                })
                .open()
                .addListener((Future<Http2StreamChannel> future) -> {
                    if (future.isSuccess()) {
                        callback.connected(future.getNow(), reused);
                    } else {
                        callback.failed(future.cause());
                    }
                });
    }

    private boolean tooLongIdle(Channel channel, long maxIdleNanos) {
        UpstreamHandler handler = channel.pipeline().get(UpstreamHandler.class);
        return handler != null && nanoTime.getAsLong() - handler.idleSince() > maxIdleNanos;
    }

    /** Returns a connection whose last exchange completed cleanly, for the next request to {@code endpoint}. */
    void release(Endpoint endpoint, Channel channel) {
        UpstreamHandler handler = channel.pipeline().get(UpstreamHandler.class);
        if (handler != null) {
            handler.detach();
        }
        if (channel instanceof Http2StreamChannel) {
            // A stream is used once; it ended with the response, its connection stays for the next one.
            channel.close();
            return;
        }
        if (!channel.isActive()) {
            return;
        }
        channel.config().setAutoRead(true);
        if (handler != null) {
            handler.markIdle();
        }
        ArrayDeque<Channel> channels = idle.computeIfAbsent(endpoint, e -> new ArrayDeque<>());
        if (channels.size() >= MAX_IDLE_PER_ENDPOINT) {
            // Closed ones are dropped lazily (on acquire); purge them before refusing a live one.
            channels.removeIf(c -> !c.isActive());
        }
        if (channels.size() >= MAX_IDLE_PER_ENDPOINT) {
            channel.close();
            return;
        }
        channels.addLast(channel);
    }

    /** Closes the idle connections to endpoints that are gone or drained. */
    void closeIdle(Collection<Endpoint> endpoints) {
        for (Endpoint endpoint : endpoints) {
            ArrayDeque<Channel> channels = idle.remove(endpoint);
            if (channels != null) {
                for (Channel channel : channels.toArray(new Channel[0])) {
                    channel.close();
                }
            }
            Channel connection = h2Connections.remove(endpoint);
            if (connection != null) {
                // A graceful close: GOAWAY, and streams still open run to their end before it closes.
                connection.close();
            }
        }
    }
}
