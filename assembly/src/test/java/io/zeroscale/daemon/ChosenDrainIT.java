package io.zeroscale.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.zeroscale.daemon.it.SteadyLoad;
import io.zeroscale.daemon.it.WithDaemon;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * 3 to 1 under steady load through the gateway, with the quickstart backend run by the process
 * orchestrator: the engine drains the two newest replicas, the gateway sends them nothing new and
 * lets their requests finish, and only then are exactly those two told to stop. Every request
 * succeeds, and each stopped replica's own log says it had 0 requests in flight at SIGTERM.
 */
class ChosenDrainIT extends WithDaemon {
    private static final Pattern PID = Pattern.compile("pid (\\d+)");
    private static final Pattern STOPPING = Pattern.compile("stopping with (\\d+) request\\(s\\) in flight");
    private static final int CLIENTS = 6;

    private final Set<Long> backendPids = ConcurrentHashMap.newKeySet();

    @BeforeEach
    void checkBackendsGoneAfterCleanUp() {
        closeAfter(() -> QuickstartIT.assertGone(backendPids));
    }

    @Test
    void threeToOneUnderLoadFailsNoRequestAndStopsOnlyIdleReplicas() throws Exception {
        start(QuickstartIT.quickstart(), Map.of("targets.hello.workload.env.LOAD_SECONDS", "1", "targets.hello.policy.replicas.max", "3",
                "targets.hello.policy.idle", "10m"));
        assertThat(send("/").statusCode()).isEqualTo(200);
        daemon.daemon().zeroscale().engine().setOverride("hello", 3, null, "ChosenDrainIT");
        await().atMost(Duration.ofSeconds(60)).until(() -> api.target("hello").path("replicas").path("ready").asInt() == 3);

        // Each request takes 300 ms on the backend: a removed replica would be caught mid-request.
        // Bounded: stops when the test says so, or after 5 000 requests per client.
        SteadyLoad load = SteadyLoad.start(CLIENTS, 5_000, n -> send("/work?seconds=0.3"));
        List<String> failures;
        try {
            await().atMost(Duration.ofSeconds(30)).until(() -> backendPids.size() == 3);
            load.awaitMore(30, Duration.ofSeconds(60));

            daemon.daemon().zeroscale().engine().setOverride("hello", 1, null, "ChosenDrainIT");
            await().atMost(Duration.ofSeconds(60)).until(() -> {
                JsonNode replicas = api.target("hello").path("replicas");
                return replicas.path("observed").asInt() == 1 && replicas.path("backendDesired").asInt() == 1;
            });
            await().atMost(Duration.ofSeconds(30)).until(() -> backendPids.stream().filter(pid -> ProcessHandle.of(pid)
                    .filter(ProcessHandle::isAlive).isPresent()).count() == 1);
            // Answered by the one replica left.
            load.awaitMore(20, Duration.ofSeconds(60));
        } finally {
            failures = load.stop();
        }

        System.out.printf("ChosenDrainIT: %d requests answered, %d failed%n", load.ok(), failures.size());

        List<Path> logs;
        try (Stream<Path> files = Files.list(data().resolve("orchestrators/local"))) {
            logs = files.filter(file -> file.toString().endsWith(".log")).toList();
        }
        List<Integer> inFlightAtStop = new ArrayList<>();
        for (Path log : logs) {
            Matcher stopping = STOPPING.matcher(Files.readString(log));
            while (stopping.find()) {
                inFlightAtStop.add(Integer.parseInt(stopping.group(1)));
            }
        }
        System.out.printf("ChosenDrainIT: in flight at SIGTERM per removed replica: %s%n", inFlightAtStop);
        // A replica stopped mid-request may still finish it (the backend's stop waits up to 1 s) and
        // the gateway retries a safe request a dying replica refused, so the clients alone cannot
        // tell; each replica's own log shows whether it was stopped with requests in flight.
        assertThat(inFlightAtStop).as("in-flight requests each removed replica logged at SIGTERM").containsExactly(0, 0);
        assertThat(api.journalMessages("hello")).anyMatch(message -> message.startsWith("draining [") && message.contains("to go down to 1"));
        assertThat(failures).as("failed requests during 3 -> 1 under load").isEmpty();
        assertThat(load.ok()).as("requests answered").isGreaterThan(50);
    }

    private HttpResponse<String> send(String path) throws Exception {
        HttpResponse<String> response = send(path, Duration.ofMinutes(1));
        Matcher matcher = PID.matcher(response.body());
        if (matcher.find()) {
            backendPids.add(Long.parseLong(matcher.group(1)));
        }
        return response;
    }
}
