package io.zeroscale.plugin.support;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.Executor;
import org.jspecify.annotations.Nullable;

/**
 * The readiness checks every orchestrator runs against a replica's address: a TCP connect, or an
 * HTTP GET that passes on a 2xx or 3xx answer (redirects are not followed). Blocking: orchestrators
 * call it from their blocking executor. Thread-safe; a replica that is down is a failed {@link
 * Result}, never an exception.
 */
public final class EndpointProbe implements AutoCloseable {
    private final Executor executor;
    private final Object lock = new Object();
    private @Nullable HttpClient http;
    private boolean closed;

    /**
     * A probe whose HTTP client runs its work on {@code executor}. The client is built on the first
     * HTTP probe: building one starts a selector thread and loads the JDK's TLS classes, which a
     * daemon whose targets all sit at zero (or probe over TCP) never needs at start.
     */
    public EndpointProbe(Executor executor) {
        this.executor = requireNonNull(executor, "executor is null");
    }

    private @Nullable HttpClient client() {
        synchronized (lock) {
            if (closed) {
                return null;
            }
            if (http == null) {
                http = HttpClient.newBuilder()
                        // busybox httpd and many small servers do not speak the HTTP/2 upgrade dance.
                        .version(HttpClient.Version.HTTP_1_1)
                        .followRedirects(HttpClient.Redirect.NEVER)
                        .executor(executor)
                        .build();
            }
            return http;
        }
    }

    /** Connects to {@code host:port} within {@code timeout}, then closes the connection. */
    public Result tcp(String host, int port, Duration timeout) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(host, port), (int) Math.max(1, Math.min(Integer.MAX_VALUE, timeout.toMillis())));
            return Result.passed();
        } catch (IOException e) {
            return Result.failed("connecting to " + host + ":" + port + " failed: " + e);
        }
    }

    /** GETs {@code path} on {@code host:port}; ready on a 2xx or 3xx answer within {@code timeout}. */
    public Result http(String host, int port, String path, Duration timeout) {
        String address = host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host;
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://" + address + ":" + port + path))
                .timeout(timeout)
                .GET()
                .build();
        HttpClient client = client();
        if (client == null) {
            return Result.failed("GET " + path + " not sent: the probe is closed");
        }
        try {
            int status = client.send(request, HttpResponse.BodyHandlers.discarding()).statusCode();
            return status >= 200 && status < 400
                    ? Result.passed()
                    : Result.failed("GET " + path + " answered " + status);
        } catch (IOException e) {
            return Result.failed("GET " + path + " failed: " + e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Result.failed("GET " + path + " was interrupted");
        }
    }

    /** Stops the HTTP client; probes after this fail. Idempotent. */
    @Override
    public void close() {
        HttpClient client;
        synchronized (lock) {
            closed = true;
            client = http;
            http = null;
        }
        if (client != null) {
            client.shutdownNow();
        }
    }

    /**
     * The outcome of one probe.
     *
     * @param ready whether the replica passed
     * @param detail {@code ready}, or why it failed
     */
    public record Result(boolean ready, String detail) {
        public Result {
            requireNonNull(detail, "detail is null");
        }

        /** A passed probe. */
        public static Result passed() {
            return new Result(true, "ready");
        }

        /** A failed probe, saying why. */
        public static Result failed(String detail) {
            return new Result(false, detail);
        }
    }
}
