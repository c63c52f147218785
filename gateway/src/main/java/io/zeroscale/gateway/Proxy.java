package io.zeroscale.gateway;

import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.EventExecutor;
import io.zeroscale.spi.TargetRef;
import io.zeroscale.spi.orchestrator.Endpoint;
import io.zeroscale.spi.traffic.Route;
import io.zeroscale.spi.traffic.RouteListener;
import io.zeroscale.spi.traffic.TrafficHub;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.LongSupplier;
import org.jspecify.annotations.Nullable;

/** What every connection of one gateway shares: routes, targets, upstream pools; and the hub's listener. */
final class Proxy implements RouteListener {
    private final TrafficHub hub;
    /** This gateway's id in every call to the hub. */
    private final String gateway;
    private final InstantSource clock;
    /** The upstream pools' monotonic clock, see {@link Gateway.Builder#nanoTime}. */
    private final LongSupplier nanoTime;
    private final GatewayConfig defaults;
    private final Map<TargetRef, GatewayConfig> targetConfigs;
    /**
     * What a request is routed by: replaced whole (never changed in place) when a target's routes
     * change, so a request sees the table before or after a change, never half of it.
     */
    private volatile Table table;
    /** Serializes changes of {@link #table}; requests only read it. */
    private final Object tableLock = new Object();
    private final Transport transport;
    private final EventLoopGroup group;
    private final ConcurrentHashMap<TargetRef, TargetTraffic> targets = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<EventLoop, UpstreamPool> pools = new ConcurrentHashMap<>();
    /** Every request from arrival until it ended, however it ended. */
    private final Set<Exchange> exchanges = ConcurrentHashMap.newKeySet();
    /** Completed once shutting down and no request is left. */
    private final CompletableFuture<Void> quiet = new CompletableFuture<>();
    private volatile boolean shuttingDown;
    private final TrustedProxies trustedProxies;
    /**
     * Open HTTP/2 client connections, each with what tells it to go away (run on its own loop) when
     * a shutdown starts.
     */
    private final ConcurrentHashMap<io.netty.channel.Channel, Runnable> http2Connections = new ConcurrentHashMap<>();

    Proxy(TrafficHub hub, String gateway, InstantSource clock, LongSupplier nanoTime, GatewayConfig defaults,
            Map<TargetRef, GatewayConfig> targetConfigs, List<GatewayRoute> routes, Transport transport, EventLoopGroup group) {
        this.hub = hub;
        this.gateway = gateway;
        this.clock = clock;
        this.nanoTime = nanoTime;
        this.defaults = defaults;
        this.targetConfigs = new ConcurrentHashMap<>(targetConfigs);
        this.transport = transport;
        this.group = group;
        this.trustedProxies = new TrustedProxies(defaults.trustedProxies());
        Map<TargetRef, TargetTraffic> routed = new LinkedHashMap<>();
        for (GatewayRoute route : routes) {
            routed.put(route.target(), traffic(route.target()));
        }
        this.table = new Table(List.copyOf(routes), new Router(routes), routed);
    }

    /**
     * One consistent routing table: the routes, the router built from them, and the traffic of
     * every routed target as it was when the table was made.
     */
    private record Table(List<GatewayRoute> routes, Router router, Map<TargetRef, TargetTraffic> traffic) {}

    /** The target a request for {@code host} (normalized) and {@code path} goes to, or null (404). */
    @Nullable TargetTraffic route(@Nullable String host, String path) {
        Table current = table;
        GatewayRoute route = current.router().route(host, path);
        return route == null ? null : current.traffic().get(route.target());
    }

    /**
     * Replaces {@code target}'s routes (and its own settings, when given) in one step; other
     * targets' routes and requests are untouched.
     *
     * @throws IllegalArgumentException when a route names another target, or matches exactly the
     *     host and path of another target's route
     */
    void setRoutes(TargetRef target, List<GatewayRoute> routes, @Nullable GatewayConfig config) {
        for (GatewayRoute route : routes) {
            if (!route.target().equals(target)) {
                throw new IllegalArgumentException("route " + route + " is not a route of " + target);
            }
        }
        synchronized (tableLock) {
            Table current = table;
            List<GatewayRoute> next = new ArrayList<>();
            for (GatewayRoute route : current.routes()) {
                if (route.target().equals(target)) {
                    continue;
                }
                for (GatewayRoute added : routes) {
                    if (Objects.equals(route.host(), added.host()) && route.pathPrefix().equals(added.pathPrefix())) {
                        throw new IllegalArgumentException("host " + (added.host() == null ? "*" : added.host()) + " and path "
                                + added.pathPrefix() + " already go to " + route.target() + "; give " + target
                                + " another host or path");
                    }
                }
                next.add(route);
            }
            next.addAll(routes);
            if (config != null) {
                targetConfigs.put(target, config);
            }
            TargetTraffic traffic = traffic(target);
            if (config != null) {
                traffic.reconfigure(config);
            }
            Map<TargetRef, TargetTraffic> routed = new LinkedHashMap<>(current.traffic());
            routed.remove(target);
            if (!routes.isEmpty()) {
                routed.put(target, traffic);
            }
            table = new Table(List.copyOf(next), new Router(next), routed);
        }
    }

    /** The routes of {@code target} now. */
    List<GatewayRoute> routes(TargetRef target) {
        return table.routes().stream().filter(route -> route.target().equals(target)).toList();
    }

    private final java.util.concurrent.atomic.AtomicInteger connections = new java.util.concurrent.atomic.AtomicInteger();
    private final ConcurrentHashMap<java.net.InetAddress, Integer> connectionsPerClient = new ConcurrentHashMap<>();
    private final java.util.concurrent.atomic.AtomicInteger heldTotal = new java.util.concurrent.atomic.AtomicInteger();
    private final ConcurrentHashMap<String, Integer> heldPerClient = new ConcurrentHashMap<>();

    /**
     * Counts a new client connection, or says why it is refused (max-connections, or
     * max-connections-per-client for a peer that is not a trusted proxy). Once per connection.
     */
    @Nullable String openConnection(java.net.InetAddress peer, boolean trusted) {
        if (connections.incrementAndGet() > defaults.maxConnections()) {
            connections.decrementAndGet();
            return "the gateway already has " + defaults.maxConnections() + " open connections (max-connections);"
                    + " retry in " + defaults.retryAfter().toSeconds() + "s";
        }
        if (trusted) {
            return null;
        }
        int limit = defaults.maxConnectionsPerClient();
        boolean[] over = new boolean[1];
        connectionsPerClient.compute(peer, (address, count) -> {
            int now = count == null ? 0 : count;
            if (now >= limit) {
                over[0] = true;
                return now;
            }
            return now + 1;
        });
        if (over[0]) {
            connections.decrementAndGet();
            return "client " + peer.getHostAddress() + " already has " + limit + " open connections"
                    + " (max-connections-per-client); retry in " + defaults.retryAfter().toSeconds() + "s";
        }
        return null;
    }

    /** The connection counted by {@link #openConnection} closed. */
    void closeConnection(java.net.InetAddress peer, boolean trusted) {
        connections.decrementAndGet();
        if (!trusted) {
            connectionsPerClient.computeIfPresent(peer, (address, count) -> count <= 1 ? null : count - 1);
        }
    }

    /** Why one more held request of {@code client} is refused (max-held-per-client, max-held-total), or null. */
    @Nullable String holdLimit(String client) {
        if (heldTotal.get() >= defaults.maxHeldTotal()) {
            return "the gateway already holds " + defaults.maxHeldTotal() + " requests (max-held-total); retry in "
                    + defaults.retryAfter().toSeconds() + "s";
        }
        Integer mine = heldPerClient.get(client);
        if (mine != null && mine >= defaults.maxHeldPerClient()) {
            return "client " + client + " already has " + defaults.maxHeldPerClient() + " requests held"
                    + " (max-held-per-client); retry in " + defaults.retryAfter().toSeconds() + "s";
        }
        return null;
    }

    void held(String client) {
        heldTotal.incrementAndGet();
        heldPerClient.merge(client, 1, Integer::sum);
    }

    void released(String client) {
        heldTotal.decrementAndGet();
        heldPerClient.computeIfPresent(client, (c, count) -> count <= 1 ? null : count - 1);
    }

    TrustedProxies trustedProxies() {
        return trustedProxies;
    }

    GatewayConfig defaults() {
        return defaults;
    }

    TargetTraffic traffic(TargetRef target) {
        return targets.computeIfAbsent(target, t -> new TargetTraffic(t, targetConfigs.getOrDefault(t, defaults), hub, gateway,
                clock, group, this::closeIdle));
    }

    /** The target's traffic if any request or route for it was seen, else null. */
    @Nullable TargetTraffic find(TargetRef target) {
        return targets.get(target);
    }

    Iterable<TargetTraffic> targets() {
        return targets.values();
    }

    void register(Exchange exchange) {
        exchanges.add(exchange);
    }

    void unregister(Exchange exchange) {
        if (exchanges.remove(exchange) && shuttingDown && exchanges.isEmpty()) {
            quiet.complete(null);
        }
    }

    /** True from the start of a graceful shutdown: every answer from then on closes its connection. */
    boolean shuttingDown() {
        return shuttingDown;
    }

    /**
     * Marks the start of a graceful shutdown; the future completes once no request is left. Every
     * HTTP/2 connection is told to go away at once, so its client opens no new stream here.
     */
    CompletableFuture<Void> beginShutdown() {
        shuttingDown = true;
        http2Connections.forEach((channel, goAway) -> {
            try {
                channel.eventLoop().execute(goAway);
            } catch (RejectedExecutionException e) {
                // The loop is closing, and its connections with it.
            }
        });
        if (exchanges.isEmpty()) {
            quiet.complete(null);
        }
        return quiet;
    }

    /**
     * An HTTP/2 connection from a client is open; {@code goAway} runs on its loop when a shutdown
     * starts (at once if one already did). Forgotten when it closes.
     */
    void http2Opened(io.netty.channel.Channel channel, Runnable goAway) {
        http2Connections.put(channel, goAway);
        channel.closeFuture().addListener(closed -> http2Connections.remove(channel));
        if (shuttingDown) {
            goAway.run();
        }
    }

    /** The requests not ended yet. */
    List<Exchange> exchanges() {
        return List.copyOf(exchanges);
    }

    /** The pool of {@code loop}; only ever used on that loop. */
    UpstreamPool pool(EventLoop loop) {
        return pools.computeIfAbsent(loop, l -> new UpstreamPool(l, transport, nanoTime));
    }

    private void closeIdle(Set<Endpoint> endpoints) {
        for (EventExecutor executor : group) {
            if (executor instanceof EventLoop loop) {
                try {
                    loop.execute(() -> pool(loop).closeIdle(endpoints));
                } catch (RejectedExecutionException e) {
                    // Shutting down: the connections close with the loop.
                }
            }
        }
    }

    @Override
    public void onRoute(TargetRef target, Route route) {
        traffic(target).onRoute(route);
    }

    @Override
    public void onFailHeld(TargetRef target, int status, String reason) {
        traffic(target).failHeld(status, reason);
    }

    /**
     * The hub removed {@code target}: its routes leave the table (its requests get 404 from now on),
     * its held requests are answered 503 with {@code Retry-After} and {@code reason}, and a request
     * that was routed by the previous table gets the same 503; requests in flight finish.
     */
    @Override
    public void onRemoved(TargetRef target, String reason) {
        TargetTraffic removed;
        synchronized (tableLock) {
            Table current = table;
            List<GatewayRoute> next = current.routes().stream().filter(route -> !route.target().equals(target)).toList();
            Map<TargetRef, TargetTraffic> routed = new LinkedHashMap<>(current.traffic());
            routed.remove(target);
            table = new Table(next, new Router(next), routed);
            targetConfigs.remove(target);
            removed = targets.remove(target);
        }
        if (removed != null) {
            removed.remove(reason);
        }
    }
}
