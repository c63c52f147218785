package io.zeroscale.plugin.k8s;

import static org.awaitility.Awaitility.await;

import io.zeroscale.spi.orchestrator.Orchestrator;
import io.zeroscale.spi.orchestrator.Workload;
import io.zeroscale.testkit.EndpointsContract;
import io.zeroscale.testkit.TestPluginContext;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;

/**
 * The shared orchestrator contract for a StatefulSet (pods started in parallel, a headless Service with a named port), on the real control plane: each replica is a
 * real process on its pod's IP (see {@link ControlPlane}) that the contract sends HTTP to.
 */
class StatefulSetContractIT extends EndpointsContract {
    private static String namespace;
    @TempDir
    static Path data;
    private static TestPluginContext context;

    @BeforeAll
    static void controlPlane() {
        namespace = ControlPlane.namespace("contract-sts");
        context = TestPluginContext.realTime(data);
    }

    @AfterAll
    static void closeContext() {
        if (context != null) {
            context.close();
        }
    }

    @Override
    protected Orchestrator newOrchestrator() {
        return ControlPlane.orchestrator(context, Map.of());
    }

    @Override
    protected Workload newWorkload() {
        return ControlPlane.statefulSet(namespace, ControlPlane.uniqueName("web"));
    }

    @Override
    protected Duration readinessTimeout() {
        // The machine is shared and slow; a pod is ready in well under a second when it is idle.
        return Duration.ofSeconds(60);
    }

    @Override
    protected void tearDownBackend() {
        // The contract scaled to zero and saw no replica left: the pods' processes must be gone too.
        await("the pod processes of " + target() + " stopped").atMost(Duration.ofSeconds(60))
                .until(() -> ControlPlane.peer().podNetwork().running().stream()
                        .noneMatch(p -> p.namespace().equals(namespace) && p.name().startsWith(target().name() + "-")));
    }
}
