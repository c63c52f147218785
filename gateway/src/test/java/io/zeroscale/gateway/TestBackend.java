package io.zeroscale.gateway;

import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.zeroscale.spi.orchestrator.Endpoint;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A real HTTP backend on a free loopback port (the JDK's own server):
 * {@code /} says hello, {@code /echo} returns the request body, {@code /headers} lists the request
 * headers, {@code /slow} answers once {@link #releaseSlow()} is called, {@code /sse} sends one
 * event, waits for {@link #releaseSse()}, sends another and ends.
 */
final class TestBackend implements AutoCloseable {
    final String name;
    private final HttpServer server;
    private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
    private final AtomicInteger requests = new AtomicInteger();
    private final AtomicInteger slowStarted = new AtomicInteger();
    private final CountDownLatch slowRelease = new CountDownLatch(1);
    private final CountDownLatch sseRelease = new CountDownLatch(1);
    private final AtomicInteger sseOpen = new AtomicInteger();
    private final Set<Integer> clientPorts = ConcurrentHashMap.newKeySet();
    private final List<Map<String, String>> headers = new CopyOnWriteArrayList<>();
    private final List<String> requestLines = new CopyOnWriteArrayList<>();

    private TestBackend(String name, int port) throws IOException {
        this.name = name;
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 1024);
        server.setExecutor(executor);
        server.createContext("/", exchange -> handle(exchange, seen -> send(exchange, 200, "hello from " + name)));
        server.createContext("/echo", exchange -> handle(exchange, seen -> {
            byte[] body;
            try (InputStream in = exchange.getRequestBody()) {
                body = in.readAllBytes();
            }
            exchange.getResponseHeaders().set("Content-Type", "application/octet-stream");
            exchange.sendResponseHeaders(200, body.length == 0 ? -1 : body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        }));
        server.createContext("/headers", exchange -> handle(exchange, seen -> {
            StringBuilder out = new StringBuilder();
            for (Map.Entry<String, String> entry : seen.entrySet()) {
                out.append(entry.getKey()).append(": ").append(entry.getValue()).append('\n');
            }
            exchange.getResponseHeaders().set("Keep-Alive", "timeout=99");
            exchange.getResponseHeaders().set("X-Backend", name);
            send(exchange, 200, out.toString());
        }));
        server.createContext("/slow", exchange -> handle(exchange, seen -> {
            slowStarted.incrementAndGet();
            await(slowRelease);
            send(exchange, 200, "slow from " + name);
        }));
        server.createContext("/sse", exchange -> handle(exchange, seen -> {
            sseOpen.incrementAndGet();
            try {
                exchange.getResponseHeaders().set("Content-Type", "text/event-stream");
                exchange.sendResponseHeaders(200, 0);
                OutputStream out = exchange.getResponseBody();
                out.write("data: 1\n\n".getBytes(StandardCharsets.UTF_8));
                out.flush();
                await(sseRelease);
                out.write("data: 2\n\n".getBytes(StandardCharsets.UTF_8));
                out.close();
            } finally {
                sseOpen.decrementAndGet();
            }
        }));
        server.start();
    }

    static TestBackend start(String name) {
        return start(name, 0);
    }

    /** A backend on {@code port} (0 picks a free one). */
    static TestBackend start(String name, int port) {
        try {
            return new TestBackend(name, port);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private interface Body {
        void run(Map<String, String> requestHeaders) throws IOException;
    }

    private void handle(HttpExchange exchange, Body body) throws IOException {
        requests.incrementAndGet();
        clientPorts.add(exchange.getRemoteAddress().getPort());
        Map<String, String> seen = new TreeMap<>();
        Headers requestHeaders = exchange.getRequestHeaders();
        for (Map.Entry<String, List<String>> entry : requestHeaders.entrySet()) {
            seen.put(entry.getKey().toLowerCase(Locale.ROOT), String.join(",", entry.getValue()));
        }
        headers.add(seen);
        requestLines.add(exchange.getRequestMethod() + " " + exchange.getRequestURI().getRawPath());
        try {
            body.run(seen);
        } finally {
            exchange.close();
        }
    }

    private static void send(HttpExchange exchange, int status, String text) throws IOException {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    private static void await(CountDownLatch latch) {
        try {
            if (!latch.await(60, TimeUnit.SECONDS)) {
                throw new IllegalStateException("test never released the backend");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    Endpoint endpoint() {
        return new Endpoint("127.0.0.1", server.getAddress().getPort());
    }

    int requests() {
        return requests.get();
    }

    int slowStarted() {
        return slowStarted.get();
    }

    int sseOpen() {
        return sseOpen.get();
    }

    /** The distinct client ports seen: one per upstream connection the gateway opened. */
    Set<Integer> clientPorts() {
        return Set.copyOf(clientPorts);
    }

    /** Request headers (lower-case names) of every request, in arrival order. */
    List<Map<String, String>> headers() {
        return List.copyOf(headers);
    }

    /** "METHOD /raw/path" of every request, in arrival order. */
    List<String> requestLines() {
        return List.copyOf(requestLines);
    }

    void releaseSlow() {
        slowRelease.countDown();
    }

    void releaseSse() {
        sseRelease.countDown();
    }

    @Override
    public void close() {
        slowRelease.countDown();
        sseRelease.countDown();
        server.stop(0);
        executor.shutdownNow();
    }
}
