package io.zeroscale.samples.embedded;

import static java.nio.charset.StandardCharsets.UTF_8;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;

/**
 * The expensive backend the service scales to zero: a separate process that takes {@code
 * LOAD_MILLIS} to "load its model" before it listens on {@code PORT} (both from its environment;
 * the process orchestrator sets {@code PORT}). Only JDK classes, so it runs from the service's own
 * class path.
 */
public final class Backend {
    private Backend() {}

    public static void main(String[] args) throws IOException, InterruptedException {
        int port = Integer.parseInt(requiredEnv("PORT"));
        long loadMillis = Long.parseLong(System.getenv().getOrDefault("LOAD_MILLIS", "2000"));
        Thread.sleep(loadMillis); // stands in for loading model weights: nothing listens until it is done
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 0);
        long pid = ProcessHandle.current().pid();
        server.createContext("/health", exchange -> respond(exchange, 200, "ok\n"));
        server.createContext("/greet", exchange -> {
            String query = exchange.getRequestURI().getRawQuery();
            String name = "world";
            if (query != null && query.startsWith("name=")) {
                name = URLDecoder.decode(query.substring("name=".length()), UTF_8);
            }
            respond(exchange, 200, "Hello, " + name + "! (backend pid " + pid + ", loaded in " + loadMillis + " ms)\n");
        });
        server.start();
    }

    private static void respond(HttpExchange exchange, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    private static String requiredEnv(String name) {
        String value = System.getenv(name);
        if (value == null || value.isBlank()) {
            throw new IllegalStateException(name + " is not set; this backend is started by Zeroscale's process orchestrator");
        }
        return value;
    }
}
