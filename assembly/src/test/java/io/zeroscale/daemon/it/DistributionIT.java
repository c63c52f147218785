package io.zeroscale.daemon.it;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The built distribution ships the repository's plugins in plugins/docker, plugins/aws, plugins/prometheus and
 * plugins/tempo, and the launcher loads them from there: its lib/ holds none of them, so a
 * {@code type: docker} or {@code type: prometheus} that validates proves the folder works.
 */
class DistributionIT {
    /** Jars the daemon's class loader shares with every plugin (PluginClassLoader.SHARED_PACKAGES). */
    private static final List<String> SHARED = List.of("core-spi-", "jspecify-", "slf4j-api-", "opentelemetry-api-", "opentelemetry-context-");

    @TempDir
    Path work;

    @Test
    void libHoldsNoPluginAndEachPluginFolderHoldsItsJarAndLibrariesButNothingShared() throws IOException {
        List<String> lib = jars(Distribution.home().resolve("lib"));
        // plugin-support is a library, not a plugin: the built-in process orchestrator uses it too. A
        // plugin still loads its own copy (its class loader's parent is the platform loader).
        assertStartsWith(lib, "core-engine-", "gateway-", "core-spi-", "slf4j-api-", "plugin-support-");
        assertThat(lib).as("lib/").noneMatch(jar -> jar.startsWith("orchestrator-docker-") || jar.startsWith("orchestrator-aws-") || jar.startsWith("metrics-prometheus-")
                        || jar.startsWith("metrics-tempo-") || jar.startsWith("alerts-webhook-") || jar.startsWith("docker-java-")
                        || jar.startsWith("orchestrator-k8s-") || jar.startsWith("kubernetes-client-"));

        List<String> docker = jars(Distribution.plugins().resolve("docker"));
        assertStartsWith(docker, "orchestrator-docker-", "plugin-support-", "docker-java-core-", "docker-java-transport-zerodep-", "jna-");
        List<String> kubernetes = jars(Distribution.plugins().resolve("kubernetes"));
        assertStartsWith(kubernetes, "orchestrator-k8s-", "plugin-support-", "kubernetes-client-", "kubernetes-httpclient-jdk-",
                "kubernetes-model-apps-", "kubernetes-model-discovery-");
        List<String> aws = jars(Distribution.plugins().resolve("aws"));
        assertStartsWith(aws, "orchestrator-aws-", "plugin-support-", "autoscaling-", "ec2-", "ecs-", "url-connection-client-");
        assertThat(aws).as("plugins/aws: the URL-connection client only").noneMatch(jar -> jar.startsWith("apache") || jar.startsWith("netty"));
        List<String> prometheus = jars(Distribution.plugins().resolve("prometheus"));
        assertStartsWith(prometheus, "metrics-prometheus-", "plugin-support-", "resilience4j-retry-", "jackson-databind-");
        List<String> tempo = jars(Distribution.plugins().resolve("tempo"));
        assertStartsWith(tempo, "metrics-tempo-", "plugin-support-", "resilience4j-retry-", "jackson-databind-");
        List<String> alerts = jars(Distribution.plugins().resolve("alerts"));
        assertStartsWith(alerts, "alerts-webhook-", "plugin-support-", "jackson-databind-");
        for (List<String> folder : List.of(docker, kubernetes, aws, prometheus, tempo, alerts)) {
            assertThat(folder).noneMatch(jar -> SHARED.stream().anyMatch(jar::startsWith));
        }
        assertThat(Distribution.plugins().resolve("README.md")).exists();
    }

    @Test
    void validateLoadsTheDockerAndPrometheusPluginsFromThePluginsFolder() throws Exception {
        Path config = work.resolve("plugins.yaml");
        Files.writeString(config, """
                orchestrators:
                  containers: { type: docker, host: "unix://%s/no-engine.sock" }
                metrics:
                  prom: { type: prometheus, url: "http://127.0.0.1:9", timeout: 1s, retries: { max-attempts: 1 } }
                  traces: { type: tempo, url: "http://127.0.0.1:9" }
                alerts:
                  sinks:
                    chat: { type: webhook, url: "http://127.0.0.1:9/hook", format: slack }
                    pager: { type: alertmanager, url: "http://127.0.0.1:9" }
                targets:
                  web:
                    orchestrator: containers
                    workload: { kind: ContainerGroup, image: localhost/zeroscale/busybox:test, port: 80 }
                    route: { path: / }
                    policy:
                      idle: 1m
                      signals:
                        queue: { source: prom, query: 'sum(queue_depth)' }
                """.formatted(work), UTF_8);

        Result valid = zeroscale("validate", "--config", config.toString());
        assertThat(valid.exit()).as(valid.toString()).isZero();
        assertThat(valid.stdout()).contains("valid (1 orchestrator(s), 2 metric source(s), 1 target(s))");
        Path plugins = Distribution.plugins().toRealPath();
        assertThat(valid.stderr())
                .contains("plugin io.zeroscale.plugin.docker.DockerPlugin from " + plugins.resolve("docker"))
                .contains("plugin io.zeroscale.plugin.prometheus.PrometheusPlugin from " + plugins.resolve("prometheus"))
                .contains("plugin io.zeroscale.plugin.tempo.TempoPlugin from " + plugins.resolve("tempo"))
                .contains("plugin io.zeroscale.plugin.alerts.AlertsPlugin from " + plugins.resolve("alerts"))
                .doesNotContain("from class path");

        // The same config without the plugins folder: lib/ alone knows only the built-in process type.
        Path empty = Files.createDirectories(work.resolve("no-plugins"));
        Result without = zeroscale("validate", "--config", config.toString(), "--plugins", empty.toString());
        assertThat(without.exit()).as(without.toString()).isEqualTo(2);
        assertThat(without.stderr()).contains("orchestrators.containers.type: no plugin provides type 'docker'; installed types: [process]");
    }

    @Test
    void theShippedSamplesValidateWithTheShippedPlugins() throws Exception {
        for (String sample : List.of("samples/docker/zeroscale.yaml", "samples/quickstart/zeroscale.yaml", "etc/zeroscale.yaml")) {
            Result result = zeroscale("validate", "--config", Distribution.home().resolve(sample).toString());
            assertThat(result.exit()).as(result.toString()).isZero();
            assertThat(result.stdout()).contains(": valid (");
        }
    }

    private static void assertStartsWith(List<String> jars, String... prefixes) {
        for (String prefix : prefixes) {
            assertThat(jars).as("a jar named %s*", prefix).anyMatch(jar -> jar.startsWith(prefix));
        }
    }

    private static List<String> jars(Path folder) throws IOException {
        assertThat(folder).isDirectory();
        try (Stream<Path> files = Files.list(folder)) {
            return files.filter(Distribution::isJar).map(file -> file.getFileName().toString()).sorted().toList();
        }
    }

    record Result(int exit, String stdout, String stderr) {}

    /** Runs the distribution's launcher, as a user would. */
    private Result zeroscale(String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(Distribution.home().resolve("bin/zeroscale").toString()));
        command.addAll(List.of(args));
        Path out = Files.createTempFile(work, "zeroscale", ".out");
        Path err = Files.createTempFile(work, "zeroscale", ".err");
        Process process = new ProcessBuilder(command).directory(work.toFile())
                .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        if (!process.waitFor(2, TimeUnit.MINUTES)) {
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            fail(String.join(" ", command) + " did not finish within 2 minutes:\n" + Files.readString(err, UTF_8));
        }
        return new Result(process.exitValue(), Files.readString(out, UTF_8), Files.readString(err, UTF_8));
    }
}
