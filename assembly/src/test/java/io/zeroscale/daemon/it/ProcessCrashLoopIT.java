package io.zeroscale.daemon.it;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A process that cannot start (it prints a line and exits with status 3 while its model file is
 * missing), through the real daemon, gateway and process orchestrator: the first request gets 503
 * with the reason and Retry-After within seconds, restarts back off, and once the file appears the
 * first request after the backoff wakes it and the backoff is reset.
 */
class ProcessCrashLoopIT extends WithDaemon {
    @Test
    void aCommandThatExitsWithStatus3IsAnsweredWithItsReasonBacksOffAndWakesOnceFixed() throws Exception {
        Path busybox = Path.of("/bin/busybox");
        assertThat(busybox).as("busybox serves the fixed backend; install it with: apt-get install -y busybox-static").isExecutable();
        Path model = work.resolve("model.bin");
        Path starts = work.resolve("starts.log");
        Files.createDirectories(work.resolve("www"));
        Files.writeString(work.resolve("www/index.html"), "model served\n", UTF_8);
        start(TestDaemon.processTarget("model", "sh, -c, 'echo start >> %s; [ -f %s ] && exec %s httpd -f -p 127.0.0.1:$PORT -h %s;"
                .formatted(starts, model, busybox, work.resolve("www")) + " echo \"model file missing: " + model + "\"; exit 3'",
                "stop-grace: 1s", "wake-timeout: 2m, idle: 5m"));

        // Within 5 s: two starts a second apart both exit, the policy gives up and says why.
        HttpResponse<String> first = send("/", Duration.ofSeconds(5));
        assertThat(first.statusCode()).as(first.body()).isEqualTo(503);
        assertThat(first.body()).startsWith("target model cannot start: replica 127.0.0.1:")
                .contains("exited with status 3 before it was ready", "last output: model file missing: " + model)
                .contains("2 failed starts in a row");
        long retryAfter = Long.parseLong(first.headers().firstValue("Retry-After").orElseThrow());
        assertThat(retryAfter).isBetween(1L, 2L);
        JsonNode failures = api.target("model").path("startFailures");
        assertThat(failures.path("failuresInARow").asInt()).isEqualTo(2);
        assertThat(failures.path("gaveUp").asBoolean()).isTrue();
        assertThat(failures.path("backingOff").asBoolean()).isTrue();
        assertThat(api.target("model").path("state").asText()).isEqualTo("ZERO");

        // A client that insists for 8 s: refused at once during each backoff (2 s, then 4 s), one
        // start after each; without backoff this made dozens of starts.
        long until = System.nanoTime() + Duration.ofSeconds(8).toNanos();
        int answered = 0;
        while (System.nanoTime() < until) {
            HttpResponse<String> again = send("/", Duration.ofSeconds(5));
            assertThat(again.statusCode()).as(again.body()).isEqualTo(503);
            assertThat(again.body()).contains("status 3", "model file missing");
            answered++;
            Thread.sleep(200);
        }
        assertThat(answered).as("answered at once, not after a wake timeout").isGreaterThan(10);
        assertThat(Files.readAllLines(starts)).hasSizeBetween(3, 4);

        // The model file appears: the first request after the current backoff wakes the target.
        Files.writeString(model, "weights", UTF_8);
        HttpResponse<String> refused = send("/", Duration.ofSeconds(5));
        if (refused.statusCode() == 503) {
            Thread.sleep(Duration.ofSeconds(Long.parseLong(refused.headers().firstValue("Retry-After").orElseThrow())));
        }
        HttpResponse<String> woken = send("/", Duration.ofSeconds(30));
        assertThat(woken.statusCode()).as(woken.body()).isEqualTo(200);
        assertThat(woken.body()).isEqualTo("model served\n");
        // The status view follows the decision a moment after the response went out.
        JsonNode model1 = await().atMost(Duration.ofSeconds(30)).until(() -> api.target("model"),
                status -> status.path("state").asText().equals("ACTIVE"));
        assertThat(model1.path("startFailures").isNull()).as("backoff reset: %s", model1).isTrue();

        List<JsonNode> streaks = api.journal("model").stream().filter(entry -> entry.path("kind").asText().equals("START_FAILURES")).toList();
        assertThat(streaks).as(api.journalText("model")).hasSize(1);
        assertThat(streaks.getFirst().path("message").asText())
                .contains("replicas failed in a row", "first: replica 127.0.0.1:", "exited with status 3", "model file missing")
                .endsWith("ended: a replica became ready; backoff reset");
        assertThat(api.journal("model")).filteredOn(entry -> entry.path("kind").asText().equals("ALERT")).hasSize(1);
    }
}
