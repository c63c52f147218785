package io.zeroscale.engine.process;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.zeroscale.spi.Config;
import io.zeroscale.spi.StandardErrorCode;
import io.zeroscale.spi.TargetRef;
import io.zeroscale.spi.ZeroscaleException;
import io.zeroscale.spi.orchestrator.Workload;
import io.zeroscale.testkit.TestPluginContext;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.assertj.core.api.AbstractThrowableAssert;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What a user sees for a bad {@code process} orchestrator or workload config. */
class ProcessConfigTest {
    @TempDir
    Path dataDirectory;

    private TestPluginContext context;
    private ProcessOrchestrator orchestrator;

    @BeforeEach
    void setUp() {
        context = TestPluginContext.realTime(dataDirectory);
        orchestrator = new ProcessOrchestratorFactory().create("local", Config.empty("orchestrators.local"), context);
    }

    @AfterEach
    void tearDown() {
        orchestrator.close();
        context.close();
    }

    @Test
    void missingCommand() {
        assertAttachFails(Map.of("readiness", Map.of("tcp", true)))
                .hasMessage("targets.app.workload.command: required key is missing;"
                        + " add the command line as a list, e.g. [./serve, --port, '{port}']");
    }

    @Test
    void emptyCommand() {
        assertAttachFails(Map.of("command", List.of()))
                .hasMessage("targets.app.workload.command: must not be empty;"
                        + " give the program and its arguments, e.g. [./serve, --port, '{port}']");
    }

    @Test
    void misspelledKeyGetsASuggestion() {
        assertAttachFails(Map.of("command", List.of("./serve"), "stop-grac", "5s"))
                .hasMessage("targets.app.workload.stop-grac: unknown key; did you mean 'stop-grace'?");
    }

    @Test
    void misspelledReadinessKeyGetsASuggestion() {
        assertAttachFails(Map.of("command", List.of("./serve"), "readiness", Map.of("htp", "/health")))
                .hasMessage("targets.app.workload.readiness.htp: unknown key; did you mean 'http'?");
    }

    @Test
    void badDuration() {
        assertAttachFails(Map.of("command", List.of("./serve"), "stop-grace", "10 seconds"))
                .hasMessage("targets.app.workload.stop-grace: '10 seconds' is not a duration; write a whole number"
                        + " followed by a unit (ms, s, m, h, d), e.g. 250ms, 30s, 5m, 1h30m");
    }

    @Test
    void zeroProbeInterval() {
        assertAttachFails(Map.of("command", List.of("./serve"), "readiness", Map.of("tcp", true, "interval", "0s")))
                .hasMessage("targets.app.workload.readiness.interval: must be longer than 0, e.g. 100ms");
    }

    @Test
    void bothProbes() {
        assertAttachFails(Map.of("command", List.of("./serve"), "readiness", Map.of("tcp", true, "http", "/health")))
                .hasMessage("targets.app.workload.readiness: set either http or tcp, not both");
    }

    @Test
    void noProbe() {
        assertAttachFails(Map.of("command", List.of("./serve"), "readiness", Map.of("tcp", false)))
                .hasMessage("targets.app.workload.readiness.tcp: is false but no http path is set;"
                        + " set http: /health or tcp: true");
    }

    @Test
    void httpProbeWithoutLeadingSlash() {
        assertAttachFails(Map.of("command", List.of("./serve"), "readiness", Map.of("http", "health")))
                .hasMessage("targets.app.workload.readiness.http: must be a path starting with '/', e.g. /health,"
                        + " got 'health'");
    }

    @Test
    void invertedPortRange() {
        assertAttachFails(Map.of("command", List.of("./serve"), "ports", Map.of("from", 9000, "to", 8000)))
                .hasMessage("targets.app.workload.ports.to: must not be below from (9000), got 8000");
    }

    @Test
    void portOutOfRange() {
        assertAttachFails(Map.of("command", List.of("./serve"), "ports", Map.of("from", 0, "to", 8000)))
                .hasMessage("targets.app.workload.ports.from: must be a port from 1 to 65535, got 0");
    }

    @Test
    void missingWorkdir() {
        assertAttachFails(Map.of("command", List.of("./serve"), "workdir", dataDirectory.resolve("nope").toString()))
                .hasMessage("targets.app.workload.workdir: '" + dataDirectory.resolve("nope")
                        + "' is not a directory; create it or fix the path");
    }

    @Test
    void unknownOrchestratorKeyGetsASuggestion() {
        assertThatThrownBy(() -> new ProcessOrchestratorFactory()
                        .create("local", Config.of("orchestrators.local", Map.of("type", "process", "hots", "::1")), context))
                .isInstanceOfSatisfying(ZeroscaleException.class, e -> assertThat(e.errorCode())
                        .isEqualTo(StandardErrorCode.CONFIG_INVALID))
                .hasMessage("orchestrators.local.hots: unknown key; did you mean 'host'?");
    }

    @Test
    void aStartingReplicaIsNeverProbedLessOftenThanAReadyOne() {
        ProcessWorkloadSpec spec = ProcessWorkloadSpec.parse(Config.of("targets.app.workload",
                Map.of("command", "./serve", "readiness", Map.of("tcp", true, "interval", "5ms"))));

        assertThat(spec.readiness().startupInterval()).isEqualTo(Duration.ofMillis(5));
    }

    @Test
    void defaultsApplyWhenOnlyTheCommandIsGiven() {
        ProcessWorkloadSpec spec =
                ProcessWorkloadSpec.parse(Config.of("targets.app.workload", Map.of("command", "./serve")));

        assertThat(spec.command()).containsExactly("./serve");
        assertThat(spec.readiness().probe()).isEqualTo(new ProcessWorkloadSpec.Probe.Tcp());
        assertThat(spec.readiness().interval()).isEqualTo(Duration.ofMillis(100));
        assertThat(spec.readiness().startupInterval()).as("a wake waits on it").isEqualTo(Duration.ofMillis(5));
        assertThat(spec.readiness().timeout()).isEqualTo(Duration.ofSeconds(1));
        assertThat(spec.stopGrace()).isEqualTo(Duration.ofSeconds(10));
        assertThat(spec.ports()).isNull();
        assertThat(spec.envFor(8080)).containsExactly(Map.entry("PORT", "8080"));
    }

    @Test
    void scalingAWorkloadThatWasNeverAttachedNamesIt() {
        assertThatThrownBy(() -> orchestrator.scale(TargetRef.of("local", "Process", "ghost"), 1))
                .isInstanceOfSatisfying(ZeroscaleException.class, e -> assertThat(e.errorCode())
                        .isEqualTo(StandardErrorCode.NOT_FOUND))
                .hasMessage("orchestrator 'local' has no workload local/Process/ghost; attach it first");
    }

    @Test
    void aCommandThatCannotStartNamesTheKeyToFix() {
        TargetRef target = TargetRef.of("local", "Process", "app");
        orchestrator.attach(new Workload(
                target, Config.of("targets.app.workload", Map.of("command", List.of("/nonexistent/serve")))));

        assertThatThrownBy(() -> orchestrator.scale(target, 1))
                .isInstanceOfSatisfying(ZeroscaleException.class, e -> assertThat(e.errorCode())
                        .isEqualTo(StandardErrorCode.ORCHESTRATOR_UNAVAILABLE))
                .hasMessageStartingWith("local/Process/app: cannot start /nonexistent/serve (")
                .hasMessageEndingWith(
                        "); check targets.app.workload.command and targets.app.workload.workdir");
        assertThat(orchestrator.observe(target).replicas()).as("replicas after a failed start").isZero();
    }

    private AbstractThrowableAssert<?, ? extends Throwable> assertAttachFails(Map<String, ?> settings) {
        Workload workload = new Workload(
                TargetRef.of("local", "Process", "app"),
                Config.of("targets.app.workload", new LinkedHashMap<>(settings)));
        return assertThatThrownBy(() -> orchestrator.attach(workload))
                .isInstanceOfSatisfying(ZeroscaleException.class, e -> assertThat(e.errorCode())
                        .isEqualTo(StandardErrorCode.CONFIG_INVALID));
    }
}
