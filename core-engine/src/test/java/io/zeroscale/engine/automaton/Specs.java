package io.zeroscale.engine.automaton;

import io.zeroscale.spi.Config;
import io.zeroscale.spi.PluginContext;
import io.zeroscale.spi.Scheduler;
import io.zeroscale.spi.Subscription;
import io.zeroscale.spi.TargetRef;
import io.zeroscale.spi.automaton.AutomatonSpec;
import io.zeroscale.spi.automaton.ReplicaBounds;
import io.zeroscale.spi.orchestrator.Endpoint;
import io.zeroscale.spi.orchestrator.ObservedState;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executor;

/** Builds automaton specs and a plugin context that refuses any backend work, for factory tests. */
final class Specs {
    static final String POLICY_PATH = "targets.app.policy";

    private Specs() {}

    static AutomatonSpec spec(int min, int max, Set<String> signals, Map<String, ?> settings) {
        return new AutomatonSpec(TargetRef.of("local", "Process", "app"), new ReplicaBounds(min, max), signals,
                Config.of(POLICY_PATH, settings));
    }

    static Config node(String key, Map<String, ?> values) {
        return Config.of(POLICY_PATH + "." + key, values);
    }

    static ObservedState ready(int replicas, Instant at) {
        List<Endpoint> endpoints = java.util.stream.IntStream.range(0, replicas)
                .mapToObj(i -> endpoint(8080 + i))
                .toList();
        return ObservedState.ready(replicas, endpoints, at);
    }

    static Endpoint endpoint(int port) {
        return new Endpoint("127.0.0.1", port);
    }

    /** Factories must only validate and build: any scheduling or blocking work fails the test. */
    static PluginContext pluginContext() {
        return new PluginContext() {
            @Override
            public Scheduler scheduler() {
                return new Scheduler() {
                    @Override
                    public InstantSource clock() {
                        return InstantSource.fixed(Instant.parse("2026-01-01T00:00:00Z"));
                    }

                    @Override
                    public Subscription schedule(Duration delay, Runnable task) {
                        throw new AssertionError("an automaton factory must not schedule work");
                    }

                    @Override
                    public Subscription scheduleAtFixedRate(Duration period, Runnable task) {
                        throw new AssertionError("an automaton factory must not schedule work");
                    }
                };
            }

            @Override
            public Executor blockingExecutor() {
                return task -> {
                    throw new AssertionError("an automaton factory must not run blocking work");
                };
            }

            @Override
            public Path dataDirectory() {
                throw new AssertionError("an automaton factory must not need a data directory");
            }
        };
    }
}
