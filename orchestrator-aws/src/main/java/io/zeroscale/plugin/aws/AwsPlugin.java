package io.zeroscale.plugin.aws;

import io.zeroscale.spi.Plugin;
import io.zeroscale.spi.orchestrator.OrchestratorFactory;
import java.util.List;

/** Provides the {@code aws-autoscaling} and {@code aws-ecs} orchestrator types. Found by ServiceLoader. */
public final class AwsPlugin implements Plugin {
    @Override
    public List<OrchestratorFactory> orchestratorFactories() {
        return List.of(new AutoScalingOrchestratorFactory(), new EcsOrchestratorFactory());
    }
}
