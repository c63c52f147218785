package io.zeroscale.gateway;

import io.zeroscale.spi.Subscription;
import io.zeroscale.spi.TargetRef;
import io.zeroscale.spi.orchestrator.Endpoint;
import io.zeroscale.spi.traffic.RequestStats;
import io.zeroscale.spi.traffic.Route;
import io.zeroscale.spi.traffic.RouteListener;
import io.zeroscale.spi.traffic.Routing;
import io.zeroscale.spi.traffic.TrafficHub;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Consumer;

/**
 * Plays the engine for the gateway: keeps routes, and when a report shows a request held for a
 * target that has no endpoint, it "starts" the target's backend on another thread (as the engine
 * would actuate) and publishes a FORWARD route to it. Driven by the report event, never by polling.
 */
final class FakeEngineHub implements TrafficHub, AutoCloseable {
    /** Starts a real backend and returns where it listens. */
    @FunctionalInterface
    interface Starter {
        Endpoint start() throws Exception;
    }

    record Drained(TargetRef target, List<Endpoint> endpoints) {}

    record Refusal(TargetRef target, Endpoint endpoint, String reason) {}

    private final Map<TargetRef, Route> routes = new ConcurrentHashMap<>();
    private final List<RouteListener> listeners = new CopyOnWriteArrayList<>();
    private final Map<TargetRef, Starter> starters = new ConcurrentHashMap<>();
    private final Map<TargetRef, Boolean> waking = new ConcurrentHashMap<>();
    private final Map<TargetRef, List<RequestStats>> reports = new ConcurrentHashMap<>();
    private final List<Drained> drained = new CopyOnWriteArrayList<>();
    private final List<Long> drainIds = new CopyOnWriteArrayList<>();
    private final java.util.Set<String> reporters = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private final List<String> heartbeats = new CopyOnWriteArrayList<>();
    private final List<String> left = new CopyOnWriteArrayList<>();
    private final List<Refusal> refusals = new CopyOnWriteArrayList<>();
    private final List<Throwable> failures = new CopyOnWriteArrayList<>();
    private final ExecutorService actuator = Executors.newVirtualThreadPerTaskExecutor();
    private volatile Consumer<Refusal> onRefused = refusal -> {};
    private final Map<TargetRef, Integer> published = new ConcurrentHashMap<>();

    /** How many routes were published for {@code target} so far. */
    int published(TargetRef target) {
        return published.getOrDefault(target, 0);
    }

    /** When {@code target} is at zero and a request is held, start it with {@code starter}. */
    FakeEngineHub onWake(TargetRef target, Starter starter) {
        starters.put(target, starter);
        return this;
    }

    /** What the "engine" does when an endpoint refuses (e.g. re-observe and publish a new endpoint). */
    FakeEngineHub onRefused(Consumer<Refusal> reaction) {
        onRefused = reaction;
        return this;
    }

    void publish(TargetRef target, Route route) {
        published.merge(target, 1, Integer::sum);
        routes.put(target, route);
        for (RouteListener listener : listeners) {
            listener.onRoute(target, route);
        }
    }

    void forward(TargetRef target, Endpoint... endpoints) {
        publish(target, new Route(Routing.FORWARD, List.of(endpoints), List.of()));
    }

    /** As the engine does when a target is removed: no route for it any more. */
    void remove(TargetRef target, String reason) {
        routes.remove(target);
        for (RouteListener listener : listeners) {
            listener.onRemoved(target, reason);
        }
    }

    void failHeld(TargetRef target, int status, String reason) {
        for (RouteListener listener : listeners) {
            listener.onFailHeld(target, status, reason);
        }
    }

    /** Runs {@code task} on the actuator thread, as the engine runs orchestrator calls. */
    void actuate(Runnable task) {
        actuator.execute(() -> {
            try {
                task.run();
            } catch (RuntimeException e) {
                failures.add(e);
            }
        });
    }

    @Override
    public void report(String gateway, TargetRef target, RequestStats stats) {
        reporters.add(gateway);
        reports.computeIfAbsent(target, t -> new CopyOnWriteArrayList<>()).add(stats);
        Route route = routes.get(target);
        boolean atZero = route == null || route.endpoints().isEmpty();
        Starter starter = starters.get(target);
        if (stats.held() > 0 && atZero && starter != null && waking.putIfAbsent(target, Boolean.TRUE) == null) {
            actuator.execute(() -> {
                try {
                    Endpoint endpoint = starter.start();
                    forward(target, endpoint);
                } catch (Exception e) {
                    failures.add(e);
                } finally {
                    waking.remove(target);
                }
            });
        }
    }

    /** Records the drain id, then takes the report as a hub without drain ids would. */
    @Override
    public void drained(String gateway, TargetRef target, long drain, List<Endpoint> endpoints) {
        drainIds.add(drain);
        drained(gateway, target, endpoints);
    }

    /** The drain ids of the reports, in order. */
    List<Long> drainIds() {
        return List.copyOf(drainIds);
    }

    @Override
    public void drained(String gateway, TargetRef target, List<Endpoint> endpoints) {
        drained.add(new Drained(target, List.copyOf(endpoints)));
    }

    @Override
    public void endpointRefused(String gateway, TargetRef target, Endpoint endpoint, String reason) {
        Refusal refusal = new Refusal(target, endpoint, reason);
        refusals.add(refusal);
        onRefused.accept(refusal);
    }

    @Override
    public void heartbeat(String gateway) {
        heartbeats.add(gateway);
    }

    @Override
    public void left(String gateway) {
        left.add(gateway);
    }

    /** The ids of the gateways that reported, heartbeat, and left. */
    java.util.Set<String> reporters() {
        return java.util.Set.copyOf(reporters);
    }

    List<String> heartbeats() {
        return List.copyOf(heartbeats);
    }

    List<String> left() {
        return List.copyOf(left);
    }

    @Override
    public Subscription subscribe(RouteListener listener) {
        listeners.add(listener);
        routes.forEach(listener::onRoute);
        return () -> listeners.remove(listener);
    }

    RequestStats latest(TargetRef target) {
        List<RequestStats> list = reports.get(target);
        return list == null || list.isEmpty() ? RequestStats.IDLE : list.get(list.size() - 1);
    }

    List<RequestStats> reports(TargetRef target) {
        List<RequestStats> list = reports.get(target);
        return list == null ? List.of() : new ArrayList<>(list);
    }

    List<Drained> drained() {
        return List.copyOf(drained);
    }

    List<Refusal> refusals() {
        return List.copyOf(refusals);
    }

    /** Errors thrown by starters or actuations; a test asserts this is empty. */
    List<Throwable> failures() {
        return List.copyOf(failures);
    }

    @Override
    public void close() {
        actuator.shutdownNow();
    }
}
