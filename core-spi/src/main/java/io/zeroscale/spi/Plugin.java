package io.zeroscale.spi;

import io.zeroscale.spi.alert.AlertSinkFactory;
import io.zeroscale.spi.automaton.AutomatonFactory;
import io.zeroscale.spi.metrics.MetricSourceFactory;
import io.zeroscale.spi.orchestrator.OrchestratorFactory;
import io.zeroscale.spi.state.StateStoreFactory;
import io.zeroscale.spi.targets.TargetSourceFactory;
import io.zeroscale.spi.traffic.TrafficHubFactory;
import java.util.List;

/**
 * The entry point of a plugin jar, found with {@link java.util.ServiceLoader} through one line in
 * {@code META-INF/services/io.zeroscale.spi.Plugin}. A plugin exposes factories by type name; the
 * config's {@code type:} key picks the factory. Every method defaults to none, so a plugin
 * overrides only what it provides.
 *
 * <p>Called once at startup on the main thread. Factories must be cheap to list: create clients in
 * the factory's {@code create} method, not here.
 */
public interface Plugin {
    /** Orchestrator types this plugin provides, e.g. {@code kubernetes}, {@code docker}. */
    default List<OrchestratorFactory> orchestratorFactories() {
        return List.of();
    }

    /** Metric source types this plugin provides, e.g. {@code prometheus}, {@code tempo}. */
    default List<MetricSourceFactory> metricSourceFactories() {
        return List.of();
    }

    /** Automaton types (policies) this plugin provides, e.g. {@code zero-to-n}. */
    default List<AutomatonFactory> automatonFactories() {
        return List.of();
    }

    /**
     * Leadership types this plugin provides, e.g. a Kubernetes Lease, for daemons that run as
     * several replicas over the same workloads. See {@link Leadership}.
     */
    default List<LeadershipFactory> leadershipFactories() {
        return List.of();
    }

    /**
     * Traffic hub types this plugin provides: where this process's gateway reports to when several
     * daemons run (e.g. a client that forwards to the leader). See {@link TrafficHubFactory}.
     */
    default List<TrafficHubFactory> trafficHubFactories() {
        return List.of();
    }

    /**
     * Alert sink types this plugin provides, e.g. {@code webhook}, {@code alertmanager}: where the
     * engine's alerts are delivered. See {@link io.zeroscale.spi.alert.AlertSink}.
     */
    default List<AlertSinkFactory> alertSinkFactories() {
        return List.of();
    }

    /**
     * State store types this plugin provides: where the engine keeps operator state and the
     * journal when files under the data directory are not enough (a cluster, when several daemons
     * take turns leading). See {@link io.zeroscale.spi.state.StateStore}.
     */
    default List<StateStoreFactory> stateStoreFactories() {
        return List.of();
    }

    /**
     * Target source types this plugin provides, e.g. Kubernetes custom resources that each carry a
     * target: targets added, changed and removed while the daemon runs. See {@link
     * io.zeroscale.spi.targets.TargetSource}.
     */
    default List<TargetSourceFactory> targetSourceFactories() {
        return List.of();
    }
}
