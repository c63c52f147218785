package io.zeroscale.engine;

import io.zeroscale.engine.time.VirtualScheduler;
import io.zeroscale.spi.Leadership;
import io.zeroscale.spi.TargetRef;
import io.zeroscale.spi.traffic.RequestStats;
import io.zeroscale.spi.traffic.Route;
import io.zeroscale.spi.traffic.RouteListener;
import io.zeroscale.testkit.FakeMetricSource;
import io.zeroscale.testkit.FakeOrchestrator;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.Map;

/**
 * One engine on virtual time with a fake orchestrator, a fake metric source and a fake gateway
 * that keeps request counters and reports them, as the real gateway does.
 */
final class EngineHarness implements AutoCloseable {
    static final Instant START = Instant.parse("2026-01-01T00:00:00Z");
    final VirtualScheduler time;
    final FakeOrchestrator orchestrator;
    final FakeMetricSource metrics;
    final Zeroscale zeroscale;
    final TargetRef ref;
    final Map<TargetRef, Route> routes = new ConcurrentHashMap<>();
    final List<String> failedHeld = new ArrayList<>();
    /** Targets the engine told the gateway it removed, as {@code name: reason}. */
    final List<String> removed = new ArrayList<>();
    /** Requests the fake gateway answered 503 because the route refused them (held or new), with the reason. */
    final List<String> refused = new ArrayList<>();
    /** The fake gateways by id, the first one ({@link #GATEWAY}) made with the harness. */
    private final Map<String, Gateway> gateways = new java.util.LinkedHashMap<>();
    static final String GATEWAY = "gw";
    /** A zero-to-n target on the fake orchestrator: idle 5m, wake-timeout 3m, 0 to 4 replicas. */
    static final String ZERO_TO_N = zeroToN("");
    /** {@link #ZERO_TO_N} with a drain-timeout of 30s. */
    static final String ZERO_TO_N_DRAIN_30S = zeroToN("  drain-timeout: 30s\n");

    private static String zeroToN(String morePolicy) {
        return """
                orchestrator: fake
                workload: { kind: Process }
                policy:
                  automaton: zero-to-n
                  idle: 5m
                  wake-timeout: 3m
                %s  replicas: { min: 0, max: 4 }
                """.formatted(morePolicy);
    }
    /** How often every fake gateway heartbeats, as the real one does by default. */
    static final Duration HEARTBEAT = Duration.ofSeconds(5);
    private final java.util.Set<String> silent = new java.util.HashSet<>();

    EngineHarness(String targetYaml, Duration startup) {
        this(targetYaml, startup, 0);
    }

    /** {@code runningReplicas} are already up and ready, as a previous daemon left them. */
    EngineHarness(String targetYaml, Duration startup, int runningReplicas) {
        this(targetYaml, startup, runningReplicas, Leadership.always());
    }

    /** As above, with {@code leadership} deciding whether this engine may write. */
    EngineHarness(String targetYaml, Duration startup, int runningReplicas, Leadership leadership) {
        this(targetYaml, startup, runningReplicas, leadership, builder -> builder);
    }

    /** As above, with {@code extra} adding to the builder (alert sinks, ...). */
    EngineHarness(String targetYaml, Duration startup, int runningReplicas, Leadership leadership,
            java.util.function.UnaryOperator<Zeroscale.Builder> extra) {
        this(START, targetYaml, startup, runningReplicas, leadership, extra);
    }

    /** As above, with the virtual clock starting at {@code start}. */
    EngineHarness(Instant start, String targetYaml, Duration startup, int runningReplicas, Leadership leadership,
            java.util.function.UnaryOperator<Zeroscale.Builder> extra) {
        this(start, targetYaml, startup, runningReplicas, leadership, extra, fake -> fake);
    }

    /** As above, with the engine given {@code wrap} of the fake orchestrator (to add a capability). */
    EngineHarness(Instant start, String targetYaml, Duration startup, int runningReplicas, Leadership leadership,
            java.util.function.UnaryOperator<Zeroscale.Builder> extra,
            java.util.function.Function<FakeOrchestrator, io.zeroscale.spi.orchestrator.Orchestrator> wrap) {
        time = new VirtualScheduler(start);
        metrics = new FakeMetricSource(time);
        orchestrator = new FakeOrchestrator(time, startup);
        TargetSpec spec = TargetSpec.fromConfig("app", YamlConfig.parse(targetYaml, "test", "targets.app"));
        ref = spec.ref();
        if (runningReplicas > 0) {
            orchestrator.preset(ref, runningReplicas);
        }
        // Histories in memory unless a test asks for files (through extra): tests must not share them.
        zeroscale = extra.apply(Zeroscale.builder().persistentArrivalHistory(false))
                .virtualTime(time)
                .orchestrator("fake", wrap.apply(orchestrator))
                .metricSource("prom", metrics)
                .actuation(new ActuationSettings(1, Duration.ZERO, Duration.ZERO, Duration.ofSeconds(30), 1000))
                .target(spec)
                .leadership(leadership)
                .build();
        zeroscale.trafficHub().subscribe(new RouteListener() {
            @Override
            public void onRoute(TargetRef target, Route route) {
                routes.put(target, route);
            }

            @Override
            public void onFailHeld(TargetRef target, int status, String reason) {
                failedHeld.add(status + " " + reason);
            }

            @Override
            public void onRemoved(TargetRef target, String reason) {
                routes.remove(target);
                removed.add(target.name() + ": " + reason);
            }
        });
        gateways.put(GATEWAY, new Gateway(GATEWAY));
        time.scheduleAtFixedRate(HEARTBEAT, () -> gateways.keySet().stream().filter(id -> !silent.contains(id))
                .forEach(id -> zeroscale.trafficHub().heartbeat(id)));
        zeroscale.start();
        time.runDue();
    }

    /** Another fake gateway reporting to the same engine (made on first use). */
    Gateway gateway(String id) {
        return gateways.computeIfAbsent(id, Gateway::new);
    }

    /** The gateway stops heartbeating and reporting (as if it crashed or lost the network). */
    void silence(String id) {
        silent.add(id);
    }

    String state() {
        return zeroscale.engine().status("app").orElseThrow().state();
    }

    TargetStatus status() {
        return zeroscale.engine().status("app").orElseThrow();
    }

    Route route() {
        return routes.getOrDefault(ref, Route.hold());
    }

    void advance(Duration duration) {
        time.advance(duration);
        gateways.values().forEach(Gateway::answerRefused);
    }

    void holdRequest() {
        gateway(GATEWAY).holdRequest();
    }

    void releaseHeld() {
        gateway(GATEWAY).releaseHeld();
    }

    void answerHeld() {
        gateway(GATEWAY).answerHeld();
    }

    void refuseForOverflow(int count) {
        gateway(GATEWAY).refuseForOverflow(count);
    }

    void startRequest() {
        gateway(GATEWAY).startRequest();
    }

    void finishRequest() {
        gateway(GATEWAY).finishRequest();
    }

    void drained() {
        gateway(GATEWAY).drained();
    }

    int held() {
        return gateway(GATEWAY).held;
    }

    /**
     * A fake gateway that keeps request counters and reports them under its own id, as the real
     * gateway does: on every change, heartbeats in between.
     */
    final class Gateway {
        final String id;
        int held;
        int inFlight;
        long arrivals;
        long completed;
        long overflowed;

        Gateway(String id) {
            this.id = id;
        }

        /** A request arrives and is held (no ready endpoint), or answered at once while the route refuses. */
        void holdRequest() {
            arrivals++;
            Route.Refusal refusal = activeRefusal();
            if (refusal != null) {
                completed++;
                refused.add(refusal.reason());
            } else {
                held++;
            }
            report();
        }

        /** As the gateway does: a route that refuses answers the held requests at once. */
        void answerRefused() {
            Route.Refusal refusal = activeRefusal();
            while (refusal != null && held > 0) {
                for (int i = 0; i < held; i++) {
                    refused.add(refusal.reason());
                }
                completed += held;
                held = 0;
                send();
                time.runDue();
                refusal = activeRefusal();
            }
        }

        /** Held requests are forwarded once an endpoint is ready. */
        void releaseHeld() {
            inFlight += held;
            held = 0;
            report();
        }

        /** Held requests were answered with an error by the gateway. */
        void answerHeld() {
            completed += held;
            held = 0;
            report();
        }

        /** The gateway refused {@code count} requests because the hold queue was full. */
        void refuseForOverflow(int count) {
            arrivals += count;
            overflowed += count;
            report();
        }

        void startRequest() {
            arrivals++;
            inFlight++;
            report();
        }

        void finishRequest() {
            inFlight--;
            completed++;
            report();
        }

        /** Reports every endpoint the route drains as drained. */
        void drained() {
            Route route = route();
            zeroscale.trafficHub().drained(id, ref, route.drain(), route.draining());
            time.runDue();
        }

        /** The gateway closes: it says so. */
        void leave() {
            gateways.remove(id);
            zeroscale.trafficHub().left(id);
            time.runDue();
        }

        void report() {
            send();
            time.runDue();
            answerRefused();
        }

        private void send() {
            if (!silent.contains(id)) {
                zeroscale.trafficHub().report(id, ref, new RequestStats(held, inFlight, arrivals, completed, 0, overflowed));
            }
        }
    }

    private Route.@org.jspecify.annotations.Nullable Refusal activeRefusal() {
        Route.Refusal refusal = route().refusal();
        return refusal != null && route().endpoints().isEmpty() && time.clock().instant().isBefore(refusal.retryAt())
                ? refusal : null;
    }

    List<JournalEntry> journal() {
        return zeroscale.journal().recent(ref, 1000);
    }

    @Override
    public void close() {
        zeroscale.close();
    }
}
