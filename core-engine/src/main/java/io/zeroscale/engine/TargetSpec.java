package io.zeroscale.engine;

import static java.util.Objects.requireNonNull;

import io.zeroscale.spi.Config;
import io.zeroscale.spi.TargetRef;
import io.zeroscale.spi.orchestrator.Workload;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * One scaled target: its name in config, the workload, and its policy.
 *
 * @param name the key under {@code targets:}
 * @param ref which workload, on which orchestrator
 * @param workload the orchestrator-specific {@code workload:} settings
 * @param policy the policy
 */
public record TargetSpec(String name, TargetRef ref, Config workload, PolicySpec policy) {
    public TargetSpec {
        requireNonNull(name, "name is null");
        requireNonNull(ref, "ref is null");
        requireNonNull(workload, "workload is null");
        requireNonNull(policy, "policy is null");
    }

    /** The keys of a {@code targets.<name>} node; {@code route} belongs to the gateway. */
    public static final Set<String> KEYS = Set.of("orchestrator", "workload", "route", "policy");

    /** The keys of {@code workload} that make the {@link TargetRef}; the rest go to the orchestrator. */
    public static final Set<String> REF_KEYS = Set.of("kind", "namespace", "name");

    /**
     * Reads a {@code targets.<name>} node. The workload's {@code name} defaults to the target's.
     *
     * @throws io.zeroscale.spi.ZeroscaleException naming the path and the fix
     */
    public static TargetSpec fromConfig(String name, Config target) {
        target.requireOnlyKeys(KEYS);
        String orchestrator = target.requireString("orchestrator");
        Config workload = target.requireChild("workload");
        TargetRef ref = new TargetRef(orchestrator, workload.requireString("kind"), workload.string("namespace").orElse(null),
                workload.string("name", name));
        Map<String, Object> settings = new LinkedHashMap<>(workload.asMap());
        settings.keySet().removeAll(REF_KEYS);
        PolicySpec policy = PolicySpec.fromConfig(target.child("policy"));
        return new TargetSpec(name, ref, Config.of(workload.path(), settings), policy);
    }

    public Workload toWorkload() {
        return new Workload(ref, workload);
    }
}
