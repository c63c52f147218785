package io.zeroscale.plugin.k8s;

import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Quantity;
import io.zeroscale.spi.Config;
import io.zeroscale.spi.TargetRef;
import io.zeroscale.spi.orchestrator.Endpoint;
import io.zeroscale.spi.orchestrator.Orchestrator;
import io.zeroscale.spi.orchestrator.ResourceProfile;
import io.zeroscale.spi.orchestrator.Workload;
import io.zeroscale.testkit.EndpointsContract;
import io.zeroscale.testkit.FreePorts;
import io.zeroscale.testkit.TestPluginContext;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;
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

    /** A Service port number out of range: refused when the settings are read, before any API call. */
    @Override
    protected BadWorkload badWorkload() {
        String name = ControlPlane.uniqueName("bad");
        return new BadWorkload(new Workload(new TargetRef(ControlPlane.ORCHESTRATOR, target().kind(), namespace, name),
                Config.of("targets." + name + ".workload", Map.of("port", 70000))), "port");
    }

    /**
     * Configured like {@link #newOrchestrator()} but with the API server at a loopback port nothing
     * listens on (with a short timeout, so each call fails fast).
     */
    @Override
    protected Orchestrator newOrchestratorWithBackendDown() {
        return ControlPlane.orchestrator(context, Map.of("timeout", "2s"), URI.create("https://127.0.0.1:" + FreePorts.next()));
    }

    /** Below one millicore, the least CPU Kubernetes can request: refused rather than raised to 1m. */
    @Override
    protected BadProfile badProfile() {
        return new BadProfile(new ResourceProfile("sliver", 0.0004, null, null), "cpus");
    }

    /**
     * The resources of the pod at {@code endpoint}'s IP as the API server has its container: CPUs
     * and memory from the limits, which must equal the requests where both are set (the plugin
     * writes them alike). Null while no running pod has that IP (a rollout replaced it).
     */
    @Override
    protected @Nullable ResourceProfile resourcesOf(Endpoint endpoint) {
        List<Pod> pods = ControlPlane.client().pods().inNamespace(target().namespace()).list().getItems().stream()
                .filter(p -> p.getMetadata().getDeletionTimestamp() == null)
                .filter(p -> p.getStatus() != null && endpoint.host().equals(p.getStatus().getPodIP()))
                .toList();
        if (pods.size() != 1) {
            return null;
        }
        Pod pod = pods.get(0);
        Container container = pod.getSpec().getContainers().get(0);
        Map<String, Quantity> requests = container.getResources() == null || container.getResources().getRequests() == null
                ? Map.of() : container.getResources().getRequests();
        Map<String, Quantity> limits = container.getResources() == null || container.getResources().getLimits() == null
                ? Map.of() : container.getResources().getLimits();
        for (String resource : List.of("cpu", "memory")) {
            if (requests.containsKey(resource) && limits.containsKey(resource)
                    && requests.get(resource).getNumericalAmount().compareTo(limits.get(resource).getNumericalAmount()) != 0) {
                throw new AssertionError("pod " + pod.getMetadata().getName() + " requests " + resource + " "
                        + requests.get(resource) + " but is limited to " + limits.get(resource));
            }
        }
        Quantity cpu = limits.get("cpu");
        Quantity memory = limits.get("memory");
        return new ResourceProfile("pod",
                cpu == null ? null : cpu.getNumericalAmount().doubleValue(),
                memory == null ? null : memory.getNumericalAmount().longValueExact(), null);
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
