package io.zeroscale.plugin.support;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import io.zeroscale.spi.Config;
import io.zeroscale.spi.ErrorType;
import io.zeroscale.spi.ZeroscaleException;
import io.zeroscale.testkit.FreePorts;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Retries and the caller's error codes, against the JDK's HTTP server on loopback. The plugins'
 * HTTP tests cover auth, TLS and timeouts through their sources.
 */
class HttpTransportTest {
    private enum TestErrorCode implements io.zeroscale.spi.ErrorCode {
        DOWN,
        SLOW,
        TLS;

        @Override
        public ErrorType type() {
            return ErrorType.EXTERNAL;
        }
    }

    private static final HttpErrorCodes ERRORS = new HttpErrorCodes(TestErrorCode.DOWN, TestErrorCode.SLOW, TestErrorCode.TLS);

    private final Queue<Integer> statuses = new ConcurrentLinkedQueue<>();
    private final List<String> requests = new CopyOnWriteArrayList<>();
    private HttpServer server;

    @BeforeEach
    void startServer() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", exchange -> {
            requests.add(exchange.getRequestMethod() + " " + exchange.getRequestURI()
                    + " " + exchange.getRequestHeaders().getFirst("Authorization"));
            Integer status = statuses.poll();
            byte[] body = "{}".getBytes(UTF_8);
            exchange.sendResponseHeaders(status == null ? 200 : status, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        server.start();
    }

    @AfterEach
    void stopServer() {
        server.stop(0);
    }

    private static HttpTransport transport(String url) {
        Map<String, Object> values = Map.of("url", url, "bearer-token", "t0k3n",
                "retries", Map.of("max-attempts", 3, "backoff", "1ms"));
        return new HttpTransport("test", "src", HttpSettings.read(Config.of("metrics.src", values), Set.of(), url), ERRORS);
    }

    private String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/base";
    }

    @Test
    void anOverloadedServerIsAskedAgainUntilItAnswers() {
        statuses.addAll(List.of(503, 429));
        try (HttpTransport http = transport(url())) {
            assertThat(http.get("/api", Map.of("q", "a b")).statusCode()).isEqualTo(200);
        }

        assertThat(requests).containsExactly(
                "GET /base/api?q=a+b Bearer t0k3n", "GET /base/api?q=a+b Bearer t0k3n", "GET /base/api?q=a+b Bearer t0k3n");
    }

    @Test
    void anyOtherAnswerIsTheCallersToRead() {
        statuses.add(500);
        try (HttpTransport http = transport(url())) {
            assertThat(http.postForm("/api", Map.of("q", "x")).statusCode()).isEqualTo(500);
        }

        assertThat(requests).hasSize(1);
    }

    @Test
    void noConnectionFailsWithTheCallersCodeNamingTheBackend() {
        String url = "http://127.0.0.1:" + FreePorts.next();
        try (HttpTransport http = transport(url)) {
            assertThatThrownBy(() -> http.get("/api", Map.of()))
                    .isInstanceOfSatisfying(ZeroscaleException.class,
                            e -> assertThat(e.errorCode()).isEqualTo(TestErrorCode.DOWN))
                    .hasMessageStartingWith("test at " + url + " is unreachable");
        }
    }

    @Test
    void aClosedTransportSendsNothing() {
        HttpTransport http = transport(url());
        http.close();

        assertThatThrownBy(() -> http.get("/api", Map.of()))
                .isInstanceOfSatisfying(ZeroscaleException.class, e -> assertThat(e.errorCode()).isEqualTo(TestErrorCode.DOWN))
                .hasMessageContaining("the source is closed");
        assertThat(requests).isEmpty();
    }
}
