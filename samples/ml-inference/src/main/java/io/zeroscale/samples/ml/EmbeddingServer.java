package io.zeroscale.samples.ml;

import static java.nio.charset.StandardCharsets.UTF_8;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Executors;

/**
 * The inference service Zeroscale scales: it loads the model first and only then listens on {@code
 * PORT} (set by the process orchestrator), so "ready" means the model is loaded.
 *
 * <ul>
 *   <li>{@code POST /embed} with {@code {"text": "..."}} answers {@code {"dimensions": 384,
 *       "embedding": [...]}};
 *   <li>{@code GET /health} answers 200 once the model is loaded.
 * </ul>
 *
 * Environment: {@code PORT}, {@code MODEL_DIR} (the directory with {@code model.onnx} and {@code
 * tokenizer.json}), optional {@code BIND_ADDRESS} (default loopback; the container image sets {@code
 * 0.0.0.0}).
 */
public final class EmbeddingServer {
    private static final ObjectMapper JSON = new ObjectMapper();

    private EmbeddingServer() {}

    public static void main(String[] args) throws Exception {
        String port = System.getenv("PORT");
        String modelDir = System.getenv("MODEL_DIR");
        if (port == null || modelDir == null) {
            throw new IllegalStateException("PORT and MODEL_DIR must be set; Zeroscale's process orchestrator sets PORT");
        }
        long started = System.nanoTime();
        Embedder embedder = Embedder.load(Path.of(modelDir));
        long loadMillis = (System.nanoTime() - started) / 1_000_000;
        // Loopback unless told otherwise: in a container the published port reaches it only on 0.0.0.0.
        String bind = System.getenv("BIND_ADDRESS");
        InetAddress address = bind == null || bind.isBlank() ? InetAddress.getLoopbackAddress() : InetAddress.getByName(bind);
        HttpServer server = HttpServer.create(new InetSocketAddress(address, Integer.parseInt(port)), 128);
        server.setExecutor(Executors.newFixedThreadPool(Math.max(2, Runtime.getRuntime().availableProcessors())));
        server.createContext("/health", exchange -> respond(exchange, 200, Map.of("status", "ready", "modelLoadMillis", loadMillis)));
        server.createContext("/embed", exchange -> embed(exchange, embedder));
        server.start();
        System.out.println("embedder " + ProcessHandle.current().pid() + ": model loaded in " + loadMillis + " ms, listening on " + port);
    }

    private static void embed(HttpExchange exchange, Embedder embedder) throws IOException {
        if (!"POST".equals(exchange.getRequestMethod())) {
            respond(exchange, 405, Map.of("error", "use POST /embed with {\"text\": \"...\"}"));
            return;
        }
        JsonNode body;
        try {
            body = JSON.readTree(exchange.getRequestBody());
        } catch (IOException e) {
            respond(exchange, 400, Map.of("error", "the body is not JSON: " + e.getMessage()));
            return;
        }
        JsonNode text = body == null ? null : body.get("text");
        if (text == null || !text.isTextual() || text.asText().isBlank()) {
            respond(exchange, 400, Map.of("error", "the body needs a non-empty string field 'text', e.g. {\"text\": \"hello\"}"));
            return;
        }
        try {
            float[] embedding = embedder.embed(text.asText());
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("dimensions", embedding.length);
            out.put("embedding", embedding);
            respond(exchange, 200, out);
        } catch (Exception e) {
            respond(exchange, 500, Map.of("error", "inference failed: " + e));
        }
    }

    private static void respond(HttpExchange exchange, int status, Object body) throws IOException {
        byte[] bytes = JSON.writeValueAsString(body).getBytes(UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }
}
