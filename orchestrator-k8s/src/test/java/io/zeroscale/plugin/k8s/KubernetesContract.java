package io.zeroscale.plugin.k8s;

import static org.awaitility.Awaitility.await;

import io.zeroscale.spi.orchestrator.Orchestrator;
import io.zeroscale.spi.orchestrator.Workload;
import io.zeroscale.testkit.EndpointsContract;
import io.zeroscale.testkit.TestPluginContext;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.io.TempDir;

/**
 * The shared orchestrator contract on the real control plane, for one workload kind: each replica
 * is a real process on its pod's IP (see {@link ControlPlane}) that the contract sends HTTP to.
 * Each test gets a namespace and a data directory of its own; the orchestrators of one test (the
 * restart cases make several) share the directory, as a restarted daemon would.
 */
abstract class KubernetesContract extends EndpointsContract {
    @TempDir
    Path data;
    private TestPluginContext context;
    private String namespace;

    /** Creates the workload {@code name} in {@code namespace} at 0 replicas, with a Service in front of it. */
    protected abstract Workload create(String namespace, String name);

    @Override
    protected void setUpBackend() {
        namespace = ControlPlane.namespace("contract");
        context = TestPluginContext.realTime(data);
    }

    @Override
    protected Orchestrator newOrchestrator() {
        return ControlPlane.orchestrator(context, Map.of());
    }

    @Override
    protected Workload newWorkload() {
        return create(namespace, ControlPlane.uniqueName("web"));
    }

    @Override
    protected Duration readinessTimeout() {
        // The machine is shared and slow; a pod is ready in well under a second when it is idle.
        return Duration.ofSeconds(60);
    }

    @Override
    protected void tearDownBackend() {
        try {
            // The contract scaled to zero and saw no replica left: the pods' processes must be gone too.
            await("the pod processes of " + target() + " stopped").atMost(Duration.ofSeconds(60))
                    .until(() -> ControlPlane.peer().podNetwork().running().stream()
                            .noneMatch(p -> p.namespace().equals(namespace) && p.name().startsWith(target().name() + "-")));
        } finally {
            context.close();
        }
    }
}
