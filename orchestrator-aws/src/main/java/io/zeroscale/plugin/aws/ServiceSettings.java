package io.zeroscale.plugin.aws;

import io.zeroscale.spi.Config;
import io.zeroscale.spi.TargetRef;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * The {@code workload:} settings of one ECS service target, checked strictly at attach.
 *
 * @param target the target; its name is the service's name, its namespace the cluster's
 * @param settings the config node they came from, for error messages naming a key
 * @param port the port the service's containers listen on (endpoints are the tasks' private IPs and this port)
 * @param readiness an HTTP probe a RUNNING task must also pass, or null for RUNNING alone
 */
record ServiceSettings(TargetRef target, Config settings, int port, GroupSettings.@Nullable Readiness readiness) {
    static final String KIND = "Service";
    /** The cluster ECS uses when none is named. */
    static final String DEFAULT_CLUSTER = "default";
    /** Keys of {@code targets.<name>.workload}. */
    static final Set<String> KEYS = Set.of("kind", "namespace", "name", "port", "readiness");

    /** The service's name in ECS. */
    String serviceName() {
        return target.name();
    }

    /** The cluster's name (the target's namespace), {@value #DEFAULT_CLUSTER} when none is set. */
    String cluster() {
        String namespace = target.namespace();
        return namespace == null ? DEFAULT_CLUSTER : namespace;
    }

    /**
     * Reads and checks the settings of {@code target}.
     *
     * @throws io.zeroscale.spi.ZeroscaleException {@code CONFIG_INVALID} naming the bad key
     */
    static ServiceSettings parse(TargetRef target, Config settings) {
        settings.requireOnlyKeys(KEYS);
        if (!KIND.equals(target.kind())) {
            throw settings.invalid("kind", "'" + target.kind() + "' is not a kind of the aws-ecs orchestrator; use " + KIND);
        }
        // ECS names: up to 255 letters, digits, hyphens and underscores.
        if (!target.name().matches("[A-Za-z0-9_-]{1,255}")) {
            throw settings.invalid("name", "'" + target.name() + "' is not an ECS service name (1-255 letters, digits, '-' or '_')");
        }
        String namespace = target.namespace();
        if (namespace != null && !namespace.matches("[A-Za-z0-9_-]{1,255}")) {
            throw settings.invalid("namespace", "'" + namespace + "' is not an ECS cluster name (1-255 letters, digits, '-' or '_')");
        }
        int port = settings.requireInteger("port");
        if (port < 1 || port > 65535) {
            throw settings.invalid("port", "must be 1..65535, got " + port);
        }
        return new ServiceSettings(target, settings, port, GroupSettings.readiness(settings));
    }
}
