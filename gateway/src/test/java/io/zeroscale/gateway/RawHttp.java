package io.zeroscale.gateway;

import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseDecoder;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * A client connection that sends exactly the bytes a test writes (malformed requests, absolute
 * URIs, pipelining) and reads responses with Netty's own decoder.
 */
final class RawHttp implements AutoCloseable {
    /** A response as plain values, so tests need not release buffers. */
    record Response(int status, Map<String, String> headers, String body) {
        String header(String name) {
            return headers.get(name.toLowerCase(Locale.ROOT));
        }
    }

    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;
    private final EmbeddedChannel decoder =
            new EmbeddedChannel(new HttpResponseDecoder(), new HttpObjectAggregator(16 * 1024 * 1024));
    private final byte[] buffer = new byte[16 * 1024];

    RawHttp(int port) throws IOException {
        this(new Socket(InetAddress.getLoopbackAddress(), port));
    }

    /** Over a socket the test opened itself (e.g. a TLS socket). */
    RawHttp(Socket connected) throws IOException {
        socket = connected;
        socket.setSoTimeout(60_000);
        in = socket.getInputStream();
        out = socket.getOutputStream();
    }

    RawHttp send(String raw) throws IOException {
        out.write(raw.getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
        return this;
    }

    /** Reads one whole response; fails when the connection ends first. */
    Response read() throws IOException {
        while (true) {
            FullHttpResponse response = decoder.readInbound();
            if (response != null) {
                try {
                    Map<String, String> headers = new TreeMap<>();
                    response.headers().forEach(entry -> headers.merge(entry.getKey().toLowerCase(Locale.ROOT),
                            entry.getValue(), (a, b) -> a + "," + b));
                    return new Response(response.status().code(), headers,
                            response.content().toString(StandardCharsets.UTF_8));
                } finally {
                    response.release();
                }
            }
            int n = in.read(buffer);
            if (n < 0) {
                decoder.finish();
                FullHttpResponse last = decoder.readInbound();
                if (last != null) {
                    try {
                        Map<String, String> headers = new TreeMap<>();
                        last.headers().forEach(entry -> headers.put(entry.getKey().toLowerCase(Locale.ROOT),
                                entry.getValue()));
                        return new Response(last.status().code(), headers,
                                last.content().toString(StandardCharsets.UTF_8));
                    } finally {
                        last.release();
                    }
                }
                throw new IOException("connection closed before a whole response");
            }
            decoder.writeInbound(Unpooled.wrappedBuffer(buffer.clone(), 0, n));
        }
    }

    /** Reads raw text until {@code marker} appears (for streams that do not end). */
    String readUntil(String marker) throws IOException {
        StringBuilder seen = new StringBuilder();
        while (!seen.toString().contains(marker)) {
            int n = in.read(buffer);
            if (n < 0) {
                throw new IOException("connection closed before '" + marker + "'; got: " + seen);
            }
            seen.append(new String(buffer, 0, n, StandardCharsets.ISO_8859_1));
        }
        return seen.toString();
    }

    /** Reads raw text until the server closes the connection. */
    String readToEnd() throws IOException {
        StringBuilder seen = new StringBuilder();
        try {
            int n;
            while ((n = in.read(buffer)) >= 0) {
                seen.append(new String(buffer, 0, n, StandardCharsets.ISO_8859_1));
            }
        } catch (java.net.SocketException e) {
            // A reset ends the stream as well.
        }
        return seen.toString();
    }

    /** True when the server closed the connection (reads end of stream). */
    boolean closedByServer() throws IOException {
        try {
            return in.read() < 0;
        } catch (java.net.SocketException e) {
            return true;
        }
    }

    @Override
    public void close() throws IOException {
        decoder.finishAndReleaseAll();
        socket.close();
    }
}
