import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The quickstart's backend: a stand-in for a model server. It "loads a model" for LOAD_SECONDS
 * (default 3) before it listens on PORT, which Zeroscale's process orchestrator sets, so the first
 * request after a scale from zero visibly waits for it; ?seconds=N makes a request take N seconds.
 * When told to stop (SIGTERM) it prints how many requests it still had in flight, so a drain that
 * worked shows 0. Run as a single source file: java Backend.java
 */
public final class Backend {
    private Backend() {}

    public static void main(String[] args) throws Exception {
        int port = Integer.parseInt(env("PORT", "8000"));
        double loadSeconds = Double.parseDouble(env("LOAD_SECONDS", "3"));
        long pid = ProcessHandle.current().pid();
        System.out.printf("backend (pid %d): loading the model for %.1fs ...%n", pid, loadSeconds);
        // The sample's whole point: a slow start, like loading model weights.
        Thread.sleep(Math.round(loadSeconds * 1000));

        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 0);
        server.createContext("/health", exchange -> answer(exchange, 200, "ok\n"));
        AtomicInteger inFlight = new AtomicInteger();
        server.createContext("/", exchange -> {
            inFlight.incrementAndGet();
            try {
                // ?seconds=N pretends the request takes that long, like a slow inference.
                String query = exchange.getRequestURI().getQuery();
                if (query != null && query.startsWith("seconds=")) {
                    try {
                        Thread.sleep(Math.round(Double.parseDouble(query.substring("seconds=".length())) * 1000));
                    } catch (NumberFormatException | InterruptedException e) {
                        answer(exchange, 400, "seconds must be a number\n");
                        return;
                    }
                }
                answer(exchange, 200, String.format("hello from the backend (pid %d), model loaded in %.1fs: %s %s%n",
                        pid, loadSeconds, exchange.getRequestMethod(), exchange.getRequestURI()));
            } finally {
                inFlight.decrementAndGet();
            }
        });
        server.setExecutor(Executors.newFixedThreadPool(4));
        server.start();
        System.out.printf("backend (pid %d): listening on 127.0.0.1:%d%n", pid, port);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            System.out.printf("backend (pid %d): stopping with %d request(s) in flight%n", pid, inFlight.get());
            server.stop(1);
        }));
    }

    private static String env(String name, String fallback) {
        String value = System.getenv(name);
        return value == null || value.isBlank() ? fallback : value;
    }

    private static void answer(HttpExchange exchange, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getRequestBody().readAllBytes();
        exchange.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }
}
