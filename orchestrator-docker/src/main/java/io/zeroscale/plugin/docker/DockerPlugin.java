package io.zeroscale.plugin.docker;

import io.zeroscale.spi.Plugin;
import io.zeroscale.spi.orchestrator.OrchestratorFactory;
import java.util.List;

/** Provides the {@code docker} orchestrator type. Found by ServiceLoader. */
public final class DockerPlugin implements Plugin {
    @Override
    public List<OrchestratorFactory> orchestratorFactories() {
        return List.of(new DockerOrchestratorFactory());
    }
}
