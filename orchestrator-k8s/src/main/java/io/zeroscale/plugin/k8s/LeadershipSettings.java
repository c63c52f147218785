package io.zeroscale.plugin.k8s;

import io.zeroscale.spi.Config;
import io.zeroscale.spi.Durations;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/**
 * The {@code leadership:} block of type {@code kubernetes}: the client keys of an orchestrator
 * ({@code kubeconfig}, {@code context}, {@code in-cluster}, {@code namespace}, {@code timeout}) and the
 * Lease's.
 *
 * @param client how to reach the API server; its namespace is the Lease's
 * @param namespace the Lease's namespace
 * @param lease the Lease's name; every daemon replica over the same workloads names the same
 * @param identity this daemon's name in the Lease ({@code holderIdentity}); unique per replica
 * @param leaseDuration how long a Lease not renewed stays the holder's: the longest wait for a new
 *     leader after one died
 * @param renewDeadline how long the leader tries to renew before it stops leading (shorter than the
 *     lease duration, so it stops before another can take over)
 * @param retryPeriod how often the leader renews and the others try to take the Lease
 */
record LeadershipSettings(KubernetesConfig client, String namespace, String lease, String identity, Duration leaseDuration,
        Duration renewDeadline, Duration retryPeriod) {
    static final Set<String> LEASE_KEYS = Set.of("lease", "identity", "lease-duration", "renew-deadline", "retry-period");
    static final Duration LEASE_DURATION = Duration.ofSeconds(15);
    static final Duration RENEW_DEADLINE = Duration.ofSeconds(10);
    static final Duration RETRY_PERIOD = Duration.ofSeconds(2);
    /** fabric8 waits up to this factor of the retry period between attempts. */
    static final double JITTER = 1.2;

    /**
     * Reads the block strictly.
     *
     * @param defaultNamespace the namespace when the block names none (the kubeconfig context's or the pod's)
     * @param env the process's environment, for the default identity ({@code POD_NAME}, else {@code HOSTNAME})
     * @throws io.zeroscale.spi.ZeroscaleException {@code CONFIG_INVALID} naming the key and the fix
     */
    static LeadershipSettings parse(Config config, Map<String, String> env, DefaultNamespace defaultNamespace) {
        Set<String> allowed = new java.util.HashSet<>(KubernetesConfig.KEYS);
        allowed.addAll(LEASE_KEYS);
        config.requireOnlyKeys(allowed);
        Map<String, Object> clientKeys = new HashMap<>(config.asMap());
        clientKeys.keySet().removeAll(LEASE_KEYS);
        KubernetesConfig client = KubernetesConfig.parse(Config.of(config.path(), clientKeys));
        String lease = config.string("lease", "zeroscale").trim();
        if (!lease.matches("[a-z0-9]([-a-z0-9.]*[a-z0-9])?") || lease.length() > 253) {
            throw config.invalid("lease", "'" + lease + "' is not a Lease name (lower-case letters, digits, '-' and '.'),"
                    + " e.g. zeroscale");
        }
        String identity = config.string("identity").map(String::trim).orElseGet(() -> WorkloadEvents.instanceName(env));
        if (identity.isEmpty()) {
            throw config.invalid("identity", "is empty; name this replica uniquely (default: the pod's name from POD_NAME)");
        }
        Duration leaseDuration = config.duration("lease-duration", LEASE_DURATION);
        Duration renewDeadline = config.duration("renew-deadline", RENEW_DEADLINE);
        Duration retryPeriod = config.duration("retry-period", RETRY_PERIOD);
        if (retryPeriod.isZero() || retryPeriod.isNegative()) {
            throw config.invalid("retry-period", "must be longer than 0s, e.g. 2s");
        }
        if (renewDeadline.toMillis() <= retryPeriod.toMillis() * JITTER) {
            throw config.invalid("renew-deadline", "(" + Durations.format(renewDeadline) + ") must be longer than "
                    + JITTER + " x retry-period (" + Durations.format(retryPeriod) + "), e.g. 10s with 2s");
        }
        if (leaseDuration.compareTo(renewDeadline) <= 0) {
            throw config.invalid("lease-duration", "(" + Durations.format(leaseDuration) + ") must be longer than"
                    + " renew-deadline (" + Durations.format(renewDeadline) + "), e.g. 15s with 10s: the leader must stop"
                    + " before another may take over");
        }
        String namespace = client.namespace() != null ? client.namespace() : defaultNamespace.of(client);
        return new LeadershipSettings(client, namespace, lease, identity, leaseDuration, renewDeadline, retryPeriod);
    }

    /** The namespace from the client configuration when the block names none. */
    @FunctionalInterface
    interface DefaultNamespace {
        /** The namespace for a client built from {@code client}. */
        String of(KubernetesConfig client);
    }
}
