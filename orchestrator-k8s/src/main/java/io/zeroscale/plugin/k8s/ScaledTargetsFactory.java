package io.zeroscale.plugin.k8s;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.zeroscale.spi.Config;
import io.zeroscale.spi.PluginContext;
import io.zeroscale.spi.targets.TargetSource;
import io.zeroscale.spi.targets.TargetSourceFactory;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The {@code kubernetes} target source ({@code target-sources.<name>}): {@code ScaledTarget}
 * custom resources as targets. Keys: {@code orchestrator} (the orchestrator a resource's target
 * uses unless its {@code spec.orchestrator} names one), {@code namespace} (the one namespace
 * watched; absent: every namespace), and the connection keys of the {@code kubernetes}
 * orchestrator ({@code kubeconfig}, {@code context}, {@code in-cluster}, {@code timeout}).
 */
public final class ScaledTargetsFactory implements TargetSourceFactory {
    @Override
    public String type() {
        return KubernetesOrchestratorFactory.TYPE;
    }

    @Override
    public TargetSource create(String name, Config config, PluginContext context) {
        Map<String, Object> connection = new LinkedHashMap<>(config.asMap());
        connection.remove("orchestrator");
        KubernetesConfig parsed = KubernetesConfig.parse(Config.of(config.path(), connection));
        String orchestrator = config.string("orchestrator").map(String::trim).orElse(null);
        if (orchestrator != null && orchestrator.isEmpty()) {
            throw config.invalid("orchestrator", "is empty; name an orchestrator under orchestrators:, or leave the key out and"
                    + " give each ScaledTarget its spec.orchestrator");
        }
        Thread thread = Thread.currentThread();
        ClassLoader previous = thread.getContextClassLoader();
        // As in KubernetesOrchestratorFactory: fabric8 looks its classes up through the context loader.
        thread.setContextClassLoader(ScaledTargetsFactory.class.getClassLoader());
        try {
            KubernetesClient client = new KubernetesClientBuilder().withConfig(KubernetesOrchestratorFactory.clientConfig(parsed,
                    System.getenv(), KubernetesOrchestratorFactory.SERVICE_ACCOUNT)).build();
            return new ScaledTargets(name, client, parsed.namespace(), orchestrator, context);
        } finally {
            thread.setContextClassLoader(previous);
        }
    }
}
