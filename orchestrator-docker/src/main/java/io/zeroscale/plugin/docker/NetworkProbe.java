package io.zeroscale.plugin.docker;

import io.zeroscale.spi.orchestrator.Endpoint;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/** TCP connects and HTTP GETs with the JDK's own clients. */
final class NetworkProbe implements Probe, AutoCloseable {
    private final HttpClient http = HttpClient.newBuilder()
            // busybox httpd and many small servers do not speak the HTTP/2 upgrade dance.
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5))
            .followRedirects(HttpClient.Redirect.NEVER)
            .build();

    @Override
    public boolean ready(Endpoint endpoint, GroupSpec.Readiness readiness) {
        return switch (readiness.kind()) {
            case NONE -> true;
            case TCP -> connects(endpoint, readiness.timeout());
            case HTTP -> answers(endpoint, readiness);
        };
    }

    private static boolean connects(Endpoint endpoint, Duration timeout) {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(endpoint.host(), endpoint.port()), timeoutMillis(timeout));
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private boolean answers(Endpoint endpoint, GroupSpec.Readiness readiness) {
        if (!connects(endpoint, readiness.timeout())) {
            return false;
        }
        HttpRequest request = HttpRequest.newBuilder(URI.create(
                        "http://" + hostForUri(endpoint.host()) + ":" + endpoint.port() + readiness.path()))
                .timeout(readiness.timeout())
                .GET()
                .build();
        try {
            int status = http.send(request, HttpResponse.BodyHandlers.discarding()).statusCode();
            return status >= 200 && status < 400;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private static String hostForUri(String host) {
        return host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host;
    }

    private static int timeoutMillis(Duration timeout) {
        return (int) Math.max(1, Math.min(Integer.MAX_VALUE, timeout.toMillis()));
    }

    @Override
    public void close() {
        http.close();
    }
}
