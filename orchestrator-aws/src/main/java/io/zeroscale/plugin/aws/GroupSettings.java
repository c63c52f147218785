package io.zeroscale.plugin.aws;

import io.zeroscale.spi.Config;
import io.zeroscale.spi.TargetRef;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * The {@code workload:} settings of one Auto Scaling group target, checked strictly at attach.
 *
 * @param target the target; its name is the group's name
 * @param settings the config node they came from, for error messages naming a key
 * @param port the port the group's instances serve on (endpoints are private IP and this port)
 * @param lowerMinSize whether a scale to zero may lower the group's MinSize to 0 (restored later)
 * @param readiness an HTTP probe an InService instance must also pass, or null for InService alone
 * @param targetGroupArn the ELBv2 target group an InService instance must also be {@code healthy} in, or null
 */
record GroupSettings(TargetRef target, Config settings, int port, boolean lowerMinSize, @Nullable Readiness readiness,
        @Nullable String targetGroupArn) {
    static final String KIND = "AutoScalingGroup";
    /** Keys of {@code targets.<name>.workload} besides the engine's {@code kind} and {@code name}. */
    static final Set<String> KEYS = Set.of("kind", "name", "port", "lower-min-size", "readiness", "target-group-arn");
    /** An ELBv2 target group's ARN: {@code arn:<partition>:elasticloadbalancing:<region>:<account>:targetgroup/<name>/<id>}. */
    private static final Pattern TARGET_GROUP_ARN =
            Pattern.compile("arn:aws[a-z-]*:elasticloadbalancing:[a-z0-9-]+:\\d{12}:targetgroup/[A-Za-z0-9-]{1,32}/[0-9a-f]+");
    static final Duration DEFAULT_PROBE_TIMEOUT = Duration.ofSeconds(1);

    /**
     * An HTTP GET each InService instance (or RUNNING task) must answer with 2xx/3xx before it counts as ready.
     *
     * @param path the path, starting with {@code /}
     * @param timeout limit for one probe
     */
    record Readiness(String path, Duration timeout) {}

    /** The group's name in AWS. */
    String groupName() {
        return target.name();
    }

    /**
     * Reads and checks the settings of {@code target}.
     *
     * @throws io.zeroscale.spi.ZeroscaleException {@code CONFIG_INVALID} naming the bad key
     */
    static GroupSettings parse(TargetRef target, Config settings) {
        settings.requireOnlyKeys(KEYS);
        if (!KIND.equals(target.kind())) {
            throw settings.invalid("kind", "'" + target.kind() + "' is not a kind of the aws-autoscaling orchestrator; use " + KIND);
        }
        if (target.namespace() != null) {
            throw settings.invalid("namespace", "Auto Scaling groups have no namespace; remove it (the region is set on the orchestrator)");
        }
        if (!target.name().matches("[\\x20-\\x7e]{1,255}") || target.name().contains(":")) {
            throw settings.invalid("name", "'" + target.name() + "' is not an Auto Scaling group name (1-255 printable characters, no ':')");
        }
        int port = settings.requireInteger("port");
        if (port < 1 || port > 65535) {
            throw settings.invalid("port", "must be 1..65535, got " + port);
        }
        boolean lowerMinSize = settings.bool("lower-min-size", false);
        Readiness readiness = readiness(settings);
        String targetGroupArn = settings.string("target-group-arn").orElse(null);
        if (targetGroupArn != null && !TARGET_GROUP_ARN.matcher(targetGroupArn).matches()) {
            throw settings.invalid("target-group-arn", "'" + targetGroupArn + "' is not an ELBv2 target group ARN; use the group's"
                    + " TargetGroupArn, e.g. arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web/0123456789abcdef");
        }
        return new GroupSettings(target, settings, port, lowerMinSize, readiness, targetGroupArn);
    }

    /** The optional {@code readiness:} node of a workload (shared by the Auto Scaling group and ECS targets). */
    static @Nullable Readiness readiness(Config settings) {
        Optional<Config> probe = settings.optionalChild("readiness");
        if (probe.isEmpty()) {
            return null;
        }
        Config node = probe.get();
        node.requireOnlyKeys(Set.of("http", "timeout"));
        String path = node.requireString("http");
        if (!path.startsWith("/")) {
            throw node.invalid("http", "'" + path + "' must start with '/', e.g. /health");
        }
        Duration timeout = node.duration("timeout", DEFAULT_PROBE_TIMEOUT);
        if (timeout.isZero()) {
            throw node.invalid("timeout", "must be more than 0");
        }
        return new Readiness(path, timeout);
    }
}
