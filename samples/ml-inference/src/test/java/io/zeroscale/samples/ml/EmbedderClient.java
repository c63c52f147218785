package io.zeroscale.samples.ml;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.zeroscale.daemon.Daemon;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * What the embedding tests send to a running daemon: {@code POST /embed} through its gateway, and
 * the {@code embedder} target's status and journal from its API.
 */
final class EmbedderClient implements AutoCloseable {
    static final ObjectMapper JSON = new ObjectMapper();

    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10)).build();
    private final String gateway;
    private final String api;
    private final Duration wait;

    /** {@code wait}: how long one request may take, a wake from zero (model load included) among it. */
    EmbedderClient(Daemon daemon, Duration wait) {
        this.gateway = "http://127.0.0.1:" + daemon.gatewayPort();
        this.api = "http://127.0.0.1:" + daemon.apiPort();
        this.wait = wait;
    }

    /** The embedding of {@code text}, checked to have 384 dimensions and answered 200. */
    float[] embed(String text) throws IOException, InterruptedException {
        HttpResponse<String> response = client.send(embedRequest(text), HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        JsonNode body = JSON.readTree(response.body());
        assertThat(body.path("dimensions").asInt()).isEqualTo(384);
        float[] out = new float[body.path("embedding").size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = (float) body.path("embedding").get(i).asDouble();
        }
        return out;
    }

    /** Sends {@code POST /embed} for {@code text} without waiting for the answer. */
    CompletableFuture<HttpResponse<String>> embedAsync(String text) throws IOException {
        return client.sendAsync(embedRequest(text), HttpResponse.BodyHandlers.ofString());
    }

    private HttpRequest embedRequest(String text) throws IOException {
        return HttpRequest.newBuilder(URI.create(gateway + "/embed"))
                .timeout(wait)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(Map.of("text", text))))
                .build();
    }

    /** {@code GET /targets/embedder}. */
    JsonNode target() throws IOException, InterruptedException {
        return JSON.readTree(client.send(HttpRequest.newBuilder(URI.create(api + "/targets/embedder")).build(),
                HttpResponse.BodyHandlers.ofString()).body());
    }

    /** The embedder's journal as "KIND message" lines, oldest first. */
    List<String> journal() throws IOException, InterruptedException {
        List<String> messages = new ArrayList<>();
        for (JsonNode entry : JSON.readTree(client.send(HttpRequest.newBuilder(URI.create(api + "/journal?target=embedder")).build(),
                HttpResponse.BodyHandlers.ofString()).body())) {
            messages.add(entry.path("kind").asText() + " " + entry.path("message").asText());
        }
        return messages;
    }

    @Override
    public void close() {
        client.close();
    }
}
