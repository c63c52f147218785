package io.zeroscale.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.ByteArrayInputStream;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** HTTP/1.1 behaviour of the proxy: limits, bad input, headers, bodies, pipelining, routing, no open proxy. */
class GatewayProtocolIT extends GatewayTestSupport {

    @Test
    void malformedAndOversizedRequestsGet400And431WithoutDisturbingOtherConnections() throws Exception {
        TestBackend backend = backend("b");
        hub.forward(APP, backend.endpoint());
        Gateway gateway = startDefault();
        // A request in flight on another connection while the bad ones arrive.
        CompletableFuture<HttpResponse<String>> inFlight = getAsync(gateway, "/slow");
        await().atMost(Duration.ofSeconds(10)).until(() -> backend.slowStarted() == 1);

        RawHttp garbage = closeLater(new RawHttp(gateway.port()));
        RawHttp.Response bad = garbage.send("THIS IS NOT HTTP\r\n\r\n").read();
        assertThat(bad.status()).isEqualTo(400);
        assertThat(bad.body()).startsWith("malformed request").endsWith("\n").doesNotContain("\n\n");
        assertThat(garbage.closedByServer()).isTrue();

        RawHttp badLength = closeLater(new RawHttp(gateway.port()));
        assertThat(badLength.send("POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: nope\r\n\r\n").read().status())
                .isEqualTo(400);

        RawHttp huge = closeLater(new RawHttp(gateway.port()));
        RawHttp.Response tooLarge = huge.send("GET / HTTP/1.1\r\nHost: a\r\nX-Big: " + "a".repeat(10_000)
                + "\r\n\r\n").read();
        assertThat(tooLarge.status()).isEqualTo(431);
        assertThat(tooLarge.body()).isEqualTo("request headers are larger than 8KiB (max-header-size)\n");

        RawHttp longLine = closeLater(new RawHttp(gateway.port()));
        RawHttp.Response uriTooLong = longLine.send("GET /" + "a".repeat(10_000) + " HTTP/1.1\r\nHost: a\r\n\r\n")
                .read();
        assertThat(uriTooLong.status()).isEqualTo(414);
        assertThat(uriTooLong.body()).isEqualTo("request line is longer than 8KiB (max-header-size)\n");

        assertThat(get(gateway, "/").body()).isEqualTo("hello from b");
        backend.releaseSlow();
        assertThat(inFlight.get(20, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
        assertThat(backend.requests()).as("no bad request reached the backend").isEqualTo(2);
    }

    @Test
    void hopByHopHeadersAreRemovedAndForwardedHeadersAdded() throws Exception {
        TestBackend backend = backend("b");
        hub.forward(APP, backend.endpoint());
        Gateway gateway = startDefault();
        RawHttp connection = closeLater(new RawHttp(gateway.port()));

        RawHttp.Response response = connection.send("GET /headers HTTP/1.1\r\n"
                        + "Host: shop.example:8443\r\n"
                        + "Connection: keep-alive, X-Hop\r\n"
                        + "X-Hop: must not pass\r\n"
                        + "Keep-Alive: timeout=5\r\n"
                        + "TE: trailers\r\n"
                        + "Proxy-Authorization: Basic c2VjcmV0\r\n"
                        + "X-Forwarded-For: 203.0.113.7\r\n"
                        + "X-End-To-End: kept\r\n"
                        + "\r\n")
                .read();

        assertThat(response.status()).isEqualTo(200);
        Map<String, String> seen = backend.headers().get(0);
        assertThat(seen).doesNotContainKeys("x-hop", "keep-alive", "te", "proxy-authorization", "upgrade");
        assertThat(seen).containsEntry("x-end-to-end", "kept")
                // The client is no trusted proxy: what it claims is replaced, not appended to.
                .containsEntry("x-forwarded-for", "127.0.0.1")
                .containsEntry("x-forwarded-proto", "http")
                .containsEntry("x-forwarded-host", "shop.example:8443")
                .containsEntry("host", "shop.example:8443");
        // The endpoint's own hop-by-hop headers stop here too.
        assertThat(response.header("keep-alive")).isNull();
        assertThat(response.header("x-backend")).isEqualTo("b");
    }

    @Test
    void requestBodiesOfEveryFramingPassThroughAndOversizedOnesGet413() throws Exception {
        TestBackend backend = backend("b");
        hub.forward(APP, backend.endpoint());
        Gateway gateway = start(GatewayConfig.builder().maxBodySize(2 * 1024 * 1024).build(),
                GatewayRoute.path(APP, "/"));
        byte[] large = new byte[1_500_000];
        for (int i = 0; i < large.length; i++) {
            large[i] = (byte) (i * 31);
        }

        HttpResponse<byte[]> fixed = http.send(HttpRequest.newBuilder(uri(gateway, "/echo"))
                .POST(HttpRequest.BodyPublishers.ofByteArray(large)).build(), HttpResponse.BodyHandlers.ofByteArray());
        assertThat(fixed.statusCode()).isEqualTo(200);
        assertThat(fixed.body()).isEqualTo(large);

        HttpResponse<byte[]> chunked = http.send(HttpRequest.newBuilder(uri(gateway, "/echo"))
                        .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(large))).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertThat(chunked.statusCode()).isEqualTo(200);
        assertThat(chunked.body()).isEqualTo(large);

        byte[] tooLarge = new byte[3 * 1024 * 1024];
        HttpResponse<String> declared = http.send(HttpRequest.newBuilder(uri(gateway, "/echo"))
                .POST(HttpRequest.BodyPublishers.ofByteArray(tooLarge)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(declared.statusCode()).isEqualTo(413);
        assertThat(declared.body()).isEqualTo("request body is larger than 2MiB (max-body-size)\n");

        RawHttp streamed = closeLater(new RawHttp(gateway.port()));
        streamed.send("POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n");
        String chunk = "a".repeat(64 * 1024);
        try {
            for (int i = 0; i < 40; i++) {
                streamed.send(Integer.toHexString(chunk.length()) + "\r\n" + chunk + "\r\n");
            }
        } catch (java.io.IOException e) {
            // The gateway answered and closed as soon as the body passed the limit.
        }
        RawHttp.Response answer = streamed.read();
        assertThat(answer.status()).isEqualTo(413);
    }

    @Test
    void pipelinedRequestsAreAnsweredInOrderOverPooledKeepAliveConnections() throws Exception {
        TestBackend backend = backend("b");
        hub.forward(APP, backend.endpoint());
        Gateway gateway = startDefault();

        try (RawHttp connection = new RawHttp(gateway.port())) {
            connection.send("GET /slow HTTP/1.1\r\nHost: a\r\n\r\n"
                    + "POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nfirst"
                    + "POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 6\r\n\r\nsecond");
            await().atMost(Duration.ofSeconds(10)).until(() -> backend.slowStarted() >= 1);
            backend.releaseSlow();
            assertThat(connection.read().body()).isEqualTo("slow from b");
            assertThat(connection.read().body()).isEqualTo("first");
            assertThat(connection.read().body()).isEqualTo("second");
        }
        for (int i = 0; i < 10; i++) {
            assertThat(get(gateway, "/").statusCode()).isEqualTo(200);
        }
        // Sequential requests on one client connection reuse one upstream connection.
        int before = backend.clientPorts().size();
        for (int i = 0; i < 10; i++) {
            assertThat(get(gateway, "/").statusCode()).isEqualTo(200);
        }
        assertThat(backend.clientPorts()).hasSize(before);
    }

    @Test
    void routesByHostAndLongestPathPrefixAndAnswers404Otherwise() throws Exception {
        TestBackend app = backend("app");
        TestBackend api = backend("api");
        hub.forward(APP, app.endpoint());
        hub.forward(API, api.endpoint());
        Gateway gateway = start(GatewayConfig.defaults(),
                GatewayRoute.host(APP, "Shop.Example"),
                new GatewayRoute(API, "shop.example", "/api"),
                GatewayRoute.path(API, "/v2"));

        assertThat(raw(gateway, "GET / HTTP/1.1\r\nHost: shop.example:8080\r\n\r\n").body()).isEqualTo("hello from app");
        assertThat(raw(gateway, "GET /api/x HTTP/1.1\r\nHost: SHOP.example\r\n\r\n").body()).isEqualTo("hello from api");
        assertThat(raw(gateway, "GET /apix HTTP/1.1\r\nHost: shop.example\r\n\r\n").body()).isEqualTo("hello from app");
        assertThat(raw(gateway, "GET /v2/y HTTP/1.1\r\nHost: other\r\n\r\n").body()).isEqualTo("hello from api");
        RawHttp.Response none = raw(gateway, "GET /z HTTP/1.1\r\nHost: other.example\r\n\r\n");
        assertThat(none.status()).isEqualTo(404);
        assertThat(none.body()).isEqualTo("no route for host 'other.example' and path '/z'\n");
    }

    @Test
    void neverForwardsToAnAddressThatIsNotOneOfTheTargetsEndpoints() throws Exception {
        TestBackend target = backend("target");
        TestBackend victim = backend("victim");
        hub.forward(APP, target.endpoint());
        Gateway gateway = startDefault();
        String victimAddress = "127.0.0.1:" + victim.endpoint().port();

        RawHttp.Response absolute = raw(gateway, "GET http://" + victimAddress + "/secret HTTP/1.1\r\nHost: "
                + victimAddress + "\r\n\r\n");
        assertThat(absolute.body()).isEqualTo("hello from target");
        assertThat(target.headers().get(0)).containsEntry("host", victimAddress);

        RawHttp.Response connect = raw(gateway, "CONNECT " + victimAddress + " HTTP/1.1\r\nHost: " + victimAddress
                + "\r\n\r\n");
        assertThat(connect.status()).isEqualTo(405);

        assertThat(raw(gateway, "GET /x HTTP/1.1\r\nHost: " + victimAddress + "\r\n\r\n").body())
                .isEqualTo("hello from target");
        assertThat(victim.requests()).isZero();

        Gateway hostOnly = start(GatewayConfig.defaults(), GatewayRoute.host(APP, "app.example"));
        assertThat(raw(hostOnly, "GET http://" + victimAddress + "/ HTTP/1.1\r\nHost: app.example\r\n\r\n").status())
                .as("the absolute URI's authority is the host").isEqualTo(404);
        assertThat(victim.requests()).isZero();
    }

    @Test
    void theJavaNioTransportServesToo() throws Exception {
        TestBackend backend = backend("b");
        hub.forward(APP, backend.endpoint());
        Gateway gateway = start(Gateway.builder(hub).transport(Transport.nio()), GatewayRoute.path(APP, "/"));

        assertThat(get(gateway, "/").body()).isEqualTo("hello from b");
    }

    private static RawHttp.Response raw(Gateway gateway, String request) throws Exception {
        try (RawHttp connection = new RawHttp(gateway.port())) {
            return connection.send(request).read();
        }
    }
}
