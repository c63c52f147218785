package io.zeroscale.plugin.k8s;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.zeroscale.spi.PluginContext;
import io.zeroscale.spi.traffic.TrafficHub;
import io.zeroscale.spi.traffic.TrafficHubFactory;

/**
 * {@code traffic.hub: { type: kubernetes, ... }}: the replica channel between daemon replicas that
 * share a {@code leadership: {type: kubernetes}} Lease (see {@link KubernetesTrafficHub}, keys in
 * {@link HubSettings}).
 */
public final class KubernetesTrafficHubFactory implements TrafficHubFactory {
    @Override
    public String type() {
        return KubernetesOrchestratorFactory.TYPE;
    }

    @Override
    public TrafficHub create(io.zeroscale.spi.Config config, PluginContext context, TrafficHub local) {
        Thread thread = Thread.currentThread();
        ClassLoader previous = thread.getContextClassLoader();
        // As for the orchestrator: fabric8 looks its classes up through the context class loader.
        thread.setContextClassLoader(KubernetesTrafficHubFactory.class.getClassLoader());
        try {
            HubSettings settings = HubSettings.parse(config, System.getenv(), client -> {
                String namespace = clientConfig(client).getNamespace();
                return namespace == null || namespace.isBlank() ? "default" : namespace;
            });
            KubernetesClient client = new KubernetesClientBuilder().withConfig(clientConfig(settings.client())).build();
            KubernetesTrafficHub hub = new KubernetesTrafficHub(settings, local, client,
                    new TokenReviews(client, context.scheduler().clock()), context.scheduler().clock());
            try {
                hub.start();
            } catch (RuntimeException e) {
                hub.close();
                throw e;
            }
            return hub;
        } finally {
            thread.setContextClassLoader(previous);
        }
    }

    private static Config clientConfig(KubernetesConfig client) {
        return KubernetesOrchestratorFactory.clientConfig(client, System.getenv(), KubernetesOrchestratorFactory.SERVICE_ACCOUNT);
    }
}
