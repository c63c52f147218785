package io.zeroscale.gateway;

import static java.util.Objects.requireNonNull;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.util.concurrent.EventExecutor;
import io.zeroscale.spi.Durations;
import io.zeroscale.spi.StandardErrorCode;
import io.zeroscale.spi.Subscription;
import io.zeroscale.spi.TargetRef;
import io.zeroscale.spi.ZeroscaleException;
import io.zeroscale.spi.traffic.RequestStats;
import io.zeroscale.spi.traffic.TrafficHub;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.LongSupplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP/1.1 and HTTP/2 load balancer with service turn-off. It routes each request by host and path to a
 * target and forwards it to one of the target's ready endpoints; while the target has none it holds
 * the request (bounded), tells the {@link TrafficHub} at once, and forwards it the moment the hub
 * publishes a ready endpoint. On the hub's drain decision it stops sending to the endpoints being
 * removed and reports them drained once their requests finished.
 *
 * <pre>{@code
 * try (Gateway gateway = Gateway.builder(hub)
 *         .config(GatewayConfig.builder().listen("127.0.0.1", 8080).build())
 *         .route(GatewayRoute.path(TargetRef.of("k8s", "Deployment", "embedder"), "/"))
 *         .start()) {
 *     ...
 * }
 * }</pre>
 *
 * <p>Thread-safe. {@link #shutdown(Duration)} stops gracefully: no new connections, 503 for held
 * and new requests, in-flight requests finish within a grace period. {@link #close()} stops at once:
 * it answers held requests with 503 and closes every connection, cutting requests in flight.
 */
public final class Gateway implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Gateway.class);

    /** Default interval between heartbeats to the hub; well within the engine's 15 s reporter TTL. */
    public static final Duration DEFAULT_HEARTBEAT = Duration.ofSeconds(5);
    private static final java.util.concurrent.atomic.AtomicInteger INSTANCES = new java.util.concurrent.atomic.AtomicInteger();

    private final TrafficHub hub;
    private final String id;
    private final Proxy proxy;
    private final EventLoopGroup group;
    private final Channel serverChannel;
    private final Subscription subscription;
    private final ScheduledFuture<?> heartbeat;
    private final InetSocketAddress address;
    private final @Nullable TlsCertificates tls;
    private boolean closed;
    private boolean shuttingDown;
    private final CompletableFuture<Void> terminated = new CompletableFuture<>();

    private Gateway(TrafficHub hub, String id, Proxy proxy, EventLoopGroup group, Channel serverChannel, Subscription subscription,
            ScheduledFuture<?> heartbeat, @Nullable TlsCertificates tls) {
        this.hub = hub;
        this.id = id;
        this.heartbeat = heartbeat;
        this.proxy = proxy;
        this.tls = tls;
        this.group = group;
        this.serverChannel = serverChannel;
        this.subscription = subscription;
        this.address = (InetSocketAddress) serverChannel.localAddress();
    }

    /** A builder for a gateway that talks to {@code hub}. */
    public static Builder builder(TrafficHub hub) {
        return new Builder(hub);
    }

    /** The bound address, with the real port when the configured port was 0. */
    public InetSocketAddress address() {
        return address;
    }

    /** This gateway's id in its reports to the hub. */
    public String id() {
        return id;
    }

    /**
     * The id a gateway gets unless told otherwise: host name, process id and a counter of the
     * gateways this process started, e.g. {@code web-7f9c/4211/1}, so gateways of several daemons
     * (and several in one process) never share one.
     */
    static String defaultId() {
        String host;
        try {
            host = java.net.InetAddress.getLocalHost().getHostName();
        } catch (java.net.UnknownHostException e) {
            host = "localhost";
        }
        return host + "/" + ProcessHandle.current().pid() + "/" + INSTANCES.incrementAndGet();
    }

    /** The bound port. */
    public int port() {
        return address.getPort();
    }

    /** The current counters of {@code target}; {@link RequestStats#IDLE} for a target never seen. */
    public RequestStats stats(TargetRef target) {
        requireNonNull(target, "target is null");
        TargetTraffic traffic = proxy.find(target);
        return traffic == null ? RequestStats.IDLE : traffic.stats();
    }

    /**
     * Replaces the routes of {@code target} while the gateway runs, in one step: a request is
     * routed by the table before the change or after it, never by half of it, and other targets'
     * requests are untouched. An empty list stops routing to the target (its requests get 404);
     * requests already routed to it go on. {@code targetConfig}, when given, replaces the target's
     * own settings (as {@link Builder#targetConfig}) for requests admitted from now on. A target
     * the hub removes (see {@link io.zeroscale.spi.traffic.RouteListener#onRemoved}) loses its
     * routes by itself. Thread-safe.
     *
     * @throws IllegalArgumentException when a route is not {@code target}'s, or has exactly the
     *     host and path of another target's route
     */
    public void routes(TargetRef target, List<GatewayRoute> routes, @Nullable GatewayConfig targetConfig) {
        requireNonNull(target, "target is null");
        proxy.setRoutes(target, List.copyOf(routes), targetConfig);
        log.info("Gateway on {}: routes of {} are now {}", address, target, routes);
    }

    /** The routes of {@code target} now; empty when it has none. */
    public List<GatewayRoute> routes(TargetRef target) {
        return proxy.routes(requireNonNull(target, "target is null"));
    }

    /**
     * Shuts down gracefully and returns once the gateway is closed. In order: the listening socket
     * closes (new connections are refused); held requests are answered 503 with {@code Retry-After}
     * and a one-line reason; a new request on an open keep-alive connection gets the same 503 with
     * {@code Connection: close}, and every response from now on closes its connection; requests in
     * flight (streams and WebSockets included) run on until they end or {@code grace} has passed.
     * Then what is left is ended: a request not answered yet gets 503 (nothing reached the
     * endpoint) or 504 (the endpoint did not answer), a response or relay in progress is cut; and
     * {@link #close()} closes every connection. No request is dropped without an answer unless its
     * response had already started.
     *
     * <p>Blocks the caller for up to about {@code grace}; returns at once when nothing is in flight.
     * A second call waits for the first; after {@link #close()} it returns at once.
     */
    public void shutdown(Duration grace) {
        requireNonNull(grace, "grace is null");
        if (grace.isNegative()) {
            throw new IllegalArgumentException("grace must not be negative, got " + grace);
        }
        boolean first;
        synchronized (this) {
            first = !closed && !shuttingDown;
            shuttingDown = true;
        }
        if (!first) {
            // A shutdown is under way (or done): wait for it, as the caller expects the gateway closed.
            awaitTerminated();
            return;
        }
        // The flag first: every answer from here on closes its connection.
        CompletableFuture<Void> quiet = proxy.beginShutdown();
        serverChannel.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        for (TargetTraffic traffic : proxy.targets()) {
            traffic.close();
        }
        int inFlight = proxy.exchanges().size();
        if (inFlight > 0) {
            log.info("Gateway on {} shutting down: not accepting connections, waiting up to {} for {} requests in"
                    + " flight", address, Durations.format(grace), inFlight);
        }
        try {
            quiet.get(grace.toNanos(), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            List<Exchange> left = proxy.exchanges();
            log.warn("Gateway on {}: {} requests still in flight after the shutdown grace of {}; ending them",
                    address, left.size(), Durations.format(grace));
            for (Exchange exchange : left) {
                exchange.cutForShutdown(grace);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            log.warn("Gateway on {}: interrupted while waiting for requests in flight; closing now", address);
        } catch (ExecutionException e) {
            throw new IllegalStateException("waiting for requests in flight failed", e);
        }
        close();
    }

    private void awaitTerminated() {
        try {
            terminated.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException e) {
            throw new IllegalStateException("the gateway failed to close", e);
        }
    }

    /**
     * Stops at once: stops accepting, answers held requests with 503, closes all connections (a
     * request in flight is cut). Idempotent. Use {@link #shutdown(Duration)} to let them finish.
     */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        // Answers from here on say the connection closes, as it is about to.
        proxy.beginShutdown();
        subscription.close();
        heartbeat.cancel(false);
        if (tls != null) {
            tls.close();
        }
        serverChannel.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        for (TargetTraffic traffic : proxy.targets()) {
            traffic.close();
        }
        // The 503s are written by tasks on each loop; a loop that starts shutting down closes its channels
        // before running queued tasks, so wait until every loop has run what was queued so far.
        for (EventExecutor executor : group) {
            executor.submit(() -> {}).awaitUninterruptibly(5, TimeUnit.SECONDS);
        }
        group.shutdownGracefully(100, 5_000, TimeUnit.MILLISECONDS).awaitUninterruptibly(10, TimeUnit.SECONDS);
        // Every held request was answered and every connection closed: nothing of ours is left to wait for.
        try {
            hub.left(id);
        } catch (RuntimeException e) {
            log.warn("Traffic hub failed to take the departure of gateway {}", id, e);
        }
        terminated.complete(null);
        log.info("Gateway on {} closed", address);
    }

    /** Configures and starts a {@link Gateway}. */
    public static final class Builder {
        private final TrafficHub hub;
        private GatewayConfig config = GatewayConfig.defaults();
        private @Nullable InetSocketAddress listen;
        private final List<GatewayRoute> routes = new ArrayList<>();
        private final Map<TargetRef, GatewayConfig> targetConfigs = new LinkedHashMap<>();
        private InstantSource clock = InstantSource.system();
        private LongSupplier nanoTime = System::nanoTime;
        private int ioThreads = Runtime.getRuntime().availableProcessors();
        private @Nullable Transport transport;
        private @Nullable String id;
        private Duration heartbeatInterval = DEFAULT_HEARTBEAT;

        private Builder(TrafficHub hub) {
            this.hub = requireNonNull(hub, "hub is null");
        }

        /** The gateway-wide settings, which every target without its own inherits. */
        public Builder config(GatewayConfig value) {
            config = requireNonNull(value, "config is null");
            return this;
        }

        /** Overrides the listen address of {@link #config}; port 0 picks a free port (see {@link Gateway#port()}). */
        public Builder listen(String host, int port) {
            listen = InetSocketAddress.createUnresolved(requireNonNull(host, "host is null"), port);
            return this;
        }

        public Builder route(GatewayRoute route) {
            routes.add(requireNonNull(route, "route is null"));
            return this;
        }

        public Builder routes(List<GatewayRoute> values) {
            values.forEach(this::route);
            return this;
        }

        /**
         * Settings for one target instead of the gateway-wide ones; the keys that apply before a
         * request is routed are ignored here ({@code listen}, {@code maxHeaderSize},
         * {@code trustedProxies}, {@code headerTimeout}, {@code idleTimeout}, the connection limits
         * and the per-client and total hold limits).
         */
        public Builder targetConfig(TargetRef target, GatewayConfig value) {
            targetConfigs.put(requireNonNull(target, "target is null"), requireNonNull(value, "config is null"));
            return this;
        }

        /**
         * This gateway's id in every report to the hub, unique among the gateways reporting to one
         * engine (default: the config's {@code id}, else host name, process id and a counter, see
         * {@link Gateway#id()}).
         */
        public Builder id(String value) {
            if (requireNonNull(value, "id is null").isBlank()) {
                throw new IllegalArgumentException("id must not be blank");
            }
            id = value;
            return this;
        }

        /**
         * How often the gateway tells the hub it is alive between reports (default {@link
         * Gateway#DEFAULT_HEARTBEAT}); keep it well below the engine's {@code traffic.reporter-ttl}.
         */
        public Builder heartbeat(Duration value) {
            if (requireNonNull(value, "heartbeat is null").isZero() || value.isNegative()) {
                throw new IllegalArgumentException("heartbeat must be positive, got " + value);
            }
            heartbeatInterval = value;
            return this;
        }

        /** Where request latency is measured from; the system clock by default. */
        public Builder clock(InstantSource value) {
            clock = requireNonNull(value, "clock is null");
            return this;
        }

        /**
         * The monotonic clock (nanoseconds, as {@link System#nanoTime()}, the default) the upstream
         * pool reads how long a connection has been idle from: a non-idempotent request never goes
         * out on one idle for longer than {@link Exchange#UNSAFE_REUSE_NANOS}. For tests that drive
         * time instead of waiting.
         */
        Builder nanoTime(LongSupplier value) {
            nanoTime = requireNonNull(value, "nanoTime is null");
            return this;
        }

        /** Event loop threads; one per core by default. */
        public Builder ioThreads(int value) {
            if (value < 1) {
                throw new IllegalArgumentException("ioThreads must be at least 1, got " + value);
            }
            ioThreads = value;
            return this;
        }

        /** Forces Java NIO instead of native epoll (for tests of both). */
        Builder transport(Transport value) {
            transport = value;
            return this;
        }

        /**
         * Subscribes to the hub, binds the listen address and starts serving.
         *
         * @throws ZeroscaleException when the address cannot be bound
         */
        public Gateway start() {
            Transport chosen = transport == null ? Transport.best() : transport;
            InetSocketAddress unresolved = listen == null ? config.listen() : listen;
            TlsConfig tlsConfig = config.tls();
            // Read before anything starts: a certificate that cannot be used stops startup with the reason.
            TlsCertificates tls = tlsConfig == null ? null
                    : TlsCertificates.load(tlsConfig, FrontendPipeline.alpn(config.http2()));
            EventLoopGroup group = new MultiThreadIoEventLoopGroup(ioThreads, chosen.ioHandlerFactory());
            String configured = config.id();
            String gatewayId = id != null ? id : configured != null ? configured : defaultId();
            Proxy proxy = new Proxy(hub, gatewayId, clock, nanoTime, config, targetConfigs, routes, chosen, group);
            HttpDecoderConfig decoder = new HttpDecoderConfig()
                    .setMaxInitialLineLength(config.maxHeaderSize())
                    .setMaxHeaderSize(config.maxHeaderSize())
                    .setMaxChunkSize(64 * 1024);
            Subscription subscription = Subscription.NONE;
            try {
                subscription = hub.subscribe(proxy);
                Channel server = new ServerBootstrap()
                        .group(group)
                        .channel(chosen.serverChannel())
                        .option(ChannelOption.SO_BACKLOG, 1024)
                        .option(ChannelOption.SO_REUSEADDR, true)
                        .childOption(ChannelOption.TCP_NODELAY, true)
                        .childOption(ChannelOption.SO_KEEPALIVE, true)
                        .childHandler(new FrontendPipeline(proxy, decoder, tls, config.http2()).initializer())
                        .bind(new InetSocketAddress(unresolved.getHostString(), unresolved.getPort()))
                        .syncUninterruptibly()
                        .channel();
                long every = heartbeatInterval.toNanos();
                ScheduledFuture<?> heartbeat = group.next().scheduleAtFixedRate(() -> {
                    try {
                        hub.heartbeat(gatewayId);
                    } catch (RuntimeException e) {
                        log.warn("Traffic hub failed to take a heartbeat of gateway {}", gatewayId, e);
                    }
                }, every, every, TimeUnit.NANOSECONDS);
                Gateway gateway = new Gateway(hub, gatewayId, proxy, group, server, subscription, heartbeat, tls);
                if (tls != null) {
                    tls.startWatching();
                }
                String protocols = config.http2().enabled() ? "HTTP/1.1 and HTTP/2" : "HTTP/1.1";
                log.info("Gateway {} listening on {} ({}, {}, {}, {} io threads, {} routes)", gatewayId,
                        gateway.address(), tls == null ? "cleartext" : "TLS " + tls.description(), protocols,
                        chosen.name(), ioThreads, routes.size());
                return gateway;
            } catch (RuntimeException e) {
                subscription.close();
                group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
                throw new ZeroscaleException(StandardErrorCode.CONFIG_INVALID, "gateway.listen: cannot listen on "
                        + unresolved.getHostString() + ":" + unresolved.getPort() + " (" + e.getMessage()
                        + "); pick a free port or an address of this host", e);
            }
        }
    }
}
