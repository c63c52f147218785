package io.zeroscale.daemon.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.zeroscale.daemon.Daemon;
import io.zeroscale.daemon.Plugins;
import io.zeroscale.daemon.config.ConfigLoader;
import io.zeroscale.daemon.config.DaemonConfig;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * samples/docker end to end: the daemon with samples/docker/zeroscale.yaml on free ports and the
 * docker plugin from the built distribution's plugins/docker/, against Podman. The first request
 * wakes a container, pause-after pauses it, a request resumes the same container, idle removes it.
 */
class DockerSampleIT {
    private static final Pattern CONTAINER = Pattern.compile("hello from container (\\w+)");

    @TempDir
    Path data;

    /** The workload's own name, so this run neither adopts nor removes another run's containers. */
    private final String name = "web-it-" + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt());
    private final String label = "io.zeroscale.group=containers/ContainerGroup/" + name;
    private Daemon daemon;
    private Plugins plugins;
    private ApiClient client;

    @BeforeEach
    void requirePodman() {
        Podman.require();
    }

    @AfterEach
    void cleanUp() {
        if (client != null) {
            client.close();
        }
        if (daemon != null) {
            daemon.stop(); // closes the plugins too
        } else if (plugins != null) {
            plugins.close();
        }
        // The daemon leaves workloads as they are on shutdown; a test that failed midway must not.
        Podman.removeAll(label);
    }

    @Test
    void theFirstRequestWakesAContainerPauseAfterPausesItARequestResumesItIdleRemovesIt() throws Exception {
        Map<String, String> overrides = new LinkedHashMap<>();
        overrides.put("gateway.listen", "127.0.0.1:0");
        overrides.put("api.listen", "127.0.0.1:0");
        overrides.put("data-dir", data.toString());
        overrides.put("targets.web.workload.name", name);
        overrides.put("targets.web.policy.pause-after", "5s");
        overrides.put("targets.web.policy.idle", "15s");
        DaemonConfig config = ConfigLoader.fromEnvironment().load(Distribution.sample("docker/zeroscale.yaml"), overrides);
        plugins = Distribution.loadPlugins();
        assertThat(plugins.found()).anySatisfy(found -> {
            assertThat(found.plugin().getClass().getName()).isEqualTo("io.zeroscale.plugin.docker.DockerPlugin");
            assertThat(found.origin()).isEqualTo(Distribution.plugins().resolve("docker").toString());
        });
        daemon = Daemon.create(config, plugins).start();
        client = new ApiClient(daemon.apiPort(), daemon.gatewayPort());
        assertThat(client.target("web").path("state").asText()).isEqualTo("ZERO");
        assertThat(Podman.containers(label)).isEmpty();

        // ZERO -> WAKING -> ACTIVE: the request waits for a container to start (2 s sleep) and answer.
        HttpResponse<String> first = client.request("/");
        assertThat(first.statusCode()).as(first.body()).isEqualTo(200);
        String container = container(first.body());
        assertThat(Podman.containers(label)).containsExactly(new Podman.Container(container, "running"));
        JsonNode web = client.target("web");
        assertThat(web.path("state").asText()).isEqualTo("ACTIVE");
        assertThat(web.path("replicas").path("ready").asInt()).isEqualTo(1);
        assertThat(client.states("web")).startsWith("ZERO", "WAKING", "ACTIVE");

        // pause-after 5s: paused, not removed.
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(client.states("web")).endsWith("PAUSED"));
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                assertThat(Podman.containers(label)).containsExactly(new Podman.Container(container, "paused")));

        // A request resumes the same container: no new one is created.
        HttpResponse<String> resumed = client.request("/");
        assertThat(resumed.statusCode()).as(resumed.body()).isEqualTo(200);
        assertThat(container(resumed.body())).isEqualTo(container);
        assertThat(client.states("web")).startsWith("ZERO", "WAKING", "ACTIVE", "PAUSED", "WAKING", "ACTIVE");
        assertThat(client.journal("web")).anySatisfy(entry ->
                assertThat(entry.path("message").asText()).startsWith("PAUSED -> WAKING: resuming: 1 request(s) held"));

        // Idle 15s: paused again, then removed.
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() ->
                assertThat(client.states("web")).containsExactly("ZERO", "WAKING", "ACTIVE", "PAUSED", "WAKING", "ACTIVE", "PAUSED", "ZERO"));
        assertThat(client.journal("web").getLast().path("message").asText())
                .as(client.journalText("web")).isEqualTo("PAUSED -> ZERO: idle for 15s while paused; scaled to zero");
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(Podman.containers(label)).isEmpty());
        assertThat(client.target("web").path("replicas").path("observed").asInt()).isZero();
        assertThat(client.journal("web")).noneMatch(entry -> List.of("SAFETY", "ACTUATION_FAILED", "ALERT", "FAILED_HELD")
                .contains(entry.path("kind").asText()));
    }

    private static String container(String body) {
        Matcher matcher = CONTAINER.matcher(body);
        assertThat(matcher.find()).as("the page of the sample's container: %s", body).isTrue();
        return matcher.group(1);
    }
}
