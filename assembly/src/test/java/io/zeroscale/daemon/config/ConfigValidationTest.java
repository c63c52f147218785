package io.zeroscale.daemon.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.zeroscale.daemon.Daemon;
import io.zeroscale.daemon.Plugins;
import io.zeroscale.engine.automaton.WakeTimeout;
import io.zeroscale.gateway.GatewayConfig;
import io.zeroscale.spi.ConfigProblems;
import io.zeroscale.spi.StandardErrorCode;
import io.zeroscale.spi.ZeroscaleException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Every config mistake stops the daemon with the exact path, the problem and the fix. */
class ConfigValidationTest {
    static final String VALID = """
            orchestrators:
              local: { type: process }
            gateway:
              listen: 127.0.0.1:8080
            api:
              listen: 127.0.0.1:8081
              token: ${ZEROSCALE_TOKEN}
            targets:
              hello:
                orchestrator: local
                workload:
                  kind: Process
                  command: [java, Backend.java]
                route: { path: / }
                policy:
                  automaton: zero-to-n
                  idle: 30s
                  wake-timeout: 1m
                  replicas: { min: 0, max: 2 }
            """;

    private static final String CUSTOM_POLICY = """
                policy:
                  automaton: custom
                  initial: idle
                  states:
                    idle: { replicas: "0" }
                    busy: { replicas: "1" }
                  transitions:
                    - { from: idle, to: busy, when: "requests.held > 0" }
                    - { from: busy, to: idle, after: 5m }
            """;

    private final ConfigLoader loader = new ConfigLoader(Map.of("ZEROSCALE_TOKEN", "s3cret-token-value")::get);

    private DaemonConfig load(String text) {
        DaemonConfig config = loader.parse(text, "zeroscale.yaml", Path.of("/srv/zeroscale"), Map.of());
        try (Plugins plugins = Plugins.load(null)) {
            Daemon.validate(config, plugins);
        }
        return config;
    }

    private void assertInvalid(String text, String message) {
        assertThatThrownBy(() -> load(text))
                .isInstanceOf(ZeroscaleException.class)
                .hasMessage(message);
    }

    @Test
    void theValidConfigLoads() {
        DaemonConfig config = load(VALID);
        assertThat(config.targets()).singleElement().satisfies(target -> assertThat(target.name()).isEqualTo("hello"));
        assertThat(config.api().token()).isEqualTo("s3cret-token-value");
        assertThat(config.api().port()).isEqualTo(8081);
        assertThat(config.gateway().listen().getPort()).isEqualTo(8080);
        assertThat(config.routes()).singleElement().satisfies(route -> assertThat(route.pathPrefix()).isEqualTo("/"));
        assertThat(config.dataDirectory()).isEqualTo(Path.of("/srv/zeroscale/.zeroscale"));
    }

    @Test
    void aTypoedKeySuggestsTheRightOne() {
        assertInvalid(VALID.replace("  listen: 127.0.0.1:8080", "  lisen: 127.0.0.1:8080"),
                "gateway.lisen: unknown key; did you mean 'listen'?");
        assertInvalid(VALID.replace("    route: { path: / }", "    rout: { path: / }"),
                "targets.hello.rout: unknown key; did you mean 'route'?");
    }

    @Test
    void trafficSettingsAreReadAndABadOneIsNamed() {
        DaemonConfig config = load(VALID + "traffic: { reporter-ttl: 20s }\n");
        assertThat(config.traffic().reporterTtl()).isEqualTo(Duration.ofSeconds(20));
        assertThat(config.traffic().forgetAfter()).isEqualTo(Duration.ofMinutes(10));
        assertThat(config.trafficHub()).isNull();
        assertInvalid(VALID + "traffic: { reporter-ttl: 1m, forget-after: 30s }\n",
                "traffic.forget-after: must be longer than reporter-ttl (1m), got 30s");
        assertInvalid(VALID + "traffic: { hub: { type: leader-forward } }\n",
                "traffic.hub.type: no plugin provides type 'leader-forward'; installed types: []. Put the plugin's jars in plugins/<name>/.");
    }

    @Test
    void theStateStoreAndTheGatewayIdAreReadAndAnUnknownStoreTypeIsNamed() {
        DaemonConfig config = load(VALID.replace("  listen: 127.0.0.1:8080", "  listen: 127.0.0.1:8080\n  id: edge-a"));
        assertThat(config.stateStore()).isNull();
        assertThat(config.gateway().id()).isEqualTo("edge-a");
        // Read as the plugin's node; whether a plugin provides the type is checked next.
        assertThat(loader.parse(VALID + "state-store: { type: cluster, namespace: ops }\n", "zeroscale.yaml", Path.of("/srv/zeroscale"),
                Map.of()).stateStore().asMap())
                .containsEntry("type", "cluster").containsEntry("namespace", "ops");
        assertInvalid(VALID + "state-store: { type: cluster }\n",
                "state-store.type: no plugin provides type 'cluster'; installed types: []. Put the plugin's jars in plugins/<name>/.");
    }

    @Test
    void aTypoInAPluginsOwnSectionIsCaughtByThePlugin() {
        assertInvalid(VALID.replace("idle: 30s", "idel: 30s"),
                "targets.hello.policy.idel: unknown key; did you mean 'idle'?");
        assertInvalid(VALID.replace("command: [java, Backend.java]", "comand: [java, Backend.java]"),
                "targets.hello.workload.comand: unknown key; did you mean 'command'?");
    }

    @Test
    void aWrongTypeNamesWhatIsExpected() {
        assertInvalid(VALID.replace("max: 2", "max: two"),
                "targets.hello.policy.replicas.max: expected a whole number, got 'two'; e.g. max: 4");
        assertInvalid(VALID.replace("listen: 127.0.0.1:8081", "listen: 8081"),
                "api.listen: expected a string, got 8081; e.g. listen: 127.0.0.1:8080");
    }

    @Test
    void aMissingRequiredKeySaysWhatToAdd() {
        assertInvalid(VALID.replace("    orchestrator: local\n", ""),
                "targets.hello.orchestrator: required key is missing; add it; e.g. orchestrator: local");
        assertInvalid(VALID.replace("      kind: Process\n", ""),
                "targets.hello.workload.kind: required key is missing; add it; e.g. kind: Process");
    }

    @Test
    void anUnknownPluginTypeListsTheInstalledTypes() {
        assertInvalid(VALID.replace("local: { type: process }", "local: { type: kubernetes }"),
                "orchestrators.local.type: no plugin provides type 'kubernetes'; installed types: [process]. Put the"
                        + " plugin's jars in plugins/<name>/ (daemon) or on the classpath (SDK).");
        assertInvalid(VALID.replace("automaton: zero-to-n", "automaton: zero-to-one"),
                "targets.hello.policy.automaton: unknown automaton 'zero-to-one'; did you mean 'zero-to-n'? "
                        + "installed: [adaptive, custom, latency-band, schedule, step, target-tracking, threshold, zero-to-n]");
    }

    @Test
    void alertsAreCheckedStrictlyWithPathAndFix() {
        String alerts = "alerts:\n  wake-slow: 30s\n  flapping: { changes: 4, within: 5m }\n  sinks:\n    chat: { type: hook }\n";
        // Without the alerts plugin (the daemon's plugins/alerts) no sink type is installed.
        assertInvalid(VALID + alerts,
                "alerts.sinks.chat.type: no plugin provides type 'hook'; installed types: []. Put the"
                        + " plugin's jars in plugins/<name>/ (daemon) or on the classpath (SDK).");
        assertInvalid(VALID + "alerts:\n  wake_slow: 30s\n", "alerts.wake_slow: unknown key; did you mean 'wake-slow'?");
        DaemonConfig config = load(VALID + "alerts:\n  wake-slow: 30s\n  flapping: { changes: 4, within: 5m }\n");
        assertThat(config.alerts().wakeSlow()).isEqualTo(java.time.Duration.ofSeconds(30));
        assertThat(config.alerts().flappingChanges()).isEqualTo(4);
        assertThat(config.alertSinks()).isEmpty();
    }

    @Test
    void aBadDurationShowsTheSyntax() {
        assertInvalid(VALID.replace("idle: 30s", "idle: 30 seconds"),
                "targets.hello.policy.idle: '30 seconds' is not a duration; write a whole number followed by a unit"
                        + " (ms, s, m, h, d), e.g. 250ms, 30s, 5m, 1h30m");
        assertInvalid(VALID.replace("wake-timeout: 1m", "wake-timeout: 2 minutes"),
                "targets.hello.policy.wake-timeout: '2 minutes' is not a duration; write a whole number followed by a unit"
                        + " (ms, s, m, h, d), e.g. 250ms, 30s, 5m, 1h30m");
    }

    @Test
    void theGatewaysOldWakeTimeoutIsRefusedNamingThePolicyKey() {
        assertInvalid(VALID.replace("  listen: 127.0.0.1:8080", "  listen: 127.0.0.1:8080\n  wake-timeout: 2m"),
                "gateway.wake-timeout: is not a gateway setting any more; set the target's policy.wake-timeout"
                        + " (targets.<name>.policy.wake-timeout), which the gateway and the automaton both read,"
                        + " and remove this key");
    }

    @Test
    void theGatewayHoldsEachTargetForItsPolicysWakeTimeout() {
        DaemonConfig config = load(VALID);
        DaemonConfig defaulted = load(VALID.replace("      wake-timeout: 1m\n", ""));

        assertThat(config.targetGateways()).containsOnlyKeys(config.target("hello").orElseThrow().ref());
        assertThat(config.targetGateways().values()).extracting(GatewayConfig::wakeTimeout)
                .containsExactly(Duration.ofMinutes(1));
        assertThat(defaulted.targetGateways().values()).extracting(GatewayConfig::wakeTimeout)
                .as("no wake-timeout: the automaton's default, 3m").containsExactly(WakeTimeout.DEFAULT)
                .containsExactly(Duration.ofMinutes(3));
    }

    @Test
    void aBadCelExpressionNamesItsPosition() {
        String custom = VALID.substring(0, VALID.indexOf("    policy:")) + CUSTOM_POLICY;
        assertThat(load(custom).targets()).hasSize(1);
        assertInvalid(custom.replace("requests.held > 0", "requests.hedl > 0"),
                "targets.hello.policy.transitions[0].when: invalid expression 'requests.hedl > 0' at 1:9: undefined field"
                        + " 'hedl'; did you mean 'held'?");
        assertInvalid(custom.replace("requests.held > 0", "requests.held >> 0"),
                "targets.hello.policy.transitions[0].when: invalid expression 'requests.held >> 0' at 1:16: extraneous"
                        + " input '>' expecting {'[', '{', '(', '.', '-', '!', 'true', 'false', 'null', NUM_FLOAT, NUM_INT,"
                        + " NUM_UINT, STRING, BYTES, IDENTIFIER}; fix the expression");
    }

    @Test
    void aMissingEnvironmentVariableIsNamed() {
        assertInvalid(VALID.replace("${ZEROSCALE_TOKEN}", "${MISSING_TOKEN}"),
                "api.token: environment variable MISSING_TOKEN is not set; export MISSING_TOKEN=... before starting,"
                        + " or give a default: ${MISSING_TOKEN:-value}");
        assertThat(loader.parse(VALID.replace("${ZEROSCALE_TOKEN}", "${MISSING_TOKEN:-a-default-token}"), "zeroscale.yaml",
                Path.of("/srv"), Map.of()).api().token()).isEqualTo("a-default-token");
    }

    @Test
    void aTokenIsRequiredOffLoopback() {
        assertInvalid(VALID.replace("listen: 127.0.0.1:8081\n  token: ${ZEROSCALE_TOKEN}", "listen: 0.0.0.0:8081"),
                "api.token: required because api.listen (0.0.0.0:8081) is not a loopback address; add token:"
                        + " ${ZEROSCALE_TOKEN} and export ZEROSCALE_TOKEN, or listen on 127.0.0.1");
        assertThat(load(VALID.replace("listen: 127.0.0.1:8081\n  token: ${ZEROSCALE_TOKEN}", "listen: 127.0.0.1:8081")).api().token())
                .isNull();
    }

    @Test
    void aSectionWithoutEntriesIsEmpty() {
        assertThat(load(VALID + "metrics:\n  # prom: { type: prometheus }\n").metrics()).isEmpty();
    }

    @Test
    void severalProblemsAreReportedTogether() {
        assertThatThrownBy(() -> load(VALID.replace("max: 2", "max: two").replace("  listen: 127.0.0.1:8080", "  lisen: 127.0.0.1:8080")))
                .isInstanceOf(ZeroscaleException.class)
                .hasMessage("gateway.lisen: unknown key; did you mean 'listen'?\n"
                        + "targets.hello.policy.replicas.max: expected a whole number, got 'two'; e.g. max: 4")
                .satisfies(e -> assertThat(((ZeroscaleException) e).errorCode()).isEqualTo(StandardErrorCode.CONFIG_INVALID));
    }

    @Test
    void theChecksAfterTheSchemaReportEveryProblemToo() {
        String text = VALID.replace("local: { type: process }", "local: { type: procss }")
                .replace("orchestrator: local", "orchestrator: locl")
                .replace("idle: 30s", "idel: 30s\n      pause-after: 10m")
                .replace("replicas: { min: 0, max: 2 }", "replicas: { min: 3, max: 2 }")
                .replace("  listen: 127.0.0.1:8080", "  lisen: 127.0.0.1:8080");
        ConfigProblems problems = new ConfigProblems();
        DaemonConfig config = loader.parse(text, "zeroscale.yaml", Path.of("/srv/zeroscale"), Map.of(), problems);
        try (Plugins plugins = Plugins.load(null)) {
            problems.check(() -> Daemon.validate(config, plugins));
        }
        assertThatThrownBy(problems::throwIfAny)
                .isInstanceOfSatisfying(ZeroscaleException.class, e -> assertThat(e.problems()).containsExactly(
                        "gateway.lisen: unknown key; did you mean 'listen'?",
                        "orchestrators.local.type: no plugin provides type 'procss'; did you mean 'process'? installed types:"
                                + " [process]. Put the plugin's jars in plugins/<name>/ (daemon) or on the classpath (SDK).",
                        "targets.hello.orchestrator: no orchestrator named 'locl'; did you mean 'local'?",
                        "targets.hello.policy.idel: unknown key; did you mean 'idle'?",
                        "targets.hello.policy.pause-after: must be shorter than idle (5m), or the target goes to zero before"
                                + " it is ever paused",
                        "targets.hello.policy.replicas: min (3) is greater than max (2); lower min or raise max"));
    }

    @Test
    void aSettingThatCannotBeReadIsNotComparedWithOthers() {
        // idle is unreadable: pause-after is not blamed for being longer than idle's default.
        assertInvalid(VALID.replace("idle: 30s", "idle: soon\n      pause-after: 10m"),
                "targets.hello.policy.idle: 'soon' is not a duration; write a whole number followed by a unit"
                        + " (ms, s, m, h, d), e.g. 250ms, 30s, 5m, 1h30m");
    }

    @Test
    void aKeySetTwiceNamesBothLines() {
        String text = """
                orchestrators:
                  local: { type: process }
                targets:
                  hello:
                    orchestrator: local
                    workload: { kind: Process, command: [java, Backend.java] }
                    policy:
                      idle: 10s
                      replicas: { min: 0, max: 1, max: 2 }
                      idle: 0s
                """;
        assertInvalid(text, "targets.hello.policy.replicas.max: set twice on line 9 of zeroscale.yaml; keep one\n"
                + "targets.hello.policy.idle: set twice in zeroscale.yaml, on line 8 and line 10; keep one");
    }

    @Test
    void aKeySetTwiceInsideAListIsNamedWithItsIndex() {
        String custom = VALID.substring(0, VALID.indexOf("    policy:")) + CUSTOM_POLICY;
        assertInvalid(custom.replace("{ from: idle, to: busy, when", "{ from: idle, to: busy, to: idle, when"),
                "targets.hello.policy.transitions[0].to: set twice on line 22 of zeroscale.yaml; keep one");
    }

    @Test
    void overridesAndTheConfigDirectoryVariableApply() {
        DaemonConfig config = loader.parse(VALID.replace("command: [java, Backend.java]", "command: [java, \"${ZEROSCALE_CONFIG_DIR}/Backend.java\"]"),
                "zeroscale.yaml", Path.of("/srv/zeroscale"), Map.of("targets.hello.policy.replicas.max", "3", "data-dir", "/var/lib/zeroscale"));
        assertThat(config.targets().getFirst().policy().bounds().max()).isEqualTo(3);
        assertThat(config.targets().getFirst().workload().stringList("command")).containsExactly("java", "/srv/zeroscale/Backend.java");
        assertThat(config.dataDirectory()).isEqualTo(Path.of("/var/lib/zeroscale"));
    }
}
