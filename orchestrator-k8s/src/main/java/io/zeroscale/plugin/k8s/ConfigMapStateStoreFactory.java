package io.zeroscale.plugin.k8s;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.zeroscale.spi.Config;
import io.zeroscale.spi.PluginContext;
import io.zeroscale.spi.state.StateStore;
import io.zeroscale.spi.state.StateStoreFactory;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * {@code state-store: { type: kubernetes, ... }}: the engine's state in ConfigMaps (see {@link
 * ConfigMapStateStore}). Keys: the client keys of an orchestrator ({@code kubeconfig},
 * {@code context}, {@code in-cluster}, {@code namespace} for the ConfigMaps, {@code timeout}) and
 * {@code name} (default {@code zeroscale}), which tells the ConfigMaps of daemons that share a
 * namespace but not their targets apart; every replica of one daemon names the same.
 */
public final class ConfigMapStateStoreFactory implements StateStoreFactory {
    @Override
    public String type() {
        return KubernetesOrchestratorFactory.TYPE;
    }

    @Override
    public StateStore create(Config config, PluginContext context) {
        Set<String> allowed = new HashSet<>(KubernetesConfig.KEYS);
        allowed.add("name");
        config.requireOnlyKeys(allowed);
        String name = config.string("name", "zeroscale").trim();
        if (!name.matches("[a-z0-9]([-a-z0-9]*[a-z0-9])?") || name.length() > 63) {
            throw config.invalid("name", "'" + name + "' is not a store name (lower-case letters, digits and '-' between them,"
                    + " at most 63: it starts the ConfigMaps' names and is their label's value), e.g. zeroscale");
        }
        Map<String, Object> clientKeys = new HashMap<>(config.asMap());
        clientKeys.remove("name");
        KubernetesConfig parsed = KubernetesConfig.parse(Config.of(config.path(), clientKeys));
        Thread thread = Thread.currentThread();
        ClassLoader previous = thread.getContextClassLoader();
        // As for the orchestrator: fabric8 looks its classes up through the context class loader.
        thread.setContextClassLoader(ConfigMapStateStoreFactory.class.getClassLoader());
        try {
            io.fabric8.kubernetes.client.Config clientConfig = KubernetesOrchestratorFactory.clientConfig(parsed, System.getenv(),
                    KubernetesOrchestratorFactory.SERVICE_ACCOUNT);
            String namespace = parsed.namespace() != null ? parsed.namespace()
                    : clientConfig.getNamespace() == null || clientConfig.getNamespace().isBlank() ? "default" : clientConfig.getNamespace();
            KubernetesClient client = new KubernetesClientBuilder().withConfig(clientConfig).build();
            return new ConfigMapStateStore(client, namespace, name);
        } finally {
            thread.setContextClassLoader(previous);
        }
    }
}
