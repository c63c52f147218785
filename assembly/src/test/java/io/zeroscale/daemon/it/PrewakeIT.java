package io.zeroscale.daemon.it;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;

/**
 * Issue 23's end-to-end point through the real daemon, gateway and process orchestrator: a target
 * whose stored arrival history is timer-like (a request every 3 minutes for two days, the last one
 * this minute) is started at zero, woken by the pre-wake before its next expected request (the
 * journal names the pre-wake and the expected arrival), and the request that then comes finds it
 * ACTIVE and is served without a wake of its own.
 *
 * <p>The history is put where the engine keeps it ({@code <data-dir>/state/history/<target>/<day>.csv},
 * the CSV form {@code zeroscale simulate} reads). With {@code margin: 0} and {@code wake-lead: 10s}
 * the next request is expected 2 minutes after the last and the pre-wake comes 10 s before that:
 * the test waits between 50 and 110 s of real time for it.
 */
class PrewakeIT extends WithDaemon {
    private static final Duration GAP = Duration.ofMinutes(3);

    @Test
    void aTimerLikeTargetIsWokenBeforeItsNextRequestWhichFindsItActive() throws Exception {
        Path busybox = Path.of("/bin/busybox");
        assertThat(busybox).as("busybox serves the backend; install it with: apt-get install -y busybox-static").isExecutable();
        Files.createDirectories(work.resolve("www"));
        Files.writeString(work.resolve("www/index.html"), "timer served\n", UTF_8);

        // Two days of a request every 3 minutes, the last one in the current minute.
        Instant last = Instant.now().truncatedTo(ChronoUnit.MINUTES);
        Map<LocalDate, StringBuilder> days = new TreeMap<>();
        for (Instant at = last.minus(Duration.ofDays(2)); !at.isAfter(last); at = at.plus(GAP)) {
            days.computeIfAbsent(LocalDate.ofInstant(at, ZoneOffset.UTC), day -> new StringBuilder("time,requests\n"))
                    .append(at).append(",1\n");
        }
        Path history = data().resolve("state/history/timer");
        Files.createDirectories(history);
        for (Map.Entry<LocalDate, StringBuilder> day : days.entrySet()) {
            Files.writeString(history.resolve(day.getKey() + ".csv"), day.getValue(), UTF_8);
        }

        start(TestDaemon.processTarget("timer", "sh, -c, 'exec " + busybox + " httpd -f -p 127.0.0.1:$PORT -h " + work.resolve("www")
                + "'", "stop-grace: 1s", "idle: 10m, wake-timeout: 1m, adaptive: { margin: 0, wake-lead: 10s }"));

        Instant expected = last.plus(Duration.ofMinutes(2));
        Instant prewakeAt = expected.minusSeconds(10);
        assertThat(api.target("timer").path("state").asText()).isEqualTo("ZERO");
        JsonNode planned = api.get("/targets/timer/forecast").path("prewake");
        assertThat(planned.path("source").asText()).as("%s", planned).isEqualTo("idle-times");
        assertThat(planned.path("at").asText()).isEqualTo(prewakeAt.toString());
        assertThat(planned.path("expectedFrom").asText()).isEqualTo(expected.toString());

        // No request has been sent: only the pre-wake can make it ACTIVE.
        await("pre-wake at " + prewakeAt + ", then ready").atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(200))
                .until(() -> api.target("timer").path("state").asText().equals("ACTIVE"));
        JsonNode before = api.target("timer");
        assertThat(before.path("requests").path("arrivals").asLong()).as("no request before the pre-wake").isZero();

        HttpResponse<String> response = api.request("/");
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        assertThat(response.body()).isEqualTo("timer served\n");

        // The journal, in order: started at zero with the pre-wake planned; woken by the pre-wake
        // naming the expected arrival; ready; and no wake after that: the request found it ACTIVE.
        List<JsonNode> decisions = api.journal("timer").stream().filter(entry -> entry.path("kind").asText().equals("DECISION")).toList();
        List<String> messages = decisions.stream().map(entry -> entry.path("message").asText()).toList();
        String journal = api.journalText("timer");
        int started = indexOf(messages, message -> message.startsWith("started at zero"));
        int prewake = indexOf(messages, message -> message.startsWith("ZERO -> WAKING: "));
        int ready = indexOf(messages, message -> message.startsWith("WAKING -> ACTIVE: 1 replica(s) ready after "));
        assertThat(started).as(journal).isNotNegative();
        assertThat(prewake).as(journal).isGreaterThan(started);
        assertThat(ready).as(journal).isGreaterThan(prewake);
        assertThat(messages.get(prewake)).as(journal)
                .startsWith("ZERO -> WAKING: waking: pre-wake: next request expected from " + expected
                        + " (adaptive: idle times 3m-3m (percentiles of ")
                .contains("last request " + last + ")");
        assertThat(messages.subList(ready + 1, messages.size())).as("no wake after the pre-wake's: %s", journal)
                .noneMatch(message -> message.contains("-> WAKING"));
        assertThat(api.states("timer")).as(journal).containsExactly("ZERO", "WAKING", "ACTIVE");
        await("the gateway's report of the request").atMost(Duration.ofSeconds(30))
                .until(() -> api.target("timer").path("requests").path("arrivals").asLong() == 1);
        assertThat(api.target("timer").path("state").asText()).isEqualTo("ACTIVE");
    }

    private static int indexOf(List<String> messages, Predicate<String> match) {
        for (int i = 0; i < messages.size(); i++) {
            if (match.test(messages.get(i))) {
                return i;
            }
        }
        return -1;
    }
}
