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

    /** Collapses line breaks so a reason from anywhere (e.g. an exception message) stays one line. */
    static String oneLine(String text) {
        return text.replaceAll("[\\r\\n]+", " ").strip();
    }

    private static String escapeHtml(String text) {
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
