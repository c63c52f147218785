package io.zeroscale.plugin.k8s;

import io.zeroscale.spi.LeadershipFactory;
import io.zeroscale.spi.Plugin;
import io.zeroscale.spi.orchestrator.OrchestratorFactory;
import io.zeroscale.spi.state.StateStoreFactory;
import io.zeroscale.spi.targets.TargetSourceFactory;
import io.zeroscale.spi.traffic.TrafficHubFactory;
import java.util.List;

/** Provides the {@code kubernetes} orchestrator, leadership, traffic hub, state store and target source types. Found by ServiceLoader. */
public final class KubernetesPlugin implements Plugin {
    @Override
    public List<OrchestratorFactory> orchestratorFactories() {
        return List.of(new KubernetesOrchestratorFactory());
    }

    @Override
    public List<LeadershipFactory> leadershipFactories() {
        return List.of(new KubernetesLeadershipFactory());
    }

    @Override
    public List<TrafficHubFactory> trafficHubFactories() {
        return List.of(new KubernetesTrafficHubFactory());
    }

    @Override
    public List<StateStoreFactory> stateStoreFactories() {
        return List.of(new ConfigMapStateStoreFactory());
    }

    @Override
    public List<TargetSourceFactory> targetSourceFactories() {
        return List.of(new ScaledTargetsFactory());
    }
}
