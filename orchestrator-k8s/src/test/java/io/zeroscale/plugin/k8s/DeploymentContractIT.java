package io.zeroscale.plugin.k8s;

import io.zeroscale.spi.orchestrator.Workload;

/** The shared orchestrator contract for a Deployment, on the real control plane. */
class DeploymentContractIT extends KubernetesContract {
    @Override
    protected Workload create(String namespace, String name) {
        return ControlPlane.deployment(namespace, name);
    }
}
