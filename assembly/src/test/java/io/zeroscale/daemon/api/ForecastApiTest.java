package io.zeroscale.daemon.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.networknt.schema.InputFormat;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import io.zeroscale.daemon.Daemon;
import io.zeroscale.daemon.Plugins;
import io.zeroscale.daemon.config.ConfigLoader;
import io.zeroscale.daemon.config.DaemonConfig;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code GET /targets/{name}/forecast} on a real daemon whose adaptive target has a stored history
 * with a request an hour from now on each of the three days before: the forecast names that slot,
 * the policy planned its pre-wake, and the answer matches the OpenAPI document's schema exactly.
 */
class ForecastApiTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path data;

    private static Daemon daemon;
    private static HttpClient client;
    private static String base;
    private static Instant expectedSlot;

    @BeforeAll
    static void start() throws Exception {
        Instant now = Instant.now();
        Instant inAnHour = now.plus(Duration.ofHours(1));
        expectedSlot = Instant.ofEpochSecond(Math.floorDiv(inAnHour.getEpochSecond(), 600) * 600);
        StringBuilder csv = new StringBuilder("time,requests\n");
        for (int day = 3; day >= 1; day--) {
            csv.append(Instant.ofEpochSecond(Math.floorDiv(inAnHour.minus(Duration.ofDays(day)).getEpochSecond(), 60) * 60)).append(",2\n");
        }
        Path history = data.resolve("engine").resolve("history");
        Files.createDirectories(history);
        Files.writeString(history.resolve("web.csv"), csv);
        String yaml = """
                orchestrators:
                  local: { type: process }
                gateway: { listen: 127.0.0.1:0 }
                api: { listen: 127.0.0.1:0 }
                targets:
                  web:
                    orchestrator: local
                    workload: { kind: Process, command: [java, Backend.java] }
                    route: { path: /web }
                    policy: { automaton: adaptive, idle: 30s, replicas: { min: 0, max: 1 } }
                  plain:
                    orchestrator: local
                    workload: { kind: Process, command: [java, Backend.java] }
                    route: { path: / }
                    policy: { idle: 30s, replicas: { min: 0, max: 1 } }
                """;
        DaemonConfig config = new ConfigLoader(Map.<String, String>of()::get)
                .parse(yaml, "forecast-test.yaml", data, Map.of("data-dir", data.toString()));
        daemon = Daemon.create(config, Plugins.load(null)).start();
        client = HttpClient.newHttpClient();
        base = "http://127.0.0.1:" + daemon.apiPort();
    }

    @AfterAll
    static void stop() {
        daemon.stop();
        client.close();
    }

    private static HttpResponse<String> get(String path) throws Exception {
        return client.send(HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /** The 200 schema of the route in the daemon's own OpenAPI document. */
    private static Schema documentedSchema() throws Exception {
        JsonNode document;
        try (InputStream in = ApiHandlers.class.getResourceAsStream("/io/zeroscale/daemon/api/openapi.json")) {
            document = JSON.readTree(in);
        }
        JsonNode schema = document.path("paths").path("/targets/{name}/forecast").path("get").path("responses").path("200")
                .path("content").path("application/json").path("schema");
        assertThat(schema.isObject()).as("documented").isTrue();
        return SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12).getSchema(schema.toString(), InputFormat.JSON);
    }

    @Test
    void theForecastNamesTheExpectedSlotAndThePlannedPreWake() throws Exception {
        HttpResponse<String> response = get("/targets/web/forecast");
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(documentedSchema().validate(response.body(), InputFormat.JSON)).as(response.body()).isEmpty();

        JsonNode body = JSON.readTree(response.body());
        JsonNode seasonal = body.path("seasonal");
        assertThat(seasonal.path("available").asBoolean()).isTrue();
        assertThat(seasonal.path("slotSeconds").asInt()).isEqualTo(600);
        assertThat(seasonal.path("slots").size()).isEqualTo(144);
        JsonNode window = seasonal.path("windows").get(0);
        assertThat(window.path("start").asText()).isEqualTo(expectedSlot.toString());
        assertThat(window.path("probability").asDouble()).isEqualTo(0.8);
        assertThat(window.path("evidence").asText()).isEqualTo("probability 0.80: 3 of 3 days");

        JsonNode prewake = body.path("prewake");
        assertThat(prewake.path("source").asText()).isEqualTo("seasonal");
        assertThat(prewake.path("at").asText()).isEqualTo(expectedSlot.minusSeconds(30).toString());
        assertThat(prewake.path("expectedFrom").asText()).isEqualTo(expectedSlot.toString());
        assertThat(prewake.path("reason").asText()).startsWith("requests expected from " + expectedSlot);
    }

    @Test
    void aPolicyWithoutForecastAnswersNullsAndAnUnknownTarget404() throws Exception {
        HttpResponse<String> plain = get("/targets/plain/forecast");
        assertThat(plain.statusCode()).isEqualTo(200);
        assertThat(documentedSchema().validate(plain.body(), InputFormat.JSON)).isEmpty();
        assertThat(JSON.readTree(plain.body())).isEqualTo(JSON.readTree("{\"target\":\"plain\",\"seasonal\":null,\"prewake\":null}"));

        HttpResponse<String> unknown = get("/targets/nope/forecast");
        assertThat(unknown.statusCode()).isEqualTo(404);
        assertThat(unknown.body()).contains("no target named 'nope'");
    }
}
