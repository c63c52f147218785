package io.zeroscale.plugin.k8s;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.zeroscale.spi.Leadership;
import io.zeroscale.spi.LeadershipFactory;
import io.zeroscale.spi.PluginContext;

/**
 * {@code leadership: { type: kubernetes, ... }}: a Lease decides which daemon replica actuates
 * (see {@link KubernetesLeadership}, keys in {@link LeadershipSettings}).
 */
public final class KubernetesLeadershipFactory implements LeadershipFactory {
    @Override
    public String type() {
        return KubernetesOrchestratorFactory.TYPE;
    }

    @Override
    public Leadership create(io.zeroscale.spi.Config config, PluginContext context) {
        Thread thread = Thread.currentThread();
        ClassLoader previous = thread.getContextClassLoader();
        // As for the orchestrator: fabric8 looks its classes up through the context class loader.
        thread.setContextClassLoader(KubernetesLeadershipFactory.class.getClassLoader());
        try {
            LeadershipSettings settings = LeadershipSettings.parse(config, System.getenv(), client -> {
                String namespace = clientConfig(client).getNamespace();
                return namespace == null || namespace.isBlank() ? "default" : namespace;
            });
            Config clientConfig = clientConfig(settings.client());
            KubernetesClient client = new KubernetesClientBuilder().withConfig(clientConfig).build();
            KubernetesLeadership leadership = new KubernetesLeadership(client, settings, context.blockingExecutor(),
                    context.scheduler().clock());
            leadership.start();
            return leadership;
        } finally {
            thread.setContextClassLoader(previous);
        }
    }

    private static Config clientConfig(KubernetesConfig client) {
        return KubernetesOrchestratorFactory.clientConfig(client, System.getenv(), KubernetesOrchestratorFactory.SERVICE_ACCOUNT);
    }
}
