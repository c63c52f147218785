package io.zeroscale.plugin.prometheus;

import static java.nio.charset.StandardCharsets.UTF_8;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;

/**
 * The JDK's HTTP server on a free loopback port, answering with replies the test queues (then
 * with a default) and recording every request, for what a real Prometheus cannot show: the exact
 * headers and the number of attempts.
 */
final class LoopbackServer implements AutoCloseable {
    record Request(String method, String path, Map<String, List<String>> headers, String body) {
        String header(String name) {
            return headers.entrySet().stream()
                    .filter(entry -> entry.getKey().equalsIgnoreCase(name))
                    .map(entry -> entry.getValue().getFirst())
                    .findFirst()
                    .orElse("");
        }
    }

    record Reply(int status, String body) {}

    private final HttpServer server;
    private final ConcurrentLinkedQueue<Reply> queued = new ConcurrentLinkedQueue<>();
    private final List<Request> requests = new CopyOnWriteArrayList<>();
    private volatile Reply fallback = new Reply(404, "404 page not found");

    private LoopbackServer(HttpServer server) {
        this.server = server;
    }

    static LoopbackServer start() {
        try {
            HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
            LoopbackServer loopback = new LoopbackServer(server);
            server.createContext("/", loopback::handle);
            server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
            server.start();
            return loopback;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void handle(HttpExchange exchange) throws IOException {
        String body = new String(exchange.getRequestBody().readAllBytes(), UTF_8);
        requests.add(new Request(exchange.getRequestMethod(), exchange.getRequestURI().getRawPath(),
                Map.copyOf(exchange.getRequestHeaders()), body));
        Reply reply = queued.poll();
        if (reply == null) {
            reply = fallback;
        }
        byte[] bytes = reply.body().getBytes(UTF_8);
        exchange.getResponseHeaders().set("Content-Type", reply.body().startsWith("{") ? "application/json" : "text/plain");
        exchange.sendResponseHeaders(reply.status(), bytes.length);
        exchange.getResponseBody().write(bytes);
        exchange.close();
    }

    /** Answers the next request with {@code status} and {@code body}. */
    LoopbackServer then(int status, String body) {
        queued.add(new Reply(status, body));
        return this;
    }

    /** Answers every request with no queued reply so. */
    LoopbackServer always(int status, String body) {
        fallback = new Reply(status, body);
        return this;
    }

    List<Request> requests() {
        return new ArrayList<>(requests);
    }

    String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
