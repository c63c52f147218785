package io.zeroscale.gateway;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * What the gateway refuses in a request head that Netty's strict decoder lets through, and the
 * path normalisation done before routing. A request two parsers could read differently is refused,
 * never guessed at: the endpoint must see exactly the request the gateway routed.
 *
 * <p>Netty itself (see {@link FrontendCodec}) refuses Content-Length with Transfer-Encoding,
 * duplicate or non-numeric Content-Length, a final coding other than chunked, chunked twice,
 * Transfer-Encoding in HTTP/1.0, bare LF line ends and whitespace before a header's colon.
 */
final class RequestChecks {
    private RequestChecks() {}

    /** Why the head of {@code request} is refused with 400, or null when it is fine. */
    static @Nullable String headProblem(HttpRequest request) {
        HttpHeaders headers = request.headers();
        List<String> hosts = headers.getAll(HttpHeaderNames.HOST);
        if (hosts.size() > 1) {
            return "more than one Host header; send exactly one";
        }
        if (hosts.isEmpty()) {
            if (request.protocolVersion().equals(HttpVersion.HTTP_1_1)) {
                return "no Host header; HTTP/1.1 requires one";
            }
        } else if (!validHost(hosts.get(0))) {
            return "malformed Host header '" + hosts.get(0) + "'; send host or host:port";
        }
        String coding = headers.get(HttpHeaderNames.TRANSFER_ENCODING);
        if (coding != null && !HttpHeaderValues.CHUNKED.contentEqualsIgnoreCase(coding.strip())) {
            return "Transfer-Encoding '" + coding + "' is not supported; send chunked only";
        }
        return null;
    }

    /** A host name, IPv4 or bracketed IPv6 literal, with an optional port; nothing else. */
    static boolean validHost(String host) {
        for (int i = 0; i < host.length(); i++) {
            char c = host.charAt(i);
            boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                    || c == '.' || c == '-' || c == ':' || c == '[' || c == ']' || c == '_' || c == '~';
            if (!ok) {
                return false;
            }
        }
        return true;
    }

    /** The path and query of a request target after {@link #normalize}, or why it is refused. */
    record Target(@Nullable String uri, @Nullable String problem) {}

    /**
     * Normalises the path of {@code uri} (which starts with {@code /}) before routing, and the
     * endpoint gets the normalised form, so both see the same path:
     * <ul>
     *   <li>{@code %2e} / {@code %2E} is a dot, and dot segments are removed (RFC 3986 section
     *       5.2.4; {@code ..} never climbs above {@code /});
     *   <li>runs of {@code /} are one {@code /};
     *   <li>an encoded slash or backslash ({@code %2F}, {@code %5C}) is refused: a backend that
     *       decodes it would see different segments than the gateway routed;
     *   <li>a {@code %} not followed by two hex digits is refused;
     *   <li>other escapes and the query are kept as sent.
     * </ul>
     * Returns {@code uri} itself when nothing changes (the common case allocates nothing).
     */
    static Target normalize(String uri) {
        int queryAt = uri.indexOf('?');
        int end = queryAt < 0 ? uri.length() : queryAt;
        if (!needsWork(uri, end)) {
            return new Target(uri, null);
        }
        StringBuilder path = new StringBuilder(end);
        for (int i = 0; i < end; i++) {
            char c = uri.charAt(i);
            if (c == '%') {
                if (i + 2 >= end) {
                    return new Target(null, "malformed percent-escape in the path");
                }
                int hi = Character.digit(uri.charAt(i + 1), 16);
                int lo = Character.digit(uri.charAt(i + 2), 16);
                if (hi < 0 || lo < 0) {
                    return new Target(null, "malformed percent-escape in the path");
                }
                int value = hi * 16 + lo;
                if (value == '/' || value == '\\') {
                    return new Target(null, "an encoded slash or backslash (%2F, %5C) in the path is refused; send"
                            + " the path unencoded");
                }
                if (value == '.') {
                    path.append('.');
                } else {
                    path.append(uri, i, i + 3);
                }
                i += 2;
            } else {
                path.append(c);
            }
        }
        String normalized = removeDotSegments(path);
        return new Target(queryAt < 0 ? normalized : normalized + uri.substring(queryAt), null);
    }

    private static boolean needsWork(String uri, int end) {
        char previous = 0;
        for (int i = 0; i < end; i++) {
            char c = uri.charAt(i);
            if (c == '%' || (previous == '/' && (c == '/' || c == '.'))) {
                return true;
            }
            previous = c;
        }
        return false;
    }

    /** Segments of an absolute path without {@code .}, {@code ..} and empty segments (except a trailing slash). */
    private static String removeDotSegments(CharSequence path) {
        StringBuilder out = new StringBuilder(path.length());
        int i = 0;
        int n = path.length();
        while (i < n) {
            // At a '/': read the segment that follows it.
            int start = i + 1;
            int next = start;
            while (next < n && path.charAt(next) != '/') {
                next++;
            }
            int length = next - start;
            boolean last = next >= n;
            if (length == 1 && path.charAt(start) == '.') {
                if (last) {
                    out.append('/');
                }
            } else if (length == 2 && path.charAt(start) == '.' && path.charAt(start + 1) == '.') {
                int cut = out.lastIndexOf("/");
                out.setLength(Math.max(cut, 0));
                if (last) {
                    out.append('/');
                }
            } else if (length == 0) {
                if (last) {
                    out.append('/');
                }
            } else {
                out.append('/').append(path, start, next);
            }
            i = next;
        }
        return out.isEmpty() ? "/" : out.toString();
    }
}
