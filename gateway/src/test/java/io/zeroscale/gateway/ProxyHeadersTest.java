package io.zeroscale.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import org.junit.jupiter.api.Test;

class ProxyHeadersTest {

    private static HttpRequest request(String... headers) {
        HttpRequest request = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/");
        for (int i = 0; i < headers.length; i += 2) {
            request.headers().add(headers[i], headers[i + 1]);
        }
        return request;
    }

    @Test
    void aChunkedRequestIsReChunkedForOurHop() {
        HttpRequest request = request("Transfer-Encoding", "chunked", "Host", "a");

        ProxyHeaders.prepareRequest(request, -1, true, "10.0.0.1", false, false, false);

        assertThat(request.headers().get("transfer-encoding")).isEqualTo("chunked");
        assertThat(request.headers().get("x-forwarded-for")).isEqualTo("10.0.0.1");
        assertThat(request.headers().get("x-forwarded-host")).isEqualTo("a");
    }

    @Test
    void framingAndHostSurviveAConnectionHeaderNamingThem() {
        HttpRequest request = request("Host", "a", "Content-Length", "12", "Connection",
                "content-length, host, transfer-encoding, x-hop", "X-Hop", "1");

        ProxyHeaders.prepareRequest(request, 12, false, "10.0.0.1", false, false, false);

        assertThat(request.headers().get("content-length")).isEqualTo("12");
        assertThat(request.headers().get("host")).isEqualTo("a");
        assertThat(request.headers().contains("x-hop")).isFalse();
        assertThat(request.headers().contains("transfer-encoding")).isFalse();
    }

    @Test
    void forwardingHeadersFromAnUntrustedPeerAreReplaced() {
        HttpRequest request = request("Host", "a", "X-Forwarded-For", "1.2.3.4", "Forwarded", "for=1.2.3.4",
                "X-Forwarded-Proto", "https", "X-Forwarded-Host", "evil");

        ProxyHeaders.prepareRequest(request, -1, false, "10.0.0.1", false, false, false);

        assertThat(request.headers().get("x-forwarded-for")).isEqualTo("10.0.0.1");
        assertThat(request.headers().contains("forwarded")).isFalse();
        assertThat(request.headers().get("x-forwarded-proto")).isEqualTo("http");
        assertThat(request.headers().get("x-forwarded-host")).isEqualTo("a");
    }

    @Test
    void forwardingHeadersFromATrustedProxyAreAppendedTo() {
        HttpRequest request = request("Host", "a", "X-Forwarded-For", "1.2.3.4", "Forwarded", "for=1.2.3.4",
                "X-Forwarded-Proto", "https", "X-Forwarded-Host", "shop");

        ProxyHeaders.prepareRequest(request, -1, false, "::1", true, false, false);

        assertThat(request.headers().get("x-forwarded-for")).isEqualTo("1.2.3.4, ::1");
        assertThat(request.headers().get("forwarded")).isEqualTo("for=1.2.3.4, for=\"[::1]\"");
        assertThat(request.headers().get("x-forwarded-proto")).isEqualTo("https");
        assertThat(request.headers().get("x-forwarded-host")).isEqualTo("shop");
    }

    @Test
    void aWebSocketHandshakeKeepsItsUpgrade() {
        HttpRequest request = request("Connection", "keep-alive, Upgrade", "Upgrade", "websocket",
                "Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==");

        assertThat(ProxyHeaders.isWebSocketUpgrade(request)).isTrue();
        ProxyHeaders.prepareRequest(request, -1, false, null, false, true, false);

        assertThat(request.headers().get("connection")).isEqualTo("upgrade");
        assertThat(request.headers().get("upgrade")).isEqualTo("websocket");
        assertThat(request.headers().get("sec-websocket-key")).isEqualTo("dGhlIHNhbXBsZSBub25jZQ==");
    }

    @Test
    void anUpgradeThatIsNotAWebSocketIsDropped() {
        HttpRequest request = request("Connection", "Upgrade", "Upgrade", "h2c");

        assertThat(ProxyHeaders.isWebSocketUpgrade(request)).isFalse();
        ProxyHeaders.prepareRequest(request, -1, false, null, false, false, false);

        assertThat(request.headers().contains("upgrade")).isFalse();
        assertThat(request.headers().contains("connection")).isFalse();
    }

    @Test
    void aResponseWithoutLengthIsChunkedForAnHttp11ClientAndMarkedUnreusable() {
        HttpResponse response = new DefaultHttpResponse(HttpVersion.HTTP_1_0, HttpResponseStatus.OK);
        response.headers().add("Connection", "close");

        boolean closeDelimited = ProxyHeaders.prepareResponse(response, false, false, true);

        assertThat(closeDelimited).isTrue();
        assertThat(response.headers().get("transfer-encoding")).isEqualTo("chunked");
        assertThat(response.headers().contains("connection")).isFalse();
        assertThat(response.protocolVersion()).isEqualTo(HttpVersion.HTTP_1_1);
    }

    @Test
    void responsesWithoutABodyGetNoFraming() {
        HttpResponse noContent = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.NO_CONTENT);
        assertThat(ProxyHeaders.prepareResponse(noContent, false, false, true)).isFalse();
        assertThat(noContent.headers().contains("transfer-encoding")).isFalse();

        HttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
        head.headers().add("Content-Length", "1234");
        assertThat(ProxyHeaders.prepareResponse(head, true, true, true)).isFalse();
        assertThat(head.headers().get("content-length")).isEqualTo("1234");
        assertThat(head.headers().get("connection")).isEqualTo("close");
    }
}
