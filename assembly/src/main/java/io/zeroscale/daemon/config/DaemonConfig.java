package io.zeroscale.daemon.config;

import static java.util.Objects.requireNonNull;

import io.zeroscale.engine.AlertSettings;
import io.zeroscale.engine.TargetSpec;
import io.zeroscale.engine.TrafficSettings;
import io.zeroscale.engine.automaton.WakeTimeout;
import io.zeroscale.gateway.GatewayConfig;
import io.zeroscale.gateway.GatewayRoute;
import io.zeroscale.spi.Config;
import io.zeroscale.spi.TargetRef;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The daemon's whole configuration, read and checked by {@link ConfigLoader}. What a plugin factory
 * checks itself (an orchestrator's keys, a workload's, a policy's) is still a {@link Config} here:
 * the daemon validates it by building the engine.
 *
 * @param source the file it was read from, for messages
 * @param dataDirectory where state survives restarts
 * @param orchestrators each {@code orchestrators.<name>} node, with its {@code type}
 * @param metrics each {@code metrics.<name>} node, with its {@code type}
 * @param leadership the {@code leadership} node, with its {@code type}; null when absent (this
 *     daemon is always the leader)
 * @param gateway the gateway's settings
 * @param targets the targets, in file order
 * @param routes which gateway requests go to which target
 * @param api the REST API's settings
 * @param telemetry the daemon's own telemetry
 * @param alerts when alerts are raised ({@code alerts:} without its sinks)
 * @param alertSinks each {@code alerts.sinks.<name>} node, with its {@code type}; empty: no alerts are sent
 * @param traffic how the engine treats the gateways that report to it ({@code traffic:})
 * @param trafficHub the {@code traffic.hub} node, with its {@code type}; null when absent (the
 *     gateway reports to the local engine)
 * @param targetNodes each {@code targets.<name>} node as written (after overrides and substitution),
 *     which a config reload compares to tell changed targets from unchanged ones
 * @param stateStore the {@code state-store} node, with its {@code type}; null when absent (files
 *     under {@code data-dir/state})
 * @param targetSources each {@code target-sources.<name>} node, with its {@code type}: where
 *     targets come from besides this file (e.g. Kubernetes custom resources); empty: none
 */
public record DaemonConfig(
        String source,
        Path dataDirectory,
        Map<String, Config> orchestrators,
        Map<String, Config> metrics,
        @Nullable Config leadership,
        GatewayConfig gateway,
        List<TargetSpec> targets,
        List<GatewayRoute> routes,
        ApiSettings api,
        TelemetrySettings telemetry,
        AlertSettings alerts,
        Map<String, Config> alertSinks,
        TrafficSettings traffic,
        @Nullable Config trafficHub,
        Map<String, Config> targetNodes,
        @Nullable Config stateStore,
        Map<String, Config> targetSources) {
    public DaemonConfig {
        requireNonNull(source, "source is null");
        requireNonNull(dataDirectory, "dataDirectory is null");
        orchestrators = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(orchestrators));
        metrics = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(metrics));
        requireNonNull(gateway, "gateway is null");
        targets = List.copyOf(targets);
        routes = List.copyOf(routes);
        requireNonNull(api, "api is null");
        requireNonNull(telemetry, "telemetry is null");
        requireNonNull(alerts, "alerts is null");
        alertSinks = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(alertSinks));
        requireNonNull(traffic, "traffic is null");
        targetNodes = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(targetNodes));
        targetSources = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(targetSources));
    }

    /**
     * The gateway settings of one target: the gateway-wide ones with the target's own {@code
     * policy.wake-timeout} (see {@link #targetGateways()}).
     */
    public GatewayConfig targetGateway(TargetSpec target) {
        return gateway.toBuilder().wakeTimeout(WakeTimeout.of(target.policy().settings())).build();
    }

    /**
     * The gateway settings of each target: the gateway-wide ones with the target's own {@code
     * policy.wake-timeout}, the value its automaton times the wake with, so a held request fails at
     * the same moment whichever of the two times it out.
     */
    public Map<TargetRef, GatewayConfig> targetGateways() {
        Map<TargetRef, GatewayConfig> out = new LinkedHashMap<>();
        for (TargetSpec target : targets) {
            out.put(target.ref(), targetGateway(target));
        }
        return java.util.Collections.unmodifiableMap(out);
    }

    /** The target named {@code name} in config. */
    public java.util.Optional<TargetSpec> target(String name) {
        return targets.stream().filter(target -> target.name().equals(name)).findFirst();
    }
}
