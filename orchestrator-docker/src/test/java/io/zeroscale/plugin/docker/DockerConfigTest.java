package io.zeroscale.plugin.docker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.zeroscale.spi.Config;
import io.zeroscale.spi.StandardErrorCode;
import io.zeroscale.spi.ZeroscaleException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class DockerConfigTest {
    private static DockerConfig orchestrator(Map<String, Object> values, String dockerHost) {
        return DockerConfig.parse(Config.of("orchestrators.docker", values), dockerHost);
    }

    private static GroupSpec workload(Map<String, Object> values) {
        return DockerConfig.parseWorkload(Config.of("targets.web.workload", values));
    }

    private static void rejects(Runnable parse, String... fragments) {
        assertThatThrownBy(parse::run)
                .isInstanceOfSatisfying(ZeroscaleException.class,
                        e -> assertThat(e.errorCode()).isEqualTo(StandardErrorCode.CONFIG_INVALID))
                .message().contains(fragments);
    }

    @Test
    void hostDefaultsToDockerHostThenToPodmansSocket() {
        assertThat(orchestrator(Map.of("type", "docker"), null).hosts()).containsExactly(DockerConfig.DEFAULT_HOST);
        assertThat(orchestrator(Map.of(), "tcp://10.0.0.5:2375").hosts()).containsExactly("tcp://10.0.0.5:2375");
        assertThat(orchestrator(Map.of("host", "unix:///var/run/docker.sock"), "tcp://10.0.0.5:2375").hosts())
                .containsExactly("unix:///var/run/docker.sock");
        DockerConfig config = orchestrator(Map.of("hosts", List.of("unix:///a.sock", "tcp://edge-2:2375"),
                "timeout", "5s", "poll-interval", "1m"), null);
        assertThat(config.hosts()).containsExactly("unix:///a.sock", "tcp://edge-2:2375");
        assertThat(config.timeout()).isEqualTo(Duration.ofSeconds(5));
        assertThat(config.pollInterval()).isEqualTo(Duration.ofMinutes(1));
    }

    @Test
    void orchestratorKeysAreStrict() {
        rejects(() -> orchestrator(Map.of("tmeout", "5s"), null),
                "orchestrators.docker.tmeout", "did you mean 'timeout'");
        rejects(() -> orchestrator(Map.of("host", "unix:///a.sock", "hosts", List.of("unix:///b.sock")), null),
                "orchestrators.docker.hosts", "either");
        rejects(() -> orchestrator(Map.of("host", "http://10.0.0.5:2375"), null),
                "orchestrators.docker.host", "unix://", "tcp://");
        rejects(() -> orchestrator(Map.of("hosts", List.of("unix:///a.sock", "tcp://b")), null),
                "orchestrators.docker.hosts[1]", "port");
        rejects(() -> orchestrator(Map.of("hosts", List.of("unix:///a.sock", "unix:///a.sock")), null), "twice");
        rejects(() -> orchestrator(Map.of("poll-interval", "10ms"), null), "poll-interval", "at least");
    }

    @Test
    void aFullTemplateIsRead() {
        GroupSpec spec = workload(Map.ofEntries(
                Map.entry("kind", "ContainerGroup"),
                Map.entry("image", "localhost/embedder:2"),
                Map.entry("command", "python serve.py --port 8080"),
                Map.entry("env", Map.of("MODEL", "minilm")),
                Map.entry("port", 8080),
                Map.entry("labels", Map.of("team", "ml")),
                Map.entry("cpus", "2.5"),
                Map.entry("memory", "1.5g"),
                Map.entry("gpus", "all"),
                Map.entry("healthcheck", Map.of("command", List.of("/bin/check", "--fast"), "interval", "1s",
                        "retries", 5)),
                Map.entry("readiness", Map.of("http", "/health", "interval", "100ms", "timeout", "2s")),
                Map.entry("stop-grace", "30s")));

        assertThat(spec.image()).isEqualTo("localhost/embedder:2");
        assertThat(spec.command()).containsExactly("/bin/sh", "-c", "python serve.py --port 8080");
        assertThat(spec.env()).containsEntry("MODEL", "minilm");
        assertThat(spec.port()).isEqualTo(8080);
        assertThat(spec.cpus()).isEqualTo(2.5);
        assertThat(spec.memoryBytes()).isEqualTo(1536L * 1024 * 1024);
        assertThat(spec.gpus()).isEqualTo(GroupSpec.ALL_GPUS);
        assertThat(spec.healthcheck().test()).containsExactly("CMD", "/bin/check", "--fast");
        assertThat(spec.healthcheck().retries()).isEqualTo(5);
        assertThat(spec.readiness()).isEqualTo(new GroupSpec.Readiness(GroupSpec.ProbeKind.HTTP, "/health",
                Duration.ofMillis(100), Duration.ofMillis(10), Duration.ofSeconds(2)));
        assertThat(spec.stopGrace()).isEqualTo(Duration.ofSeconds(30));
        assertThat(spec.stoppedTier()).isEqualTo(new GroupSpec.StoppedTier(0, Duration.ofHours(1)));
        assertThat(spec.adopting()).isFalse();
    }

    @Test
    void readinessDefaultsToATcpProbeWhenThereIsAPortAndToRunningWhenThereIsNone() {
        assertThat(workload(Map.of("image", "x", "port", 80)).readiness().kind()).isEqualTo(GroupSpec.ProbeKind.TCP);
        assertThat(workload(Map.of("image", "x")).readiness().kind()).isEqualTo(GroupSpec.ProbeKind.NONE);
        assertThat(workload(Map.of("image", "x", "port", 80, "readiness", Map.of("tcp", false))).readiness().kind())
                .isEqualTo(GroupSpec.ProbeKind.NONE);
    }

    @Test
    void adoptingNeedsNoImage() {
        GroupSpec spec = workload(Map.of("adopt-label", "com.docker.compose.service=web", "port", 80));
        assertThat(spec.adopting()).isTrue();
        assertThat(spec.image()).isNull();
    }

    @Test
    void workloadMistakesNameThePathAndTheFix() {
        rejects(() -> workload(Map.of("image", "x", "imgae", "y")), "targets.web.workload.imgae", "did you mean 'image'");
        rejects(() -> workload(Map.of("port", 80)), "targets.web.workload.image", "adopt-label");
        rejects(() -> workload(Map.of("image", "x", "kind", "Deployment")), "targets.web.workload.kind", "ContainerGroup");
        rejects(() -> workload(Map.of("image", "x", "port", 70000)), "targets.web.workload.port", "1..65535");
        rejects(() -> workload(Map.of("image", "x", "memory", "lots")), "targets.web.workload.memory", "512m");
        rejects(() -> workload(Map.of("image", "x", "memory", "1m")), "targets.web.workload.memory", "minimum");
        rejects(() -> workload(Map.of("image", "x", "cpus", 0)), "targets.web.workload.cpus");
        rejects(() -> workload(Map.of("image", "x", "gpus", -1)), "targets.web.workload.gpus");
        rejects(() -> workload(Map.of("image", "x", "readiness", Map.of("http", "/"))),
                "targets.web.workload.readiness.http", "add port");
        rejects(() -> workload(Map.of("image", "x", "port", 80, "readiness", Map.of("http", "health"))),
                "readiness.http", "starting with '/'");
        rejects(() -> workload(Map.of("image", "x", "port", 80, "readiness", Map.of("http", "/", "tcp", true))),
                "readiness.tcp", "not both");
        rejects(() -> workload(Map.of("image", "x", "port", 80, "readiness", Map.of("intervall", "1s"))),
                "readiness.intervall", "did you mean 'interval'");
        rejects(() -> workload(Map.of("image", "x", "healthcheck", Map.of("interval", "1s"))),
                "healthcheck.command", "required");
        rejects(() -> workload(Map.of("image", "x", "labels", Map.of("io.zeroscale.group", "a"))),
                "labels.io.zeroscale.group", "reserved");
        rejects(() -> workload(Map.of("image", "x", "stop-grace", "soon")), "stop-grace", "30s");
        rejects(() -> workload(Map.of("image", "x", "command", List.of())), "command", "empty");
    }

    @Test
    void startingContainersAreProbedEvery10msByDefaultAndNeverLessOftenThanReadyOnes() {
        GroupSpec defaults = DockerConfig.parseWorkload(Config.of("w", Map.of("image", "i", "port", 80)));
        assertThat(defaults.readiness().interval()).isEqualTo(Duration.ofMillis(250));
        assertThat(defaults.readiness().startupInterval()).isEqualTo(Duration.ofMillis(10));

        GroupSpec fast = DockerConfig.parseWorkload(Config.of("w", Map.of("image", "i", "port", 80,
                "readiness", Map.of("interval", "5ms"))));
        assertThat(fast.readiness().startupInterval()).isEqualTo(Duration.ofMillis(5));

        GroupSpec set = DockerConfig.parseWorkload(Config.of("w", Map.of("image", "i", "port", 80,
                "readiness", Map.of("startup-interval", "50ms"))));
        assertThat(set.readiness().startupInterval()).isEqualTo(Duration.ofMillis(50));

        assertThatThrownBy(() -> DockerConfig.parseWorkload(Config.of("w", Map.of("image", "i", "port", 80,
                "readiness", Map.of("startup-interval", "0s")))))
                .hasMessageContaining("startup-interval").hasMessageContaining("10ms");
    }

    @Test
    void theStoppedTierIsReadAndCheckedAndNotForAdoptedContainers() {
        GroupSpec spec = DockerConfig.parseWorkload(Config.of("w", Map.of("image", "i", "keep-stopped", 2,
                "keep-stopped-for", "30m")));
        assertThat(spec.stoppedTier()).isEqualTo(new GroupSpec.StoppedTier(2, Duration.ofMinutes(30)));

        assertThatThrownBy(() -> DockerConfig.parseWorkload(Config.of("w", Map.of("image", "i", "keep-stopped", -1))))
                .hasMessageContaining("keep-stopped").hasMessageContaining("0");
        assertThatThrownBy(() -> DockerConfig.parseWorkload(Config.of("w", Map.of("image", "i", "keep-stopped", 1,
                "keep-stopped-for", "0s"))))
                .hasMessageContaining("keep-stopped-for").hasMessageContaining("1h");
        assertThatThrownBy(() -> DockerConfig.parseWorkload(Config.of("w", Map.of("adopt-label", "app=web",
                "keep-stopped", 1))))
                .hasMessageContaining("keep-stopped").hasMessageContaining("adopt");
    }
}
