package io.zeroscale.engine.process;

import static java.util.Objects.requireNonNull;

import io.zeroscale.engine.process.ProcessWorkloadSpec.Probe;
import io.zeroscale.engine.process.ProcessWorkloadSpec.Readiness;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.Executor;

/** Checks once, blocking, whether a replica is ready. Call it from the blocking executor. */
final class ReadinessProbe implements AutoCloseable {
    private final String host;
    private final HttpClient http;

    ReadinessProbe(String host, Executor executor) {
        this.host = requireNonNull(host, "host is null");
        this.http = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .followRedirects(HttpClient.Redirect.NEVER)
                .executor(executor)
                .build();
    }

    /** Probes the replica on {@code port}; never throws for a replica that is down. */
    Result check(Readiness readiness, int port) {
        return switch (readiness.probe()) {
            case Probe.Http probe -> http(probe.path(), port, readiness.timeout());
            case Probe.Tcp probe -> tcp(port, readiness.timeout());
        };
    }

    private Result http(String path, int port, Duration timeout) {
        String address = host.contains(":") ? "[" + host + "]" : host;
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://" + address + ":" + port + path))
                .timeout(timeout)
                .GET()
                .build();
        try {
            int status = http.send(request, HttpResponse.BodyHandlers.discarding()).statusCode();
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

    private Result tcp(int port, Duration timeout) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(host, port), (int) Math.min(Integer.MAX_VALUE, timeout.toMillis()));
            return Result.passed();
        } catch (IOException e) {
            return Result.failed("connecting to " + host + ":" + port + " failed: " + e);
        }
    }

    @Override
    public void close() {
        http.shutdownNow();
    }

    /** The outcome of one probe; {@code detail} says why it failed. */
    record Result(boolean ready, String detail) {
        Result {
            requireNonNull(detail, "detail is null");
        }

        static Result passed() {
            return new Result(true, "ready");
        }

        static Result failed(String detail) {
            return new Result(false, detail);
        }
    }
}
