package io.zeroscale.daemon.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.stream.Stream;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The dashboard's per-target series lives in the engine's state store, next to the arrival
 * history: a restarted daemon (or a new leader over the same store) charts the points from before.
 */
class TargetSeriesStoreTest {
    private static final String TOKEN = "series-token-0123456789";
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path data;

    private static JsonNode series(ApiTestDaemon api) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(URI.create(api.base() + "/targets/hello/series")).timeout(Duration.ofSeconds(10))
                .header("Authorization", "Bearer " + TOKEN).GET().build();
        HttpResponse<String> response = api.client().send(request, HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).isEqualTo(200);
        return JSON.readTree(response.body());
    }

    private ApiTestDaemon start() {
        return ApiTestDaemon.start(data, ", token: \"${API_TOKEN}\"", Map.of("API_TOKEN", TOKEN));
    }

    @Test
    void theSeriesSurvivesARestartThroughTheSameStoreAsTheHistory() throws Exception {
        ApiTestDaemon first = start();
        JsonNode before;
        try {
            Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> series(first).path("points").size() >= 1);
            before = series(first).path("points").get(0);
        } finally {
            first.stop();
        }
        Path document = data.resolve("state").resolve("series").resolve("hello").resolve("dashboard.json");
        assertThat(document).exists();
        assertThat(JSON.readTree(Files.readString(document)).get(0)).isEqualTo(before);

        ApiTestDaemon second = start();
        try {
            assertThat(series(second).path("points").get(0)).as("the first daemon's point, read from the store").isEqualTo(before);
        } finally {
            second.stop();
        }
    }

    @Test
    void aCorruptSeriesIsSetAsideAndJournalled() throws Exception {
        Path document = data.resolve("state").resolve("series").resolve("hello").resolve("dashboard.json");
        Files.createDirectories(document.getParent());
        Files.writeString(document, "{not json");

        ApiTestDaemon api = start();
        try {
            Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> series(api).path("points").size() >= 1);
            HttpRequest request = HttpRequest.newBuilder(URI.create(api.base() + "/journal?target=hello")).timeout(Duration.ofSeconds(10))
                    .header("Authorization", "Bearer " + TOKEN).GET().build();
            Awaitility.await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(
                    api.client().send(request, HttpResponse.BodyHandlers.ofString()).body())
                    .contains("HISTORY").contains("series " + document + " could not be read").contains("set aside as " + document
                            + ".corrupt-"));
        } finally {
            api.stop();
        }
        try (Stream<Path> files = Files.list(document.getParent())) {
            assertThat(files.map(path -> path.getFileName().toString())).anyMatch(name -> name.startsWith("dashboard.json.corrupt-"));
        }
    }
}
