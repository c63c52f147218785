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
import io.netty.util.concurrent.ScheduledFuture;
import io.zeroscale.spi.orchestrator.Endpoint;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

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

    /** How long a new connection may take before a second attempt races it. */
    static final long HEDGE_MILLIS = 500;

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
        new Connect(endpoint, connectTimeout, callback).start();
    }

    /**
     * One new connection to an endpoint, hedged: when the first attempt has not connected after
     * {@link #HEDGE_MILLIS}, a second one starts and the first to connect wins. A SYN dropped by a
     * full listen backlog is only sent again by the kernel after a second (then three), while the
     * backlog usually drains within milliseconds; without the hedge such a request waited for the
     * retransmission or the whole connect-timeout. A refusal fails at once; a connection that
     * completes after the other one won is closed at once.
     */
    private final class Connect {
        private final Endpoint endpoint;
        private final Duration timeout;
        private final Callback callback;
        private int pending;
        private boolean done;
        private boolean hedged;
        private @Nullable ScheduledFuture<?> hedge;

        Connect(Endpoint endpoint, Duration timeout, Callback callback) {
            this.endpoint = endpoint;
            this.timeout = timeout;
            this.callback = callback;
        }

        void start() {
            attempt();
            if (!done && timeout.toMillis() > HEDGE_MILLIS) {
                hedge = loop.schedule(this::hedge, HEDGE_MILLIS, TimeUnit.MILLISECONDS);
            }
        }

        private void hedge() {
            hedged = true;
            if (!done) {
                attempt();
            }
        }

        private void attempt() {
            pending++;
            bootstrap.clone()
                    .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE, timeout.toMillis()))
                    .connect(InetSocketAddress.createUnresolved(endpoint.host(), endpoint.port()))
                    .addListener((ChannelFuture future) -> settled(future));
        }

        private void settled(ChannelFuture future) {
            pending--;
            if (future.isSuccess()) {
                if (done) {
                    // Not kept as a spare: a single-threaded endpoint would wait on it, serving no one else.
                    future.channel().close();
                    return;
                }
                finish();
                callback.connected(future.channel(), false);
            } else if (!done && pending == 0) {
                // Refused (or timed out) with no other attempt under way: no point waiting for a hedge.
                finish();
                callback.failed(future.cause());
            }
        }

        private void finish() {
            done = true;
            if (hedge != null && !hedged) {
                hedge.cancel(false);
            }
        }
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
