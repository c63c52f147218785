package io.zeroscale.plugin.docker;

import io.zeroscale.spi.Config;
import io.zeroscale.spi.PluginContext;
import io.zeroscale.spi.orchestrator.Orchestrator;
import io.zeroscale.spi.orchestrator.OrchestratorFactory;
import java.util.ArrayList;
import java.util.List;

/**
 * Creates {@code docker} orchestrators. Connecting is lazy: an engine that is down at startup is
 * reported by the first call that needs it, naming the host, and picked up once it answers.
 */
public final class DockerOrchestratorFactory implements OrchestratorFactory {
    /** The {@code type:} that selects this factory. */
    public static final String TYPE = "docker";

    @Override
    public String type() {
        return TYPE;
    }

    @Override
    public Orchestrator create(String name, Config config, PluginContext context) {
        DockerConfig parsed = DockerConfig.parse(config, System.getenv("DOCKER_HOST"));
        List<DockerEngine> engines = new ArrayList<>();
        for (String host : parsed.hosts()) {
            engines.add(new DockerJavaEngine(host, parsed.timeout()));
        }
        return new DockerOrchestrator(name, parsed, engines, new NetworkProbe(context.blockingExecutor()), context);
    }
}
