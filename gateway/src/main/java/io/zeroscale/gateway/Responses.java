package io.zeroscale.gateway;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.zeroscale.spi.TargetRef;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/** The gateway's own answers: one line of text that says why, or the waiting page for browsers. */
final class Responses {
    private Responses() {}

    /** A {@code text/plain} answer whose body is {@code reason} on one line. */
    static FullHttpResponse text(ByteBufAllocator alloc, int status, String reason, boolean close) {
        String line = oneLine(reason) + "\n";
        return response(alloc, status, "text/plain; charset=utf-8", line, close);
    }

    /** A 503 with {@code Retry-After}. */
    static FullHttpResponse retryLater(ByteBufAllocator alloc, int status, String reason, Duration retryAfter,
            boolean close) {
        FullHttpResponse response = text(alloc, status, reason, close);
        response.headers().set(HttpHeaderNames.RETRY_AFTER, Long.toString(retryAfter.toSeconds()));
        return response;
    }

    /** A page that tells a person the service is starting and reloads itself after {@code retryAfter}. */
    static FullHttpResponse waitingPage(ByteBufAllocator alloc, TargetRef target, Duration retryAfter, boolean close) {
        long seconds = retryAfter.toSeconds();
        String name = escapeHtml(target.name());
        String html = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                + "<meta http-equiv=\"refresh\" content=\"" + seconds + "\">"
                + "<title>Starting " + name + "</title>"
                + "<style>body{font-family:system-ui,sans-serif;margin:4em auto;max-width:36em;color:#333}</style>"
                + "</head><body><h1>Starting " + name + "&hellip;</h1>"
                + "<p>The service was idle and is waking up. This page reloads itself every " + seconds
                + (seconds == 1 ? " second" : " seconds") + " until it is ready.</p></body></html>\n";
        FullHttpResponse response = response(alloc, 503, "text/html; charset=utf-8", html, close);
        response.headers().set(HttpHeaderNames.RETRY_AFTER, Long.toString(seconds));
        return response;
    }

    private static FullHttpResponse response(ByteBufAllocator alloc, int status, String type, String body,
            boolean close) {
        ByteBuf content = alloc.buffer(body.length());
        content.writeCharSequence(body, StandardCharsets.UTF_8);
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
                HttpResponseStatus.valueOf(status), content);
        response.headers()
                .set(HttpHeaderNames.CONTENT_TYPE, type)
                .setInt(HttpHeaderNames.CONTENT_LENGTH, content.readableBytes())
                .set(HttpHeaderNames.CACHE_CONTROL, HttpHeaderValues.NO_STORE);
        if (close) {
            response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        }
        return response;
    }

    /** True for a gRPC call ({@code content-type: application/grpc}, {@code application/grpc+proto}, ...). */
    static boolean isGrpc(io.netty.handler.codec.http.HttpRequest request) {
        String type = request.headers().get(HttpHeaderNames.CONTENT_TYPE);
        return type != null && type.regionMatches(true, 0, "application/grpc", 0, 16)
                && (type.length() == 16 || type.charAt(16) == '+' || type.charAt(16) == ';');
    }

    /**
     * The gateway's own answer {@code error} as a gRPC client understands it: a trailers-only
     * response (HTTP 200, {@code content-type: application/grpc}, no body) whose {@code grpc-status}
     * is the code gRPC maps the HTTP status to (503, 504, 502 and 429 are {@code UNAVAILABLE}, which
     * clients retry) and whose {@code grpc-message} is the one-line reason. Releases {@code error}.
     */
    static FullHttpResponse grpc(FullHttpResponse error) {
        int code = switch (error.status().code()) {
            case 400 -> 13; // INTERNAL
            case 401 -> 16; // UNAUTHENTICATED
            case 403 -> 7; // PERMISSION_DENIED
            case 404, 405 -> 12; // UNIMPLEMENTED
            case 408 -> 4; // DEADLINE_EXCEEDED
            case 413, 431 -> 8; // RESOURCE_EXHAUSTED
            case 429, 502, 503, 504 -> 14; // UNAVAILABLE
            default -> 2; // UNKNOWN
        };
        String reason = error.content().toString(StandardCharsets.UTF_8).strip();
        FullHttpResponse answer = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK,
                io.netty.buffer.Unpooled.EMPTY_BUFFER);
        answer.headers()
                .set(HttpHeaderNames.CONTENT_TYPE, "application/grpc")
                .set(GRPC_STATUS, Integer.toString(code))
                .set(GRPC_MESSAGE, grpcMessage(reason))
                .setInt(HttpHeaderNames.CONTENT_LENGTH, 0);
        for (CharSequence kept : new CharSequence[] {HttpHeaderNames.RETRY_AFTER, HttpHeaderNames.CONNECTION}) {
            String value = error.headers().get(kept);
            if (value != null) {
                answer.headers().set(kept, value);
            }
        }
        error.release();
        return answer;
    }

    static final String GRPC_STATUS = "grpc-status";
    static final String GRPC_MESSAGE = "grpc-message";

    /** Percent-encodes what the gRPC spec says {@code grpc-message} may not carry as is (outside 0x20-0x7E, and '%'). */
    static String grpcMessage(String text) {
        StringBuilder out = new StringBuilder(text.length());
        for (byte b : text.getBytes(StandardCharsets.UTF_8)) {
            int c = b & 0xff;
            if (c >= 0x20 && c <= 0x7e && c != '%') {
                out.append((char) c);
            } else {
                out.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
                        .append(Character.toUpperCase(Character.forDigit(c & 0xf, 16)));
            }
        }
        return out.toString();
    }

    /** Collapses line breaks so a reason from anywhere (e.g. an exception message) stays one line. */
    static String oneLine(String text) {
        return text.replaceAll("[\\r\\n]+", " ").strip();
    }

    private static String escapeHtml(String text) {
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
