package io.zeroscale.engine;

import static java.util.Objects.requireNonNull;

import io.zeroscale.spi.Config;
import io.zeroscale.spi.ConfigProblems;
import io.zeroscale.spi.TargetRef;
import io.zeroscale.spi.orchestrator.Workload;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
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
     * @throws io.zeroscale.spi.ZeroscaleException naming every problem's path and fix
     */
    public static TargetSpec fromConfig(String name, Config target) {
        ConfigProblems problems = new ConfigProblems();
        Optional<TargetSpec> spec = fromConfig(name, target, problems);
        problems.throwIfAny();
        return spec.orElseThrow();
    }

    /**
     * Reads a {@code targets.<name>} node, recording every problem in {@code problems}.
     *
     * @return the target when its orchestrator and workload could be read, even if its policy has
     *     problems (so the automaton still checks the rest of it); empty otherwise
     */
    public static Optional<TargetSpec> fromConfig(String name, Config target, ConfigProblems problems) {
        problems.attempt(() -> target.requireOnlyKeys(KEYS));
        Optional<String> orchestrator = problems.attempt(() -> target.requireString("orchestrator"));
        Optional<TargetRef> ref = problems.attempt(() -> {
            Config workload = target.requireChild("workload");
            return new TargetRef(orchestrator.orElse("?"), workload.requireString("kind"), workload.string("namespace").orElse(null),
                    workload.string("name", name));
        });
        PolicySpec policy = PolicySpec.fromConfig(target.child("policy"), problems);
        if (orchestrator.isEmpty() || ref.isEmpty()) {
            return Optional.empty();
        }
        Config workload = target.requireChild("workload");
        Map<String, Object> settings = new LinkedHashMap<>(workload.asMap());
        settings.keySet().removeAll(REF_KEYS);
        return Optional.of(new TargetSpec(name, ref.get(), Config.of(workload.path(), settings), policy));
    }

    public Workload toWorkload() {
        return new Workload(ref, workload);
    }
}
