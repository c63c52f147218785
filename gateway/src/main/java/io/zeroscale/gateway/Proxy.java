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
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import org.jspecify.annotations.Nullable;

/** What every connection of one gateway shares: routes, targets, upstream pools; and the hub's listener. */
final class Proxy implements RouteListener {
    private final TrafficHub hub;
    private final InstantSource clock;
    private final GatewayConfig defaults;
    private final Map<TargetRef, GatewayConfig> targetConfigs;
    private final Router router;
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

    Proxy(TrafficHub hub, InstantSource clock, GatewayConfig defaults, Map<TargetRef, GatewayConfig> targetConfigs,
            List<GatewayRoute> routes, Transport transport, EventLoopGroup group) {
        this.hub = hub;
        this.clock = clock;
        this.defaults = defaults;
        this.targetConfigs = Map.copyOf(targetConfigs);
        this.router = new Router(routes);
        this.transport = transport;
        this.group = group;
        this.trustedProxies = new TrustedProxies(defaults.trustedProxies());
        for (GatewayRoute route : routes) {
            traffic(route.target());
        }
    }

    Router router() {
        return router;
    }

    TrustedProxies trustedProxies() {
        return trustedProxies;
    }

    GatewayConfig defaults() {
        return defaults;
    }

    TargetTraffic traffic(TargetRef target) {
        return targets.computeIfAbsent(target, t -> new TargetTraffic(t, targetConfigs.getOrDefault(t, defaults), hub,
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

    /** Marks the start of a graceful shutdown; the future completes once no request is left. */
    CompletableFuture<Void> beginShutdown() {
        shuttingDown = true;
        if (exchanges.isEmpty()) {
            quiet.complete(null);
        }
        return quiet;
    }

    /** The requests not ended yet. */
    List<Exchange> exchanges() {
        return List.copyOf(exchanges);
    }

    /** The pool of {@code loop}; only ever used on that loop. */
    UpstreamPool pool(EventLoop loop) {
        return pools.computeIfAbsent(loop, l -> new UpstreamPool(l, transport));
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
}
