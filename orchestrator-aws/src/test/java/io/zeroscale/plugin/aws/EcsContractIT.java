package io.zeroscale.plugin.aws;

import io.zeroscale.testkit.AwsTestProxy;
import static org.assertj.core.api.Assertions.assertThat;

import io.zeroscale.spi.orchestrator.Endpoint;
import io.zeroscale.spi.orchestrator.Orchestrator;
import io.zeroscale.spi.orchestrator.Workload;
import io.zeroscale.testkit.EndpointsContract;
import io.zeroscale.testkit.FreePorts;
import io.zeroscale.testkit.TestPluginContext;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.io.TempDir;

/**
 * testkit's orchestrator contract for ECS services, against moto's server through the test proxy,
 * which plays ECS's service scheduler (moto's UpdateService starts no tasks) and records the calls
 * for the IAM test. moto's task addresses route nowhere: the suite's HTTP checks go to a loopback
 * backend per task (the reachability seam).
 */
class EcsContractIT extends EndpointsContract {
    @TempDir
    Path home;

    private @Nullable TestPluginContext context;
    private @Nullable AwsTestProxy proxy;
    private final Moto.Backends backends = new Moto.Backends();

    @Override
    protected void setUpBackend() {
        Moto.peer();
        context = TestPluginContext.realTime(home);
        proxy = AwsTestProxy.start(Moto.peer().url());
    }

    @Override
    protected Orchestrator newOrchestrator() {
        return Moto.ecsOrchestrator(proxy().url(), context(), Map.of(), null);
    }

    @Override
    protected Workload newWorkload() {
        return Moto.ecsWorkload("ecs", Moto.service("contract"), Map.of());
    }

    /** A container port out of range: refused at attach, before any AWS call, naming the key. */
    @Override
    protected BadWorkload badWorkload() {
        return new BadWorkload(Moto.ecsWorkload("ecs", Moto.service("contract-bad"), Map.of("port", 70000)), "port");
    }

    /** Configured like {@link #newOrchestrator()}, but its endpoint override is a loopback port nothing listens on. */
    @Override
    protected Orchestrator newOrchestratorWithBackendDown() {
        return Moto.ecsOrchestrator("http://127.0.0.1:" + FreePorts.next(), context(), Map.of("timeout", "2s"), null);
    }

    @Override
    protected Endpoint reachable(Endpoint endpoint) {
        assertThat(endpoint.port()).as("endpoint port is the workload's (container) port").isEqualTo(Moto.PORT);
        return backends.reachable(endpoint);
    }

    @Override
    protected Duration readinessTimeout() {
        return Duration.ofSeconds(30);
    }

    @Override
    protected void tearDownBackend() {
        backends.close();
        if (proxy != null) {
            proxy.close();
        }
        if (context != null) {
            context.close();
        }
    }

    private AwsTestProxy proxy() {
        AwsTestProxy current = proxy;
        if (current == null) {
            throw new IllegalStateException("proxy not started");
        }
        return current;
    }

    private TestPluginContext context() {
        TestPluginContext current = context;
        if (current == null) {
            throw new IllegalStateException("context not created");
        }
        return current;
    }
}
