package io.zeroscale.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A client that tries to make the gateway and the endpoint read a request differently (request
 * smuggling), one test per framing case. Raw sockets send exactly the bytes under test; the
 * backend is a real HTTP server that logs every request line. Each test ends with a canary request
 * on a new connection, so "the backend saw only X" is checked after everything sent was handled,
 * and proves that the backend never saw a second, unrouted request nor one without Host.
 */
class GatewayHostileClientIT extends GatewayTestSupport {
    private static final String SMUGGLED = "GET /smuggled HTTP/1.1\r\nHost: a\r\n\r\n";

    private TestBackend backend;
    private Gateway gateway;

    @BeforeEach
    void startGateway() {
        backend = backend("b");
        hub.forward(APP, backend.endpoint());
        hub.forward(API, backend.endpoint());
        gateway = start(GatewayConfig.defaults(), GatewayRoute.path(APP, "/"), GatewayRoute.path(API, "/api"));
    }

    @Test
    void connectionNamingContentLengthKeepsTheBodyInsideItsRequest() throws Exception {
        // On the old gateway, hop-by-hop removal dropped Content-Length but still sent the body, so
        // the backend read the body as GET /smuggled.
        RawHttp client = closeLater(new RawHttp(gateway.port()));
        RawHttp.Response response = client.send("POST /echo HTTP/1.1\r\nHost: a\r\nConnection: content-length\r\n"
                + "Content-Length: " + SMUGGLED.length() + "\r\n\r\n" + SMUGGLED).read();

        assertThat(response.status()).isEqualTo(200);
        assertThat(response.body()).isEqualTo(SMUGGLED);
        assertBackendSawOnly("POST /echo");
    }

    @Test
    void connectionNamingHostKeepsHost() throws Exception {
        RawHttp client = closeLater(new RawHttp(gateway.port()));
        RawHttp.Response response = client.send("GET /headers HTTP/1.1\r\nHost: shop.example\r\nConnection: host\r\n\r\n")
                .read();

        assertThat(response.status()).isEqualTo(200);
        assertThat(backend.headers().get(0)).containsEntry("host", "shop.example");
        assertBackendSawOnly("GET /headers");
    }

    @Test
    void connectionNamingTransferEncodingKeepsTheChunkedBodyInsideItsRequest() throws Exception {
        RawHttp client = closeLater(new RawHttp(gateway.port()));
        RawHttp.Response response = client.send("POST /echo HTTP/1.1\r\nHost: a\r\nConnection: transfer-encoding\r\n"
                + "Transfer-Encoding: chunked\r\n\r\n" + Integer.toHexString(SMUGGLED.length()) + "\r\n" + SMUGGLED
                + "\r\n0\r\n\r\n").read();

        assertThat(response.status()).isEqualTo(200);
        assertThat(response.body()).isEqualTo(SMUGGLED);
        assertBackendSawOnly("POST /echo");
    }

    @Test
    void contentLengthWithTransferEncodingIsRefused() throws Exception {
        assertRefused("POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"
                + "0\r\n\r\n" + SMUGGLED, "Content-Length");
    }

    @Test
    void duplicateEqualContentLengthIsRefused() throws Exception {
        assertRefused("POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\nContent-Length: 0\r\n\r\n" + SMUGGLED,
                "Content-Length");
    }

    @Test
    void duplicateDifferentContentLengthIsRefused() throws Exception {
        assertRefused("POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\nContent-Length: "
                + SMUGGLED.length() + "\r\n\r\n" + SMUGGLED, "Content-Length");
    }

    @Test
    void contentLengthListIsRefused() throws Exception {
        assertRefused("POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 0, " + SMUGGLED.length() + "\r\n\r\n"
                + SMUGGLED, "Content-Length");
    }

    @Test
    void nonNumericContentLengthIsRefused() throws Exception {
        assertRefused("POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: +" + SMUGGLED.length() + "\r\n\r\n"
                + SMUGGLED, "Content-Length");
    }

    @Test
    void transferCodingOtherThanChunkedIsRefused() throws Exception {
        assertRefused("POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n" + SMUGGLED,
                "Transfer-Encoding");
    }

    @Test
    void identityTransferCodingIsRefused() throws Exception {
        assertRefused("POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: identity\r\n\r\n" + SMUGGLED,
                "chunked");
    }

    @Test
    void chunkedTwiceIsRefused() throws Exception {
        assertRefused("POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked"
                + "\r\n\r\n0\r\n\r\n" + SMUGGLED, "chunked");
    }

    @Test
    void transferEncodingInHttp10IsRefused() throws Exception {
        assertRefused("POST /echo HTTP/1.0\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + SMUGGLED,
                "Transfer-Encoding");
    }

    @Test
    void whitespaceBeforeTheColonIsRefused() throws Exception {
        assertRefused("POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding : chunked\r\nContent-Length: 0\r\n\r\n"
                + "0\r\n\r\n" + SMUGGLED, "header");
    }

    @Test
    void foldedHeaderLineIsRefused() throws Exception {
        assertRefused("POST /echo HTTP/1.1\r\nHost: a\r\nX-Filler: x\r\n Transfer-Encoding: chunked\r\n"
                + "Content-Length: 0\r\n\r\n" + SMUGGLED, "folding");
    }

    @Test
    void foldedTransferEncodingValueIsRefused() throws Exception {
        assertRefused("POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding:\r\n chunked\r\n\r\n0\r\n\r\n" + SMUGGLED,
                "Transfer-Encoding");
    }

    @Test
    void bareLineFeedInTheHeadIsRefused() throws Exception {
        assertRefused("POST /echo HTTP/1.1\nHost: a\nContent-Length: 0\n\n" + SMUGGLED, "Line Feed");
    }

    @Test
    void bareLineFeedInAChunkHeaderIsRefused() throws Exception {
        RawHttp client = closeLater(new RawHttp(gateway.port()));
        RawHttp.Response response = client.send("POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
                + "3\nabc\r\n0\r\n\r\n" + SMUGGLED).read();

        assertThat(response.status()).isEqualTo(400);
        assertThat(client.closedByServer()).isTrue();
        assertBackendSawOnly();
    }

    @Test
    void duplicateHostIsRefused() throws Exception {
        assertRefused("GET /headers HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n" + SMUGGLED, "Host");
    }

    @Test
    void missingHostIsRefused() throws Exception {
        assertRefused("GET /headers HTTP/1.1\r\nX-A: b\r\n\r\n" + SMUGGLED, "Host");
    }

    @Test
    void malformedHostIsRefused() throws Exception {
        assertRefused("GET /headers HTTP/1.1\r\nHost: a b@c/d\r\n\r\n" + SMUGGLED, "Host");
    }

    @Test
    void malformedAuthorityInAnAbsoluteTargetIsRefused() throws Exception {
        assertRefused("GET http://a%20b/headers HTTP/1.1\r\nHost: a\r\n\r\n" + SMUGGLED, "authority");
    }

    @Test
    void absoluteTargetWithUserinfoIsRefused() throws Exception {
        assertRefused("GET http://a\\@b/headers HTTP/1.1\r\nHost: a\r\n\r\n" + SMUGGLED, "authority");
    }

    @Test
    void http10WithoutHostReachesTheBackendWithOne() throws Exception {
        RawHttp client = closeLater(new RawHttp(gateway.port()));
        RawHttp.Response response = client.send("GET /headers HTTP/1.0\r\n\r\n").read();

        assertThat(response.status()).isEqualTo(200);
        assertThat(backend.headers().get(0).get("host")).isEqualTo("127.0.0.1:" + gateway.port());
        assertBackendSawOnly("GET /headers");
    }

    @Test
    void dotSegmentsAreResolvedBeforeRoutingAndTheBackendGetsTheResolvedPath() throws Exception {
        RawHttp client = closeLater(new RawHttp(gateway.port()));
        assertThat(client.send("GET /api/../headers HTTP/1.1\r\nHost: a\r\n\r\n").read().status()).isEqualTo(200);
        assertThat(client.send("GET /api/%2e%2E/headers HTTP/1.1\r\nHost: a\r\n\r\n").read().status())
                .isEqualTo(200);
        assertThat(client.send("GET //api//./x/../headers?q=/../ HTTP/1.1\r\nHost: a\r\n\r\n").read().status())
                .isEqualTo(200);

        assertThat(gateway.stats(APP).arrivals()).isEqualTo(2);
        assertThat(gateway.stats(API).arrivals()).isEqualTo(1);
        assertBackendSawOnly("GET /headers", "GET /headers", "GET /api/headers");
    }

    @Test
    void encodedSlashIsRefused() throws Exception {
        assertRefused("GET /api%2F..%2Fheaders HTTP/1.1\r\nHost: a\r\n\r\n", "encoded slash");
    }

    @Test
    void encodedBackslashIsRefused() throws Exception {
        assertRefused("GET /api%5c..%5cheaders HTTP/1.1\r\nHost: a\r\n\r\n", "encoded slash");
    }

    @Test
    void badPercentEscapeIsRefused() throws Exception {
        assertRefused("GET /api/%zz HTTP/1.1\r\nHost: a\r\n\r\n", "percent-escape");
    }

    /** The request is answered 400 naming {@code reason}, the connection closes, nothing reaches the backend. */
    private void assertRefused(String raw, String reason) throws Exception {
        RawHttp client = closeLater(new RawHttp(gateway.port()));
        RawHttp.Response response = client.send(raw).read();

        assertThat(response.status()).isEqualTo(400);
        assertThat(response.body()).contains(reason);
        assertThat(response.header("connection")).isEqualTo("close");
        assertThat(client.closedByServer()).isTrue();
        assertBackendSawOnly();
    }

    /**
     * After a canary request on a new connection, the backend saw exactly {@code expected} and
     * then the canary, each with a Host header.
     */
    private void assertBackendSawOnly(String... expected) throws Exception {
        RawHttp canary = closeLater(new RawHttp(gateway.port()));
        assertThat(canary.send("GET /canary HTTP/1.1\r\nHost: a\r\n\r\n").read().status()).isEqualTo(200);
        List<String> all = new java.util.ArrayList<>(List.of(expected));
        all.add("GET /canary");
        assertThat(backend.requestLines()).containsExactlyElementsOf(all);
        for (Map<String, String> headers : backend.headers()) {
            assertThat(headers).containsKey("host");
        }
    }
}
