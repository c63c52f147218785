package io.zeroscale.daemon.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** Reads a running daemon's REST API and sends requests through its gateway, as a user would with curl. */
public final class ApiClient implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final String api;
    private final String gateway;

    public ApiClient(int apiPort, int gatewayPort) {
        this.api = "http://127.0.0.1:" + apiPort;
        this.gateway = "http://127.0.0.1:" + gatewayPort;
    }

    /** A request through the gateway; waits as long as a wake may take. */
    public HttpResponse<String> request(String path) throws IOException, InterruptedException {
        return client.send(HttpRequest.newBuilder(URI.create(gateway + path)).timeout(Duration.ofMinutes(1)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    public JsonNode get(String path) throws IOException, InterruptedException {
        HttpResponse<String> response = client.send(HttpRequest.newBuilder(URI.create(api + path)).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as("GET %s: %s", path, response.body()).isEqualTo(200);
        return JSON.readTree(response.body());
    }

    public JsonNode target(String name) throws IOException, InterruptedException {
        return get("/targets/" + name);
    }

    /** The target's journal, oldest first. */
    public List<JsonNode> journal(String target) throws IOException, InterruptedException {
        List<JsonNode> entries = new ArrayList<>();
        get("/journal?target=" + target + "&limit=1000").forEach(entries::add);
        return entries;
    }

    /** The states the target's decisions went through, oldest first, repeats collapsed. */
    public List<String> states(String target) throws IOException, InterruptedException {
        List<String> states = new ArrayList<>();
        for (JsonNode entry : journal(target)) {
            String state = entry.path("state").asText();
            if (entry.path("kind").asText().equals("DECISION") && (states.isEmpty() || !states.getLast().equals(state))) {
                states.add(state);
            }
        }
        return states;
    }

    /** The messages of the target's journal, oldest first. */
    public List<String> journalMessages(String target) throws IOException, InterruptedException {
        List<String> messages = new ArrayList<>();
        for (JsonNode entry : journal(target)) {
            messages.add(entry.path("message").asText());
        }
        return messages;
    }

    /** Journal lines as "KIND STATE: message", for assertion messages. */
    public String journalText(String target) throws IOException, InterruptedException {
        StringBuilder text = new StringBuilder();
        for (JsonNode entry : journal(target)) {
            text.append(entry.path("at").asText()).append(' ').append(entry.path("kind").asText()).append(' ')
                    .append(entry.path("state").asText()).append(": ").append(entry.path("message").asText()).append('\n');
        }
        return text.toString();
    }

    @Override
    public void close() {
        client.close();
    }
}
