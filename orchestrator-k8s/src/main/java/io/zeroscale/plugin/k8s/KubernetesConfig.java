package io.zeroscale.plugin.k8s;

import static java.util.Objects.requireNonNull;

import io.zeroscale.spi.Config;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * Settings of one {@code kubernetes} orchestrator instance (the keys under {@code
 * orchestrators.NAME}).
 *
 * @param kubeconfig the kubeconfig file to use, or null for fabric8's own search ({@code
 *     $KUBECONFIG}, {@code ~/.kube/config}, then the pod's service account)
 * @param context the kubeconfig context, or null for its {@code current-context}
 * @param inCluster true to use the pod's service account (token, CA and {@code
 *     KUBERNETES_SERVICE_HOST}) and never a kubeconfig
 * @param namespace the namespace of targets that name none, or null for the kubeconfig context's
 *     (else {@code default})
 * @param timeout how long one API call may take before the API server counts as unavailable
 */
public record KubernetesConfig(
        @Nullable Path kubeconfig, @Nullable String context, boolean inCluster, @Nullable String namespace,
        Duration timeout) {
    static final Set<String> KEYS = Set.of("type", "kubeconfig", "context", "in-cluster", "namespace", "timeout");
    static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(10);

    public KubernetesConfig {
        requireNonNull(timeout, "timeout is null");
    }

    /**
     * Reads an orchestrator's config strictly.
     *
     * @throws io.zeroscale.spi.ZeroscaleException {@code CONFIG_INVALID} naming the key and the fix
     */
    public static KubernetesConfig parse(Config config) {
        config.requireOnlyKeys(KEYS);
        boolean inCluster = config.bool("in-cluster", false);
        Path kubeconfig = null;
        if (config.has("kubeconfig")) {
            String raw = config.requireString("kubeconfig").trim();
            if (raw.isEmpty()) {
                throw config.invalid("kubeconfig", "is empty; give the path of a kubeconfig file, e.g. ~/.kube/config,"
                        + " or leave the key out");
            }
            kubeconfig = Path.of(raw.startsWith("~/") ? System.getProperty("user.home") + raw.substring(1) : raw);
            if (!Files.isRegularFile(kubeconfig)) {
                throw config.invalid("kubeconfig", "'" + kubeconfig + "' is not a readable file; give the path of a"
                        + " kubeconfig (kubectl config view --raw > FILE writes one)");
            }
        }
        if (inCluster && kubeconfig != null) {
            throw config.invalid("in-cluster", "set either in-cluster: true (the pod's service account) or kubeconfig:"
                    + " (a file), not both");
        }
        String context = config.string("context").map(String::trim).orElse(null);
        if (context != null && (context.isEmpty() || inCluster)) {
            throw config.invalid("context", inCluster ? "names a kubeconfig context, but in-cluster: true uses no"
                    + " kubeconfig; remove one of them" : "is empty; name a context of the kubeconfig or leave it out");
        }
        String namespace = config.string("namespace").map(String::trim).orElse(null);
        if (namespace != null && !validName(namespace)) {
            throw config.invalid("namespace", "'" + namespace + "' is not a namespace name (lower-case letters,"
                    + " digits and '-', at most 63)");
        }
        Duration timeout = config.duration("timeout", DEFAULT_TIMEOUT);
        if (timeout.compareTo(Duration.ofMillis(100)) < 0) {
            throw config.invalid("timeout", "must be at least 100ms, e.g. 10s");
        }
        return new KubernetesConfig(kubeconfig, context, inCluster, namespace, timeout);
    }

    static boolean validName(String name) {
        return name.length() <= 63 && name.matches("[a-z0-9]([-a-z0-9]*[a-z0-9])?");
    }
}
