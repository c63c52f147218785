package io.zeroscale.plugin.docker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.zeroscale.spi.orchestrator.Endpoint;
import io.zeroscale.spi.orchestrator.Workload;
import io.zeroscale.spi.orchestrator.WorkloadEvent;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Measures, for one image, how long a wake takes from PAUSED (unpause) and from ZERO (create and
 * start): from the orchestrator call to the first 200 answer at the endpoint it pushed. The module
 * README reports the numbers this prints.
 */
class WakeTimeIT {
    private static final int ROUNDS = 5;
    private static final Duration READY = Duration.ofSeconds(30);

    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private final AtomicReference<Endpoint> pushed = new AtomicReference<>();
    private DockerOrchestrator orchestrator;
    private Workload workload;

    @BeforeEach
    void start() {
        Podman.require();
        workload = Podman.httpd(Podman.uniqueName("wake"),
                Map.of("readiness", Map.of("http", "/", "interval", "20ms")));
        orchestrator = Podman.orchestrator(Map.of());
        orchestrator.attach(workload);
        orchestrator.watch(workload.target(), event -> {
            if (event instanceof WorkloadEvent.Changed changed) {
                List<Endpoint> endpoints = changed.state().readyEndpoints();
                pushed.set(endpoints.isEmpty() ? null : endpoints.get(0));
            }
        });
    }

    @AfterEach
    void stop() {
        orchestrator.close();
        Podman.removeAll(workload.target());
        http.close();
    }

    @Test
    void wakingFromPausedIsFasterThanWakingFromZero() throws Exception {
        List<Long> fromZero = new ArrayList<>();
        List<Long> fromPaused = new ArrayList<>();
        for (int round = 0; round < ROUNDS; round++) {
            long start = System.nanoTime();
            orchestrator.scale(workload.target(), 1);
            fromZero.add(firstAnswer(start));

            orchestrator.pause(workload.target());
            await().atMost(READY).until(() -> pushed.get() == null);
            start = System.nanoTime();
            orchestrator.resume(workload.target());
            fromPaused.add(firstAnswer(start));

            orchestrator.scale(workload.target(), 0);
            await().atMost(READY).until(() -> pushed.get() == null
                    && Podman.containersOf(workload.target()).isEmpty());
        }
        long zero = median(fromZero);
        long paused = median(fromPaused);
        System.out.printf("wake time, same image (%s), call to first 200, %d rounds:%n", Podman.IMAGE, ROUNDS);
        System.out.printf("  from PAUSED: median %d ms (all: %s)%n", paused, fromPaused);
        System.out.printf("  from ZERO:   median %d ms (all: %s)%n", zero, fromZero);
        assertThat(paused).as("median wake from PAUSED vs from ZERO, ms").isLessThan(zero);
    }

    /** Waits for a pushed endpoint, then for its first 200; returns ms since {@code start}. */
    private long firstAnswer(long start) {
        Endpoint endpoint = await().atMost(READY).pollInterval(Duration.ofMillis(1)).until(pushed::get, e -> e != null);
        await().atMost(READY).pollInterval(Duration.ofMillis(1)).ignoreExceptions().until(() -> http.send(
                HttpRequest.newBuilder(URI.create("http://" + endpoint + "/")).timeout(Duration.ofSeconds(2)).build(),
                HttpResponse.BodyHandlers.discarding()).statusCode() == 200);
        return (System.nanoTime() - start) / 1_000_000;
    }

    private static long median(List<Long> values) {
        List<Long> sorted = values.stream().sorted().toList();
        return sorted.get(sorted.size() / 2);
    }
}
