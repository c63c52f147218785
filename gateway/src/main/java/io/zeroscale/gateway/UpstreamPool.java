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
import io.netty.handler.timeout.IdleStateHandler;
import io.zeroscale.spi.orchestrator.Endpoint;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Keep-alive connections to endpoints, for one event loop. Each client connection is served by one
 * loop and takes its upstream connections from that loop's pool, so a request never crosses
 * threads and the pool needs no locking: every method must be called on {@link #loop}.
 */
final class UpstreamPool {
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
    private final Bootstrap bootstrap;
    private final Map<Endpoint, ArrayDeque<Channel>> idle = new HashMap<>();

    UpstreamPool(EventLoop loop, Transport transport) {
        this.loop = loop;
        this.bootstrap = new Bootstrap()
                .group(loop)
                .channel(transport.clientChannel())
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.SO_KEEPALIVE, true)
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
                                .addLast(HANDLER, new UpstreamHandler());
                    }
                });
    }

    EventLoop loop() {
        return loop;
    }

    /**
     * Hands {@code callback} an idle connection to {@code endpoint} at once, or connects a new one.
     * {@code fresh} skips the idle ones (after a reused connection turned out to be closed); an
     * idle one older than {@code maxIdleNanos} is not used (a request that must not be sent twice).
     */
    void acquire(Endpoint endpoint, boolean fresh, long maxIdleNanos, Duration connectTimeout, Callback callback) {
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

    private static boolean tooLongIdle(Channel channel, long maxIdleNanos) {
        UpstreamHandler handler = channel.pipeline().get(UpstreamHandler.class);
        return handler != null && System.nanoTime() - handler.idleSince() > maxIdleNanos;
    }

    /** Returns a connection whose last exchange completed cleanly, for the next request to {@code endpoint}. */
    void release(Endpoint endpoint, Channel channel) {
        UpstreamHandler handler = channel.pipeline().get(UpstreamHandler.class);
        if (handler != null) {
            handler.detach();
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
        }
    }
}
