package io.zeroscale.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * Clients that hold on to the gateway: slow heads, stalled bodies, idle keep-alive connections,
 * many connections or held requests from one address. Timeouts are short and configured; the
 * bounds are the timeout plus one second, as the gateway promises.
 */
class GatewayClientLimitsIT extends GatewayTestSupport {
    private static final Duration SHORT = Duration.ofSeconds(1);
    private static final long BOUND_NANOS = SHORT.plusSeconds(1).toNanos();

    private Gateway startWith(GatewayConfig.Builder config) {
        return start(config.build(), GatewayRoute.path(APP, "/"));
    }

    @Test
    void aSlowRequestHeadGets408WithinTheHeaderTimeout() throws Exception {
        TestBackend backend = backend("b");
        hub.forward(APP, backend.endpoint());
        Gateway gateway = startWith(GatewayConfig.builder().headerTimeout(SHORT).idleTimeout(Duration.ofMinutes(1)));
        RawHttp client = closeLater(new RawHttp(gateway.port()));

        long start = System.nanoTime();
        RawHttp.Response response = client.send("GET / HTTP/1.1\r\nHost: a\r\nX-Slow: ").read();
        boolean closed = client.closedByServer();
        long elapsed = System.nanoTime() - start;

        assertThat(response.status()).isEqualTo(408);
        assertThat(response.body()).isEqualTo("the request head did not arrive within 1s (header-timeout)\n");
        assertThat(closed).isTrue();
        assertThat(elapsed).as("closed within header-timeout + 1s").isLessThan(BOUND_NANOS);
        assertThat(backend.requests()).isZero();
    }

    @Test
    void aStalledBodyGets408WithinTheBodyTimeoutAndFreesItsSlot() throws Exception {
        TestBackend backend = backend("b");
        hub.forward(APP, backend.endpoint());
        Gateway gateway = startWith(GatewayConfig.builder().bodyTimeout(SHORT));
        RawHttp client = closeLater(new RawHttp(gateway.port()));

        long start = System.nanoTime();
        client.send("POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 100\r\n\r\nonly ten b");
        await().atMost(Duration.ofSeconds(5)).until(() -> gateway.stats(APP).inFlight() == 1);
        RawHttp.Response response = client.read();
        boolean closed = client.closedByServer();
        long elapsed = System.nanoTime() - start;

        assertThat(response.status()).isEqualTo(408);
        assertThat(response.body()).isEqualTo("the request body stalled: nothing arrived for 1s (body-timeout)\n");
        assertThat(closed).isTrue();
        assertThat(elapsed).as("closed within body-timeout + 1s").isLessThan(BOUND_NANOS);
        assertThat(gateway.stats(APP).inFlight()).as("the in-flight slot is free, so the target can idle").isZero();
        assertThat(hub.latest(APP).inFlight()).isZero();
        assertThat(backend.requests()).isZero();
    }

    @Test
    void aStalledBodyOfAHeldRequestLeavesTheHoldQueue() throws Exception {
        // No endpoint: the request is held while its body stalls.
        Gateway gateway = startWith(GatewayConfig.builder().bodyTimeout(SHORT));
        RawHttp client = closeLater(new RawHttp(gateway.port()));

        client.send("POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n");
        await().atMost(Duration.ofSeconds(5)).until(() -> gateway.stats(APP).held() == 1);
        RawHttp.Response response = client.read();

        assertThat(response.status()).isEqualTo(408);
        assertThat(client.closedByServer()).isTrue();
        assertThat(gateway.stats(APP).held()).isZero();
        await().atMost(Duration.ofSeconds(5)).until(() -> hub.latest(APP).held() == 0);
    }

    @Test
    void anIdleKeepAliveConnectionIsClosedWithinTheIdleTimeout() throws Exception {
        TestBackend backend = backend("b");
        hub.forward(APP, backend.endpoint());
        Gateway gateway = startWith(GatewayConfig.builder().idleTimeout(SHORT).headerTimeout(Duration.ofMinutes(1)));
        RawHttp client = closeLater(new RawHttp(gateway.port()));

        assertThat(client.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n").read().status()).isEqualTo(200);
        long start = System.nanoTime();
        boolean closed = client.closedByServer();
        long elapsed = System.nanoTime() - start;

        assertThat(closed).isTrue();
        assertThat(elapsed).as("closed within idle-timeout + 1s").isLessThan(BOUND_NANOS);
    }

    @Test
    void twoThousandIdleConnectionsFromOneClientDoNotStopAnother() throws Exception {
        TestBackend backend = backend("b");
        hub.forward(APP, backend.endpoint());
        Gateway gateway = startWith(GatewayConfig.builder().maxConnectionsPerClient(100));
        List<Socket> flood = new ArrayList<>();
        try {
            for (int i = 0; i < 2_000; i++) {
                Socket socket = new Socket();
                flood.add(socket);
                socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), gateway.port()), 10_000);
            }
            // The 101st of them was answered 503 and closed.
            Socket over = flood.get(1_999);
            over.setSoTimeout(10_000);
            String answer = new String(over.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
            assertThat(answer).startsWith("HTTP/1.1 503").containsIgnoringCase("retry-after: 1")
                    .contains("client 127.0.0.1 already has 100 open connections (max-connections-per-client)");

            // Another client (another loopback address) is served at once.
            try (Socket other = new Socket()) {
                other.bind(new InetSocketAddress(InetAddress.getByName("127.0.0.2"), 0));
                other.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), gateway.port()), 10_000);
                other.setSoTimeout(10_000);
                other.getOutputStream().write("GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"
                        .getBytes(StandardCharsets.ISO_8859_1));
                String response = new String(other.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
                assertThat(response).startsWith("HTTP/1.1 200").endsWith("hello from b");
            }
            // So is the flooding client once it closed its idle connections.
        } finally {
            for (Socket socket : flood) {
                socket.close();
            }
        }
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(get(gateway, "/").statusCode()).isEqualTo(200));
    }

    @Test
    void connectionsOverTheGatewayWideLimitAreRefusedWhateverTheClientAndServedOnceOneCloses() throws Exception {
        TestBackend backend = backend("b");
        hub.forward(APP, backend.endpoint());
        Gateway gateway = startWith(GatewayConfig.builder().maxConnections(3).maxConnectionsPerClient(3)
                .retryAfter(Duration.ofSeconds(2)));
        List<Socket> open = new ArrayList<>();
        try {
            // Three clients (loopback addresses) with one idle connection each: per client, none is over.
            for (int i = 1; i <= 3; i++) {
                open.add(connectFrom("127.0.0." + i, gateway));
            }
            // A fourth, from a fourth client, is answered 503 unasked and closed.
            String refused;
            try (Socket fourth = connectFrom("127.0.0.4", gateway)) {
                refused = new String(fourth.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
            }
            assertThat(refused).startsWith("HTTP/1.1 503").containsIgnoringCase("retry-after: 2")
                    .contains("the gateway already has 3 open connections (max-connections); retry in 2s");
            assertThat(backend.requests()).isZero();

            open.removeFirst().close();
            await().atMost(Duration.ofSeconds(10)).until(() -> exchange(connectFrom("127.0.0.5", gateway))
                    .startsWith("HTTP/1.1 200"));
        } finally {
            for (Socket socket : open) {
                socket.close();
            }
        }
    }

    private static Socket connectFrom(String address, Gateway gateway) throws Exception {
        Socket socket = new Socket();
        socket.bind(new InetSocketAddress(InetAddress.getByName(address), 0));
        socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), gateway.port()), 10_000);
        socket.setSoTimeout(10_000);
        return socket;
    }

    /** One request with {@code Connection: close} on {@code socket}; the whole answer, then closes it. */
    private static String exchange(Socket socket) throws Exception {
        try (socket) {
            socket.getOutputStream().write("GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"
                    .getBytes(StandardCharsets.ISO_8859_1));
            return new String(socket.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
        } catch (java.net.SocketException e) {
            // Refused connections are closed by the gateway; a write racing that close reads as a reset.
            return "reset: " + e.getMessage();
        }
    }

    @Test
    void heldRequestsPerClientAreBounded() throws Exception {
        Gateway gateway = startWith(GatewayConfig.builder().maxHeldPerClient(2).retryAfter(Duration.ofSeconds(3)));
        List<CompletableFuture<HttpResponse<String>>> held = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            held.add(getAsync(gateway, "/"));
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> gateway.stats(APP).held() == 2);

        HttpResponse<String> overflow = get(gateway, "/");

        assertThat(overflow.statusCode()).isEqualTo(503);
        assertThat(overflow.headers().firstValue("Retry-After")).hasValue("3");
        assertThat(overflow.body()).isEqualTo("client 127.0.0.1 already has 2 requests held (max-held-per-client);"
                + " retry in 3s\n");
        assertThat(gateway.stats(APP).held()).isEqualTo(2);

        TestBackend backend = backend("b");
        hub.forward(APP, backend.endpoint());
        for (CompletableFuture<HttpResponse<String>> response : held) {
            assertThat(response.get().statusCode()).isEqualTo(200);
        }
        assertThat(get(gateway, "/").statusCode()).as("the client's share is free again").isEqualTo(200);
    }

    @Test
    void heldRequestsInTotalAreBounded() throws Exception {
        Gateway gateway = startWith(GatewayConfig.builder().maxHeldTotal(1));
        CompletableFuture<HttpResponse<String>> first = getAsync(gateway, "/");
        await().atMost(Duration.ofSeconds(10)).until(() -> gateway.stats(APP).held() == 1);

        HttpResponse<String> overflow = get(gateway, "/");

        assertThat(overflow.statusCode()).isEqualTo(503);
        assertThat(overflow.body()).startsWith("the gateway already holds 1 requests (max-held-total)");
        assertThat(first).isNotDone();
    }

    @Test
    void theClientBehindATrustedProxyIsTheOneCounted() throws Exception {
        Gateway gateway = startWith(GatewayConfig.builder().maxHeldPerClient(1).trustedProxies(List.of("127.0.0.0/8")));
        RawHttp viaProxyA = closeLater(new RawHttp(gateway.port()));
        viaProxyA.send("GET / HTTP/1.1\r\nHost: a\r\nX-Forwarded-For: 198.51.100.1\r\n\r\n");
        await().atMost(Duration.ofSeconds(10)).until(() -> gateway.stats(APP).held() == 1);

        RawHttp sameClient = closeLater(new RawHttp(gateway.port()));
        RawHttp.Response refused = sameClient.send("GET / HTTP/1.1\r\nHost: a\r\nX-Forwarded-For: 198.51.100.1\r\n\r\n")
                .read();
        assertThat(refused.status()).isEqualTo(503);
        assertThat(refused.body()).contains("client 198.51.100.1 already has 1 requests held");

        RawHttp otherClient = closeLater(new RawHttp(gateway.port()));
        otherClient.send("GET / HTTP/1.1\r\nHost: a\r\nX-Forwarded-For: 198.51.100.2\r\n\r\n");
        await().atMost(Duration.ofSeconds(10)).until(() -> gateway.stats(APP).held() == 2);
    }

    @Test
    void anEndpointPausingMidResponseLongerThanTheResponseIdleTimeoutIsCut() throws Exception {
        TestBackend backend = backend("b");
        hub.forward(APP, backend.endpoint());
        Gateway gateway = startWith(GatewayConfig.builder().responseIdleTimeout(SHORT));
        RawHttp client = closeLater(new RawHttp(gateway.port()));

        client.send("GET /sse HTTP/1.1\r\nHost: a\r\n\r\n").readUntil("data: 1");
        long start = System.nanoTime();
        String rest = client.readToEnd();
        long elapsed = System.nanoTime() - start;

        assertThat(rest).doesNotContain("data: 2").doesNotEndWith("0\r\n\r\n");
        assertThat(elapsed).as("cut within response-idle-timeout + 1s").isLessThan(BOUND_NANOS);
        await().atMost(Duration.ofSeconds(5)).until(() -> gateway.stats(APP).inFlight() == 0);
    }
}
