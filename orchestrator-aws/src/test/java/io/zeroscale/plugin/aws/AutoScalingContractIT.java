package io.zeroscale.plugin.aws;

import static org.assertj.core.api.Assertions.assertThat;

import io.zeroscale.spi.orchestrator.Endpoint;
import io.zeroscale.spi.orchestrator.Orchestrator;
import io.zeroscale.spi.orchestrator.Workload;
import io.zeroscale.testkit.AwsTestProxy;
import io.zeroscale.testkit.EndpointsContract;
import io.zeroscale.testkit.FreePorts;
import io.zeroscale.testkit.TestPluginContext;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.io.TempDir;

/**
 * testkit's orchestrator contract for Auto Scaling groups, against moto's server through the test
 * proxy (so the IAM test sees these calls too). moto's instance addresses route nowhere: the
 * suite's HTTP checks go to a loopback backend per instance (the reachability seam).
 */
class AutoScalingContractIT extends EndpointsContract {
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
        return Moto.orchestrator(proxy().url(), context(), Map.of(), null);
    }

    @Override
    protected Workload newWorkload() {
        return Moto.workload("aws", Moto.group("contract", 0, 5), Map.of());
    }

    /**
     * A target group ARN that is not one (the plugin checks its shape at attach, before any AWS
     * call, so a typo is a user error naming the key rather than a failing DescribeTargetHealth).
     */
    @Override
    protected BadWorkload badWorkload() {
        return new BadWorkload(Moto.workload("aws", Moto.group("contract-bad", 0, 5), Map.of("target-group-arn", "web-targets")),
                "target-group-arn");
    }

    /** Configured like {@link #newOrchestrator()}, but its endpoint override is a loopback port nothing listens on. */
    @Override
    protected Orchestrator newOrchestratorWithBackendDown() {
        return Moto.orchestrator("http://127.0.0.1:" + FreePorts.next(), context(), Map.of("timeout", "2s"), null);
    }

    /**
     * A group without a warm pool cannot pause by AWS's design: its scale-in terminates instances,
     * so the plugin refuses with {@code NO_WARM_POOL} (a documented precondition). The whole
     * contract, pause included, runs on a pooled group in {@link AutoScalingWarmPoolContractIT}.
     */
    @Override
    protected @Nullable String whyTheWorkloadCannotPause() {
        return "a group without a warm pool cannot pause (its scale-in terminates, NO_WARM_POOL); the whole contract runs on a"
                + " pooled group in AutoScalingWarmPoolContractIT";
    }

    @Override
    protected Endpoint reachable(Endpoint endpoint) {
        assertThat(endpoint.port()).as("endpoint port is the workload's port").isEqualTo(Moto.PORT);
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

    AwsTestProxy proxy() {
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
