package io.zeroscale.plugin.k8s;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.zeroscale.spi.PluginContext;
import io.zeroscale.spi.StandardErrorCode;
import io.zeroscale.spi.ZeroscaleException;
import io.zeroscale.spi.orchestrator.Orchestrator;
import io.zeroscale.spi.orchestrator.OrchestratorFactory;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Creates {@code kubernetes} orchestrators. Connecting is lazy: an API server that is down at
 * startup is reported by the first call that needs it, and the informers keep retrying.
 *
 * <p>fabric8's own retry of failed requests is switched off ({@code requestRetryBackoffLimit = 0}):
 * the engine already retries every orchestrator call with backoff, and a retry inside each call
 * would multiply the attempts and hide an unavailable API server for a long time. Informers' watch
 * reconnects stay fabric8's (they are the watch, not a call the engine retries).
 */
public final class KubernetesOrchestratorFactory implements OrchestratorFactory {
    /** The {@code type:} that selects this factory. */
    public static final String TYPE = "kubernetes";
    static final Path SERVICE_ACCOUNT = Path.of("/var/run/secrets/kubernetes.io/serviceaccount");

    @Override
    public String type() {
        return TYPE;
    }

    @Override
    public Orchestrator create(String name, io.zeroscale.spi.Config config, PluginContext context) {
        java.util.Set<String> allowed = new java.util.HashSet<>(KubernetesConfig.KEYS);
        allowed.add("gateway");
        config.requireOnlyKeys(allowed);
        Map<String, Object> clientKeys = new java.util.HashMap<>(config.asMap());
        clientKeys.remove("gateway");
        KubernetesConfig parsed = KubernetesConfig.parse(io.zeroscale.spi.Config.of(config.path(), clientKeys));
        Thread thread = Thread.currentThread();
        ClassLoader previous = thread.getContextClassLoader();
        // fabric8 finds its model classes and its HTTP client through the context class loader as
        // well as its own: when the daemon (or an application embedding the SDK) has fabric8 on its
        // own class path, the two copies mix ("KubernetesResource: APIGroup not a subtype"). While
        // the client is built (the only time fabric8 looks them up), the context is this plugin's.
        thread.setContextClassLoader(KubernetesOrchestratorFactory.class.getClassLoader());
        try {
            Config client = clientConfig(parsed, System.getenv(), SERVICE_ACCOUNT);
            String namespace = parsed.namespace() != null ? parsed.namespace()
                    : client.getNamespace() != null && !client.getNamespace().isBlank() ? client.getNamespace() : "default";
            DataPath.Gateway gateway = config.optionalChild("gateway")
                    .map(block -> DataPath.Gateway.parse(block, namespace)).orElse(null);
            KubernetesClient built = new KubernetesClientBuilder().withConfig(client).build();
            KubernetesOrchestrator orchestrator =
                    new KubernetesOrchestrator(name, built, namespace, PodOrder.load(context.dataDirectory()), context);
            orchestrator.writeEvents();
            orchestrator.bypassVia(gateway);
            return orchestrator;
        } finally {
            thread.setContextClassLoader(previous);
        }
    }

    /**
     * The fabric8 configuration for {@code parsed}: from the kubeconfig file, from the pod's service
     * account, or fabric8's own search; with the timeout applied and fabric8's retries off.
     */
    static Config clientConfig(KubernetesConfig parsed, Map<String, String> env, Path serviceAccount) {
        Config config;
        try {
            if (parsed.kubeconfig() != null) {
                config = Config.fromKubeconfig(parsed.context(), parsed.kubeconfig().toFile());
            } else if (parsed.inCluster()) {
                config = inCluster(env, serviceAccount);
            } else {
                config = Config.autoConfigure(parsed.context());
            }
        } catch (KubernetesClientException e) {
            throw new ZeroscaleException(StandardErrorCode.CONFIG_INVALID, "orchestrators: could not read the Kubernetes"
                    + " client configuration" + (parsed.kubeconfig() == null ? "" : " from " + parsed.kubeconfig())
                    + ": " + e.getMessage(), e);
        }
        int timeoutMillis = (int) Math.min(Integer.MAX_VALUE, parsed.timeout().toMillis());
        return new ConfigBuilder(config)
                .withRequestRetryBackoffLimit(0)
                .withRequestTimeout(timeoutMillis)
                .withConnectionTimeout(timeoutMillis)
                .build();
    }

    /** The pod's service account: token (read again on every request, it rotates), CA and namespace. */
    static Config inCluster(Map<String, String> env, Path serviceAccount) {
        String host = env.get("KUBERNETES_SERVICE_HOST");
        String port = env.getOrDefault("KUBERNETES_SERVICE_PORT", "443");
        Path token = serviceAccount.resolve("token");
        if (host == null || host.isBlank() || !Files.isReadable(token)) {
            throw new ZeroscaleException(StandardErrorCode.CONFIG_INVALID, "orchestrators: in-cluster: true, but this"
                    + " process does not run in a pod with a service account (KUBERNETES_SERVICE_HOST "
                    + (host == null ? "unset" : "set") + ", " + token + (Files.isReadable(token) ? " readable" : " missing")
                    + "); run the daemon in a pod with automountServiceAccountToken, or set kubeconfig: instead");
        }
        String hostPart = host.contains(":") ? "[" + host + "]" : host;
        ConfigBuilder builder = new ConfigBuilder(Config.empty())
                .withMasterUrl("https://" + hostPart + ":" + port)
                .withCaCertFile(serviceAccount.resolve("ca.crt").toString())
                .withOauthTokenProvider(() -> read(token));
        String namespace = readIfPresent(serviceAccount.resolve("namespace"));
        if (namespace != null) {
            builder.withNamespace(namespace.trim());
        }
        return builder.build();
    }

    private static String read(Path file) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8).trim();
        } catch (IOException e) {
            throw new UncheckedIOException("could not read the service account token " + file, e);
        }
    }

    private static @Nullable String readIfPresent(Path file) {
        return Files.isReadable(file) ? read(file) : null;
    }
}
