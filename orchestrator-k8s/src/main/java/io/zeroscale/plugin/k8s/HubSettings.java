package io.zeroscale.plugin.k8s;

import io.zeroscale.spi.Config;
import io.zeroscale.spi.orchestrator.Endpoint;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The {@code traffic.hub:} block of type {@code kubernetes}: the client keys of an orchestrator
 * ({@code kubeconfig}, {@code context}, {@code in-cluster}, {@code namespace}, {@code timeout}) and the
 * replica channel's.
 *
 * @param client how to reach the API server; its namespace is the Lease's
 * @param namespace the Lease's namespace (the same as {@code leadership:}'s)
 * @param lease the Lease's name (the same as {@code leadership:}'s)
 * @param identity this daemon's identity in the Lease (the same as {@code leadership:}'s)
 * @param listen where this replica's channel listens for the other replicas
 * @param tokenFile this replica's ServiceAccount token, read again for every connection (it rotates)
 * @param callers the ServiceAccount user names allowed to report ({@code system:serviceaccount:<ns>:<name>});
 *     empty: any ServiceAccount of the Lease's namespace
 */
record HubSettings(KubernetesConfig client, String namespace, String lease, String identity, Endpoint listen, Path tokenFile,
        List<String> callers) {
    static final Set<String> HUB_KEYS = Set.of("lease", "identity", "listen", "token-file", "callers");
    static final int DEFAULT_PORT = 7946;

    /** True when {@code user} (a TokenReview's user name) may use the channel. */
    boolean allows(String user) {
        return callers.isEmpty() ? user.startsWith("system:serviceaccount:" + namespace + ":") : callers.contains(user);
    }

    /**
     * Reads the block strictly.
     *
     * @throws io.zeroscale.spi.ZeroscaleException {@code CONFIG_INVALID} naming the key and the fix
     */
    static HubSettings parse(Config config, Map<String, String> env, LeadershipSettings.DefaultNamespace defaultNamespace) {
        Set<String> allowed = new HashSet<>(KubernetesConfig.KEYS);
        allowed.addAll(HUB_KEYS);
        config.requireOnlyKeys(allowed);
        Map<String, Object> clientKeys = new HashMap<>(config.asMap());
        clientKeys.keySet().removeAll(HUB_KEYS);
        KubernetesConfig client = KubernetesConfig.parse(Config.of(config.path(), clientKeys));
        String lease = config.string("lease", "zeroscale").trim();
        if (!lease.matches("[a-z0-9]([-a-z0-9.]*[a-z0-9])?") || lease.length() > 253) {
            throw config.invalid("lease", "'" + lease + "' is not a Lease name (lower-case letters, digits, '-' and '.'),"
                    + " e.g. zeroscale; the same as leadership.lease");
        }
        String identity = config.string("identity").map(String::trim).orElseGet(() -> WorkloadEvents.instanceName(env));
        if (identity.isEmpty()) {
            throw config.invalid("identity", "is empty; use leadership.identity (default: the pod's name from POD_NAME)");
        }
        String listenText = config.string("listen", "0.0.0.0:" + DEFAULT_PORT).trim();
        Endpoint listen;
        try {
            listen = Endpoint.parse(listenText);
        } catch (IllegalArgumentException e) {
            throw config.invalid("listen", "'" + listenText + "' is not host:port, e.g. 0.0.0.0:" + DEFAULT_PORT);
        }
        Path tokenFile = Path.of(config.string("token-file",
                KubernetesOrchestratorFactory.SERVICE_ACCOUNT.resolve("token").toString()).replaceFirst("^~/",
                System.getProperty("user.home") + "/"));
        List<String> callers = config.has("callers") ? config.stringList("callers") : List.of();
        for (String caller : callers) {
            if (!caller.matches("system:serviceaccount:[a-z0-9.-]+:[a-z0-9.-]+")) {
                throw config.invalid("callers", "'" + caller + "' is not a ServiceAccount user name,"
                        + " e.g. system:serviceaccount:zeroscale:zeroscale");
            }
        }
        String namespace = client.namespace() != null ? client.namespace() : defaultNamespace.of(client);
        return new HubSettings(client, namespace, lease, identity, listen, tokenFile, List.copyOf(callers));
    }

    /**
     * Where the channel of the daemon named {@code holder} in the Lease listens: an identity
     * {@code name@host:port} names it; otherwise the identity is a pod's name (the default,
     * {@code POD_NAME}), and the channel is at that pod's IP and this daemon's listen port.
     *
     * @return the address, or null when the identity names none (the caller resolves the pod)
     */
    static @org.jspecify.annotations.Nullable Endpoint addressIn(String holder) {
        int at = holder.lastIndexOf('@');
        if (at < 0) {
            return null;
        }
        try {
            return Endpoint.parse(holder.substring(at + 1));
        } catch (IllegalArgumentException e) {
            return null;
        }
    }
}
