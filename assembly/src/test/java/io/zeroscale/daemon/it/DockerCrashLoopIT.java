package io.zeroscale.daemon.it;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.zeroscale.daemon.Daemon;
import io.zeroscale.daemon.Plugins;
import io.zeroscale.daemon.config.ConfigLoader;
import io.zeroscale.daemon.config.DaemonConfig;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Containers that cannot start, through the real daemon, gateway and docker plugin against Podman:
 * one exits with code 3 at once, one is killed by the kernel for exceeding its 16 MiB memory limit
 * while it loads. The first request to each is answered 503 with the reason and the container's
 * last log lines within seconds, not after the wake timeout.
 */
class DockerCrashLoopIT {
    @TempDir
    Path data;

    private final String suffix = HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt());
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private Daemon daemon;
    private ApiClient api;

    @BeforeEach
    void requirePodman() {
        Podman.require();
    }

    @AfterEach
    void cleanUp() {
        if (api != null) {
            api.close();
        }
        if (daemon != null) {
            daemon.stop();
        }
        for (String name : List.of("exit3", "oom")) {
            Podman.removeAll(label(name));
        }
        http.close();
    }

    private String label(String target) {
        return "io.zeroscale.group=containers/ContainerGroup/" + target + "-" + suffix;
    }

    @Test
    void aContainerThatExitsAtOnceAndOneKilledForItsMemoryLimitAreAnsweredWithTheirReasons() throws Exception {
        startDaemon();
        // One target at a time: each check runs within its own target's backoff (2 s after the
        // second failure), which a concurrently failing target's checks could outlast.
        CompletableFuture<HttpResponse<String>> exit3 = request("/exit3", Duration.ofSeconds(5));
        HttpResponse<String> exited = exit3.get(10, TimeUnit.SECONDS);
        assertThat(exited.statusCode()).as(exited.body()).isEqualTo(503);
        assertThat(exited.headers().firstValue("Retry-After")).isPresent();
        assertThat(exited.body()).startsWith("target exit3 cannot start: replica zs-exit3-" + suffix)
                .contains("exited with code 3 before it was ready (on unix:///run/podman/podman.sock)",
                        "last output: model file missing: /models/m.bin", "2 failed starts in a row");
        assertGaveUpAfterTwo("exit3");

        CompletableFuture<HttpResponse<String>> oom = request("/oom", Duration.ofSeconds(15));
        HttpResponse<String> killed = oom.get(20, TimeUnit.SECONDS);
        assertThat(killed.statusCode()).as(killed.body()).isEqualTo(503);
        assertThat(killed.headers().firstValue("Retry-After")).isPresent();
        // Podman 4.3 on cgroup v1 enforces the limit but never reports OOMKilled: the reason says so.
        assertThat(killed.body()).startsWith("target oom cannot start: replica zs-oom-" + suffix)
                .contains("was killed (exit code 137, SIGKILL) before it was ready with a memory limit of 16 MiB: most likely"
                        + " out of memory (OOM)", "last output: loading weights");
        assertGaveUpAfterTwo("oom");
    }

    /**
     * A client that insists for two minutes gets an answer at once during every backoff, and the
     * backoff doubles: the container is started a handful of times, not hundreds.
     */
    @Test
    void aContainerThatKeepsExitingIsStartedFewerThanFifteenTimesInTwoMinutes() throws Exception {
        startDaemon();
        long until = System.nanoTime() + Duration.ofMinutes(2).toNanos();
        int answered = 0;
        while (System.nanoTime() < until && answered < 400) {
            HttpResponse<String> answer = request("/exit3", Duration.ofSeconds(30)).get(40, TimeUnit.SECONDS);
            assertThat(answer.statusCode()).as(answer.body()).isEqualTo(503);
            assertThat(answer.body()).contains("exited with code 3", "model file missing");
            answered++;
            Thread.sleep(250); // the insisting client's pace, not a wait for the daemon
        }
        JsonNode failures = api.target("exit3").path("startFailures");
        // 1 s doubling: starts at about 0, 1, 3, 7, 15, 31, 63 s (and 127 s): 7 or 8 in two minutes.
        assertThat(failures.path("failuresInARow").asInt()).as("%s", failures).isBetween(5, 14);
        assertThat(api.journal("exit3")).filteredOn(entry -> entry.path("kind").asText().equals("START_FAILURES"))
                .as(api.journalText("exit3")).hasSize(1);
        assertThat(answered).as("answered at once during the backoffs").isGreaterThan(100);
    }

    private void startDaemon() throws Exception {
        Path config = data.resolve("zeroscale.yaml");
        Files.writeString(config, """
                orchestrators:
                  containers: { type: docker, host: unix:///run/podman/podman.sock }
                gateway: { listen: 127.0.0.1:0 }
                api: { listen: 127.0.0.1:0 }
                data-dir: %s
                targets:
                  exit3:
                    orchestrator: containers
                    workload:
                      kind: ContainerGroup
                      name: exit3-%s
                      image: localhost/zeroscale/busybox:test
                      command: 'echo "model file missing: /models/m.bin"; exit 3'
                      port: 80
                      stop-grace: 1s
                    route: { path: /exit3 }
                    policy: { wake-timeout: 1m }
                  oom:
                    orchestrator: containers
                    workload:
                      kind: ContainerGroup
                      name: oom-%s
                      image: localhost/zeroscale/busybox:test
                      command: 'echo "loading weights"; x=$(head -c 100000000 /dev/zero | tr "\\0" a); exec httpd -f -p 80 -h /www'
                      port: 80
                      memory: 16m
                      stop-grace: 1s
                    route: { path: /oom }
                    policy: { wake-timeout: 1m }
                """.formatted(data, suffix, suffix), UTF_8);
        DaemonConfig loaded = ConfigLoader.fromEnvironment().load(config, Map.of());
        daemon = Daemon.create(loaded, Distribution.loadPlugins()).start();
        api = new ApiClient(daemon.apiPort(), daemon.gatewayPort());
    }

    /**
     * Checked as soon as the target's answer arrives: the backoff after two failures is 2 s, and a
     * request after it would (rightly) start a third attempt.
     */
    private void assertGaveUpAfterTwo(String target) throws Exception {
        JsonNode failures = api.target(target).path("startFailures");
        assertThat(failures.path("gaveUp").asBoolean()).as("%s: %s", target, failures).isTrue();
        assertThat(failures.path("failuresInARow").asInt()).as("%s: %s", target, failures).isEqualTo(2);
        assertThat(api.target(target).path("state").asText()).isEqualTo("ZERO");
        assertThat(api.journal(target)).filteredOn(entry -> entry.path("kind").asText().equals("START_FAILURES"))
                .as(api.journalText(target)).hasSize(1);
        // A request during the backoff is answered at once with the same reason.
        HttpResponse<String> again = request("/" + target, Duration.ofSeconds(2)).get(5, TimeUnit.SECONDS);
        assertThat(again.statusCode()).as(again.body()).isEqualTo(503);
        assertThat(again.body()).startsWith("target " + target + " cannot start: ");
    }

    private CompletableFuture<HttpResponse<String>> request(String path, Duration timeout) {
        return http.sendAsync(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + daemon.gatewayPort() + path)).timeout(timeout).build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
