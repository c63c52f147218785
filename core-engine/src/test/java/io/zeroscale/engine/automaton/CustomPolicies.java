package io.zeroscale.engine.automaton;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.zeroscale.spi.Config;
import io.zeroscale.spi.PluginContext;
import io.zeroscale.spi.Scheduler;
import io.zeroscale.spi.TargetRef;
import io.zeroscale.spi.automaton.Automaton;
import io.zeroscale.spi.automaton.AutomatonSpec;
import io.zeroscale.spi.automaton.ReplicaBounds;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executor;

/** Builds custom automata from YAML text, as the daemon would from its config file. */
final class CustomPolicies {
    static final String PATH = "targets.x.policy";

    /** The example of docs/custom-automata.md. */
    static final String EXAMPLE = """
            initial: idle
            states:
              idle: { replicas: "0" }
              warm: { replicas: "1", profile: { name: small, cpus: 0.5, memory: 512Mi } }
              busy: { replicas: "int(math.ceil(signals.rps / 10.0))" }
            transitions:
              - { from: idle, to: warm, when: "requests.held > 0 || signals.rps > 0.5" }
              - { from: warm, to: busy, when: "signals.rps > 20.0", for: 30s }
              - { from: busy, to: warm, when: "signals.rps < 5.0", for: 2m, actions: [ { alert: "load dropped", severity: info } ] }
              - { from: warm, to: idle, when: "requests.inflight == 0", for: 5m }
              - { from: "*", to: idle, after: 1h }
            """;

    /** For factories: building an automaton must touch nothing of the engine. */
    static final PluginContext NO_CONTEXT = new NoContext();

    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    private static final TargetRef TARGET = TargetRef.of("test", "Process", "app");

    private CustomPolicies() {}

    static Config yaml(String text) {
        try {
            return Config.of(PATH, YAML.readValue(text, new TypeReference<Map<String, Object>>() {}));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Automaton create(String yaml, Set<String> signals, ReplicaBounds bounds) {
        return new CustomAutomatonFactory()
                .create(new AutomatonSpec(TARGET, bounds, signals, yaml(yaml)), NO_CONTEXT);
    }

    static Automaton create(String yaml, Set<String> signals) {
        return create(yaml, signals, new ReplicaBounds(0, 10));
    }

    private static final class NoContext implements PluginContext {
        @Override
        public Scheduler scheduler() {
            throw new AssertionError("a custom automaton must take time from its TargetContext");
        }

        @Override
        public Executor blockingExecutor() {
            throw new AssertionError("a custom automaton must not block");
        }

        @Override
        public Path dataDirectory() {
            throw new AssertionError("a custom automaton keeps no files");
        }
    }
}
