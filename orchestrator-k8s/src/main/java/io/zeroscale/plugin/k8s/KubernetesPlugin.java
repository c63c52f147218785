package io.zeroscale.plugin.k8s;

import io.zeroscale.spi.Plugin;
import io.zeroscale.spi.orchestrator.OrchestratorFactory;
import java.util.List;

/** Provides the {@code kubernetes} orchestrator type. Found by ServiceLoader. */
public final class KubernetesPlugin implements Plugin {
    @Override
    public List<OrchestratorFactory> orchestratorFactories() {
        return List.of(new KubernetesOrchestratorFactory());
    }

    @Override
    public List<io.zeroscale.spi.targets.TargetSourceFactory> targetSourceFactories() {
        return List.of(new ScaledTargetsFactory());
    }
}
