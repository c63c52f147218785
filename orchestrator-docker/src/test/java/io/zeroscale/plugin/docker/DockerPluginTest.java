package io.zeroscale.plugin.docker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.zeroscale.spi.Config;
import io.zeroscale.spi.Plugin;
import io.zeroscale.spi.PluginContext;
import io.zeroscale.spi.Scheduler;
import io.zeroscale.spi.TargetRef;
import io.zeroscale.spi.ZeroscaleException;
import io.zeroscale.spi.orchestrator.Drainable;
import io.zeroscale.spi.orchestrator.Endpoints;
import io.zeroscale.spi.orchestrator.Orchestrator;
import io.zeroscale.spi.orchestrator.OrchestratorFactory;
import io.zeroscale.spi.orchestrator.Pausable;
import io.zeroscale.spi.orchestrator.Resizable;
import io.zeroscale.spi.orchestrator.Workload;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.concurrent.Executor;
import org.junit.jupiter.api.Test;

class DockerPluginTest {
    private final ManualScheduler scheduler = new ManualScheduler();
    private final QueueExecutor executor = new QueueExecutor();

    private final PluginContext context = new PluginContext() {
        @Override
        public Scheduler scheduler() {
            return scheduler;
        }

        @Override
        public Executor blockingExecutor() {
            return executor;
        }

        @Override
        public Path dataDirectory() {
            return Path.of("target/data");
        }
    };

    private static OrchestratorFactory factory() {
        List<Plugin> plugins = ServiceLoader.load(Plugin.class).stream().map(ServiceLoader.Provider::get).toList();
        assertThat(plugins).hasOnlyElementsOfType(DockerPlugin.class).hasSize(1);
        return plugins.get(0).orchestratorFactories().stream()
                .filter(f -> f.type().equals("docker"))
                .findFirst()
                .orElseThrow();
    }

    @Test
    void serviceLoaderFindsTheDockerOrchestratorWithEveryCapability() {
        Orchestrator orchestrator = factory().create("docker",
                Config.of("orchestrators.docker", Map.of("type", "docker", "host", "unix:///run/none/docker.sock")),
                context);
        try {
            assertThat(orchestrator).isInstanceOf(Endpoints.class).isInstanceOf(Pausable.class)
                    .isInstanceOf(Resizable.class).isInstanceOf(Drainable.class);
            assertThat(((DockerOrchestrator) orchestrator).hosts()).containsExactly("unix:///run/none/docker.sock");
        } finally {
            orchestrator.close();
        }
    }

    @Test
    void anEngineThatIsNotThereFailsCallsNotStartup() {
        Orchestrator orchestrator = factory().create("docker",
                Config.of("orchestrators.docker", Map.of("host", "unix:///run/none/docker.sock")), context);
        TargetRef target = TargetRef.of("docker", "ContainerGroup", "web");
        orchestrator.attach(new Workload(target, Config.of("targets.web.workload", Map.of("image", "x"))));
        scheduler.advance(Duration.ofSeconds(5));
        executor.runAll();

        assertThatThrownBy(() -> orchestrator.observe(target))
                .isInstanceOf(ZeroscaleException.class)
                .hasMessageContaining("unix:///run/none/docker.sock")
                .hasMessageContaining("does not exist");
        orchestrator.close();
    }

    @Test
    void badConfigStopsCreation() {
        assertThatThrownBy(() -> factory().create("docker",
                        Config.of("orchestrators.docker", Map.of("poll-intervall", "1m")), context))
                .hasMessageContaining("orchestrators.docker.poll-intervall")
                .hasMessageContaining("did you mean 'poll-interval'");
    }
}
