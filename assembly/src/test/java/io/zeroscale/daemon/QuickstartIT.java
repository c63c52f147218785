package io.zeroscale.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.zeroscale.daemon.it.WithDaemon;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The quickstart end to end: the daemon with samples/quickstart/zeroscale.yaml on free ports, a
 * real backend process behind the gateway, the journal read through the REST API, scale to zero
 * when idle, and a clean shutdown that leaves the workload running.
 */
class QuickstartIT extends WithDaemon {
    private static final Pattern PID = Pattern.compile("pid (\\d+)");

    private final List<Long> backendPids = new ArrayList<>();

    /** The quickstart's config file. */
    static Path quickstart() {
        Path configured = Path.of(System.getProperty("zeroscale.quickstart", "../samples/quickstart"));
        Path config = configured.resolve("zeroscale.yaml");
        assertThat(config).as("the quickstart config").exists();
        return config;
    }

    /** Fails unless every one of {@code pids} has exited: the clean-up stops what the daemon left running. */
    static void assertGone(Collection<Long> pids) {
        for (long pid : pids) {
            assertThat(ProcessHandle.of(pid).filter(ProcessHandle::isAlive)).as("backend pid %d after clean-up", pid).isEmpty();
        }
    }

    @BeforeEach
    void checkBackendsGoneAfterCleanUp() {
        closeAfter(() -> assertGone(backendPids));
    }

    @Test
    void theFirstRequestWakesTheBackendIdleStopsItAndShutdownLeavesItRunning() throws Exception {
        start(quickstart(), Map.of("targets.hello.workload.env.LOAD_SECONDS", "1", "targets.hello.policy.idle", "3s"));
        assertThat(api.target("hello").path("state").asText()).isEqualTo("ZERO");

        HttpResponse<String> first = send("/", Duration.ofMinutes(1));
        assertThat(first.statusCode()).isEqualTo(200);
        assertThat(first.body()).startsWith("hello from the backend (pid ").endsWith("model loaded in 1.0s: GET /\n");
        long pid = pid(first.body());
        assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive)).hasValue(true);

        JsonNode hello = api.target("hello");
        assertThat(hello.path("state").asText()).isEqualTo("ACTIVE");
        assertThat(hello.path("replicas").path("ready").asInt()).isEqualTo(1);
        assertThat(api.states("hello")).containsSubsequence("ZERO", "WAKING", "ACTIVE");

        // Idle for 3s: drained, scaled to zero, the backend process is gone.
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(api.states("hello")).containsSubsequence("ACTIVE", "DRAINING", "ZERO"));
        await().atMost(Duration.ofSeconds(30)).until(() -> ProcessHandle.of(pid).filter(ProcessHandle::isAlive).isEmpty());
        assertThat(api.journalMessages("hello")).anyMatch(message -> message.startsWith("DRAINING -> ZERO"));

        // Wake it again, then shut the daemon down: the workload stays as it is.
        HttpResponse<String> second = send("/again", Duration.ofMinutes(1));
        assertThat(second.statusCode()).isEqualTo(200);
        long secondPid = pid(second.body());

        // A request in flight when shutdown starts is drained, not cut.
        java.util.concurrent.CompletableFuture<HttpResponse<String>> slow = http.sendAsync(
                gatewayRequest("/slow?seconds=2").timeout(Duration.ofMinutes(1)).build(), HttpResponse.BodyHandlers.ofString());
        await().atMost(Duration.ofSeconds(30)).until(() -> api.target("hello").path("requests").path("inFlight").asInt() == 1);
        // The daemon alone: the test's clean-up stops the workloads it leaves.
        daemon.daemon().stop();
        assertThat(slow.get().statusCode()).isEqualTo(200);
        assertThat(slow.get().body()).contains("GET /slow?seconds=2");
        assertThat(ProcessHandle.of(secondPid).map(ProcessHandle::isAlive)).as("the backend after shutdown").hasValue(true);
        assertThat(Files.readString(data().resolve("orchestrators/local").resolve(Files.list(data().resolve("orchestrators/local"))
                .filter(file -> file.toString().endsWith(".json")).findFirst().orElseThrow().getFileName())))
                .contains(Long.toString(secondPid));
    }

    private long pid(String body) {
        Matcher matcher = PID.matcher(body);
        assertThat(matcher.find()).as("a pid in %s", body).isTrue();
        long pid = Long.parseLong(matcher.group(1));
        backendPids.add(pid);
        return pid;
    }
}
