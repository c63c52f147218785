package io.zeroscale.gateway;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import java.util.List;
import org.jspecify.annotations.Nullable;

/** Header rewriting between the client's hop and the endpoint's hop (RFC 9110 section 7.6.1). */
final class ProxyHeaders {
    private static final List<CharSequence> HOP_BY_HOP = List.of(
            HttpHeaderNames.CONNECTION,
            // Netty deprecates these two names because HTTP/1.1 retired them; clients still send them.
            "keep-alive",
            "proxy-connection",
            HttpHeaderNames.PROXY_AUTHENTICATE,
            HttpHeaderNames.PROXY_AUTHORIZATION,
            HttpHeaderNames.TE,
            HttpHeaderNames.TRAILER,
            HttpHeaderNames.TRANSFER_ENCODING,
            HttpHeaderNames.UPGRADE);

    static final CharSequence X_FORWARDED_FOR = "x-forwarded-for";
    static final CharSequence X_FORWARDED_PROTO = "x-forwarded-proto";
    static final CharSequence X_FORWARDED_HOST = "x-forwarded-host";
    static final CharSequence FORWARDED = "forwarded";

    private ProxyHeaders() {}

    /** True for a WebSocket handshake: {@code Upgrade: websocket} with {@code Connection: upgrade}. */
    static boolean isWebSocketUpgrade(HttpRequest request) {
        HttpHeaders headers = request.headers();
        return headers.containsValue(HttpHeaderNames.CONNECTION, HttpHeaderValues.UPGRADE, true)
                && headers.contains(HttpHeaderNames.UPGRADE, HttpHeaderValues.WEBSOCKET, true);
    }

    /**
     * Rewrites {@code request} for the endpoint: drops hop-by-hop headers, re-emits the framing the
     * gateway decided ({@code chunked}, else {@code contentLength}, else no body), keeps a WebSocket
     * handshake intact and sets the forwarding headers.
     *
     * <p>Host and the framing headers survive a {@code Connection} header naming them: dropping
     * Content-Length while still sending the body would make the endpoint read the body as a
     * second request that was never routed.
     *
     * <p>Forwarding headers: from a {@code trustedPeer} (a proxy in {@code trusted-proxies}) the
     * incoming {@code X-Forwarded-For} and {@code Forwarded} are kept and the peer is appended, and
     * its {@code X-Forwarded-Proto} / {@code X-Forwarded-Host} are kept; from anyone else they are
     * replaced: {@code X-Forwarded-For} is the peer alone and {@code Forwarded} is dropped.
     * {@code X-Forwarded-Proto} is {@code https} when the client connected with TLS ({@code secure}).
     */
    static void prepareRequest(HttpRequest request, long contentLength, boolean chunked, @Nullable String peer,
            boolean trustedPeer, boolean webSocket, boolean secure) {
        String scheme = secure ? "https" : "http";
        HttpHeaders headers = request.headers();
        String upgrade = headers.get(HttpHeaderNames.UPGRADE);
        String host = headers.get(HttpHeaderNames.HOST);
        removeHopByHop(headers);
        if (webSocket && upgrade != null) {
            headers.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.UPGRADE);
            headers.set(HttpHeaderNames.UPGRADE, upgrade);
        }
        if (chunked) {
            headers.remove(HttpHeaderNames.CONTENT_LENGTH);
            headers.set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
        } else if (contentLength > 0) {
            headers.set(HttpHeaderNames.CONTENT_LENGTH, contentLength);
        } else {
            headers.remove(HttpHeaderNames.CONTENT_LENGTH);
        }
        if (host != null) {
            headers.set(HttpHeaderNames.HOST, host);
        }
        if (trustedPeer) {
            if (peer != null) {
                String previous = headers.get(X_FORWARDED_FOR);
                headers.set(X_FORWARDED_FOR, previous == null || previous.isBlank() ? peer : previous + ", " + peer);
                String forwarded = headers.get(FORWARDED);
                if (forwarded != null) {
                    headers.set(FORWARDED, forwarded + ", for=" + forwardedNode(peer));
                }
            }
            if (!headers.contains(X_FORWARDED_PROTO)) {
                headers.set(X_FORWARDED_PROTO, scheme);
            }
            if (host != null && !headers.contains(X_FORWARDED_HOST)) {
                headers.set(X_FORWARDED_HOST, host);
            }
        } else {
            headers.remove(FORWARDED);
            if (peer != null) {
                headers.set(X_FORWARDED_FOR, peer);
            } else {
                headers.remove(X_FORWARDED_FOR);
            }
            headers.set(X_FORWARDED_PROTO, scheme);
            if (host != null) {
                headers.set(X_FORWARDED_HOST, host);
            } else {
                headers.remove(X_FORWARDED_HOST);
            }
        }
        request.setProtocolVersion(HttpVersion.HTTP_1_1);
    }

    /** An address as a {@code Forwarded} node: IPv6 quoted and bracketed (RFC 7239 section 6). */
    private static String forwardedNode(String address) {
        return address.indexOf(':') >= 0 ? "\"[" + address + "]\"" : address;
    }

    /**
     * Rewrites {@code response} for the client. Returns true when its body ends with the endpoint's
     * connection (no length, not chunked), which also means that connection cannot be reused.
     */
    static boolean prepareResponse(HttpResponse response, boolean headRequest, boolean closeClient,
            boolean clientSpeaksHttp11) {
        HttpHeaders headers = response.headers();
        int code = response.status().code();
        boolean noBody = headRequest || code == 204 || code == 304 || (code >= 100 && code < 200);
        boolean framed = HttpUtil.isTransferEncodingChunked(response) || headers.contains(HttpHeaderNames.CONTENT_LENGTH);
        removeHopByHop(headers);
        boolean closeDelimited = !noBody && !framed;
        if (!noBody && !headers.contains(HttpHeaderNames.CONTENT_LENGTH) && clientSpeaksHttp11) {
            // We stream the body as it comes; chunking is how our hop says where it ends. An HTTP/1.0
            // client reads until we close instead.
            headers.set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
        }
        if (closeClient) {
            headers.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        }
        response.setProtocolVersion(HttpVersion.HTTP_1_1);
        return closeDelimited;
    }

    /** Keeps only what a 101 needs of the hop-by-hop headers: the upgrade itself. */
    static void prepareSwitchingProtocols(HttpResponse response) {
        HttpHeaders headers = response.headers();
        String upgrade = headers.get(HttpHeaderNames.UPGRADE);
        removeHopByHop(headers);
        headers.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.UPGRADE);
        if (upgrade != null) {
            headers.set(HttpHeaderNames.UPGRADE, upgrade);
        }
        response.setProtocolVersion(HttpVersion.HTTP_1_1);
    }

    private static void removeHopByHop(HttpHeaders headers) {
        // Headers named in Connection are hop-by-hop too (RFC 9110 section 7.6.1), except the ones
        // that say where the message goes and where it ends: the gateway decides those itself.
        for (String value : headers.getAll(HttpHeaderNames.CONNECTION)) {
            for (String token : value.split(",")) {
                String name = token.strip();
                if (!name.isEmpty() && !HttpHeaderNames.HOST.contentEqualsIgnoreCase(name)
                        && !HttpHeaderNames.CONTENT_LENGTH.contentEqualsIgnoreCase(name)
                        && !HttpHeaderNames.TRANSFER_ENCODING.contentEqualsIgnoreCase(name)) {
                    headers.remove(name);
                }
            }
        }
        for (CharSequence name : HOP_BY_HOP) {
            headers.remove(name);
        }
    }
}
