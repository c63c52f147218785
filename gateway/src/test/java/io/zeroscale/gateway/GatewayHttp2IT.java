package io.zeroscale.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.netty.handler.codec.http2.Http2Headers;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * HTTP/2 from clients: over TLS with ALPN (curl and the JDK client), cleartext with prior
 * knowledge, streams held at zero exactly like HTTP/1.1 requests, and the abuse limits (concurrent
 * streams, rapid reset, CONTINUATION and PING floods, header list size, flow-control windows).
 */
class GatewayHttp2IT extends GatewayTestSupport {
    @TempDir
    Path dir;

    private TestCertificates.Issued tls(GatewayConfig.Builder config) throws IOException {
        TestCertificates.Issued issued = TestCertificates.selfSigned("gateway");
        issued.writeTo(dir.resolve("tls.crt"), dir.resolve("tls.key"));
        config.tls(TlsConfig.of(dir.resolve("tls.crt"), dir.resolve("tls.key")));
        return issued;
    }

    private HttpClient h2Client(TestCertificates.Issued issued) throws Exception {
        return closeLater(HttpClient.newBuilder().sslContext(issued.trustingClient())
                .version(HttpClient.Version.HTTP_2).connectTimeout(Duration.ofSeconds(10)).build());
    }

    private static URI https(Gateway gateway, String path) {
        return URI.create("https://127.0.0.1:" + gateway.port() + path);
    }

    /** Runs curl (Debian's curl is built with nghttp2); a missing curl fails with the install command. */
    private static List<String> curl(String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of("curl", "-sS", "--max-time", "20"));
        command.addAll(List.of(args));
        Process process;
        try {
            process = new ProcessBuilder(command).redirectErrorStream(true).start();
        } catch (IOException e) {
            throw new AssertionError("curl is needed for this test: apt-get install -y curl", e);
        }
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).as("curl %s: %s", command, output).isZero();
        return output.lines().toList();
    }

    @Test
    void curlAndTheJdkClientGetHttp2OverTlsByAlpn() throws Exception {
        GatewayConfig.Builder config = GatewayConfig.builder();
        TestCertificates.Issued issued = tls(config);
        TestBackend backend = backend("b");
        hub.forward(APP, backend.endpoint());
        Gateway gateway = start(config.build(), GatewayRoute.path(APP, "/"));

        List<String> lines = curl("--http2", "-k", "-w", "\\n%{http_version}\\n", https(gateway, "/headers")
                .toString());
        assertThat(lines).contains("x-forwarded-proto: https").endsWith("2");
        assertThat(lines).noneMatch(line -> line.startsWith("x-http2-"));

        HttpResponse<String> response = h2Client(issued).send(HttpRequest.newBuilder(https(gateway, "/")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(response.version()).isEqualTo(HttpClient.Version.HTTP_2);
        assertThat(response.body()).isEqualTo("hello from b");

        // A client without ALPN h2 still gets HTTP/1.1 on the same port.
        List<String> http1 = curl("--http1.1", "-k", "-w", "\\n%{http_version}\\n", https(gateway, "/").toString());
        assertThat(http1).containsExactly("hello from b", "1.1");
    }

    @Test
    void aCleartextClientWithPriorKnowledgeGetsHttp2AndOthersHttp11() throws Exception {
        TestBackend backend = backend("b");
        hub.forward(APP, backend.endpoint());
        Gateway gateway = startDefault();

        assertThat(curl("--http2-prior-knowledge", "-w", "\\n%{http_version}\\n", uri(gateway, "/").toString()))
                .containsExactly("hello from b", "2");
        assertThat(get(gateway, "/").body()).isEqualTo("hello from b");
        // An Upgrade: h2c request is served as HTTP/1.1 and the upgrade never reaches the endpoint.
        List<String> upgraded = curl("--http2", "-w", "\\n%{http_version}\\n", uri(gateway, "/headers").toString());
        assertThat(upgraded).endsWith("1.1").noneMatch(line -> line.startsWith("upgrade") || line.contains("h2c"));
    }

    @Test
    void streamsHeldAtZeroAreAnsweredAfterTheWakeAndAPostKeepsItsBody() throws Exception {
        CountDownLatch mayStart = new CountDownLatch(1);
        hub.onWake(APP, () -> {
            if (!mayStart.await(60, TimeUnit.SECONDS)) {
                throw new IllegalStateException("never allowed to start");
            }
            return backend("woken").endpoint();
        });
        GatewayConfig.Builder config = GatewayConfig.builder();
        HttpClient client = h2Client(tls(config));
        Gateway gateway = start(config.build(), GatewayRoute.path(APP, "/"));
        byte[] body = new byte[300_000];
        for (int i = 0; i < body.length; i++) {
            body[i] = (byte) (i * 7);
        }

        List<CompletableFuture<HttpResponse<String>>> gets = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            gets.add(client.sendAsync(HttpRequest.newBuilder(https(gateway, "/item/" + i)).build(),
                    HttpResponse.BodyHandlers.ofString()));
        }
        CompletableFuture<HttpResponse<byte[]>> post = client.sendAsync(HttpRequest.newBuilder(https(gateway, "/echo"))
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofByteArray());
        await().atMost(Duration.ofSeconds(30)).until(() -> gateway.stats(APP).held() == 21);
        assertThat(gets).noneMatch(CompletableFuture::isDone);

        mayStart.countDown();

        for (CompletableFuture<HttpResponse<String>> get : gets) {
            HttpResponse<String> answer = get.get(60, TimeUnit.SECONDS);
            assertThat(answer.version()).isEqualTo(HttpClient.Version.HTTP_2);
            assertThat(answer.statusCode()).isEqualTo(200);
            assertThat(answer.body()).isEqualTo("hello from woken");
        }
        assertThat(post.get(60, TimeUnit.SECONDS).body()).isEqualTo(body);
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            assertThat(hub.latest(APP).inFlight()).isZero();
            assertThat(hub.latest(APP).completed()).isEqualTo(21);
        });
    }

    @Test
    void aHeldStreamWhoseWakeFailsGets503WithRetryAfter() throws Exception {
        GatewayConfig.Builder config = GatewayConfig.builder();
        HttpClient client = h2Client(tls(config));
        Gateway gateway = start(config.build(), GatewayRoute.path(APP, "/"));

        CompletableFuture<HttpResponse<String>> response = client.sendAsync(
                HttpRequest.newBuilder(https(gateway, "/")).build(), HttpResponse.BodyHandlers.ofString());
        await().atMost(Duration.ofSeconds(10)).until(() -> gateway.stats(APP).held() == 1);
        hub.failHeld(APP, 503, "target test/Process/app failed to start: exit code 3");

        HttpResponse<String> answer = response.get(30, TimeUnit.SECONDS);
        assertThat(answer.version()).isEqualTo(HttpClient.Version.HTTP_2);
        assertThat(answer.statusCode()).isEqualTo(503);
        assertThat(answer.headers().firstValue("retry-after")).hasValue("1");
        assertThat(answer.body()).isEqualTo("target test/Process/app failed to start: exit code 3\n");
    }

    @Test
    void theSettingsCarryTheLimitsAndAStreamBeyondMaxConcurrentStreamsIsRefused() throws Exception {
        Gateway gateway = start(GatewayConfig.builder().http2(Http2Config.defaults().withMaxConcurrentStreams(3)
                .withMaxHeaderListSize(4096).withWindows(32 * 1024, 2 * 1024 * 1024)).build(),
                GatewayRoute.path(APP, "/"));
        try (RawH2 client = new RawH2(gateway.port())) {
            client.flush();
            RawH2.Frame settings = client.readUntil(frame -> frame.type() == RawH2.SETTINGS && frame.flags() == 0);
            assertThat(settings.setting(0x3)).as("SETTINGS_MAX_CONCURRENT_STREAMS").isEqualTo(3);
            assertThat(settings.setting(0x4)).as("SETTINGS_INITIAL_WINDOW_SIZE").isEqualTo(32 * 1024);
            assertThat(settings.setting(0x6)).as("SETTINGS_MAX_HEADER_LIST_SIZE").isEqualTo(4096);
            RawH2.Frame window = client.readUntil(frame -> frame.type() == RawH2.WINDOW_UPDATE && frame.stream() == 0);
            assertThat(window.intAt(0)).as("connection window opened to 2MiB").isEqualTo(2 * 1024 * 1024 - 65_535);

            // Three held streams are fine; the fourth is refused (REFUSED_STREAM) and never held.
            for (int stream = 1; stream <= 7; stream += 2) {
                client.headers(stream, RawH2.get("/"), RawH2.END_HEADERS | RawH2.END_STREAM);
            }
            client.flush();
            RawH2.Frame refused = client.readUntil(frame -> frame.type() == RawH2.RST_STREAM);
            assertThat(refused.stream()).isEqualTo(7);
            assertThat(refused.errorCode()).as("REFUSED_STREAM").isEqualTo(0x7);
            await().atMost(Duration.ofSeconds(5)).until(() -> gateway.stats(APP).held() == 3);
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> gateway.stats(APP).held() == 0);
    }

    @Test
    void aHeaderListOverTheLimitIsRefusedWith431() throws Exception {
        TestBackend backend = backend("b");
        hub.forward(APP, backend.endpoint());
        Gateway gateway = start(GatewayConfig.builder().http2(Http2Config.defaults().withMaxHeaderListSize(4096))
                .build(), GatewayRoute.path(APP, "/"));
        try (RawH2 client = new RawH2(gateway.port())) {
            Http2Headers big = RawH2.get("/").add("x-big", "y".repeat(4500));
            client.headers(1, big, RawH2.END_HEADERS | RawH2.END_STREAM).flush();
            RawH2.Frame answer = client.readUntil(frame -> frame.stream() == 1
                    && (frame.type() == RawH2.HEADERS || frame.type() == RawH2.RST_STREAM));
            if (answer.type() == RawH2.HEADERS) {
                assertThat(client.decode(answer).status().toString()).isEqualTo("431");
            }
            // A normal request on the same connection is still served.
            client.headers(3, RawH2.get("/"), RawH2.END_HEADERS | RawH2.END_STREAM).flush();
            RawH2.Frame ok = client.readUntil(frame -> frame.stream() == 3 && frame.type() == RawH2.HEADERS);
            assertThat(client.decode(ok).status().toString()).isEqualTo("200");
        }
        assertThat(backend.requests()).isEqualTo(1);
    }

    /** POST headers for {@code path} announcing a body of {@code length} bytes. */
    private static Http2Headers post(String path, long length) {
        return RawH2.get(path).method("POST").setLong("content-length", length);
    }

    /**
     * The frames of {@code stream} up to its end: our answer, then how the stream was ended. Fails
     * when the connection ends first.
     */
    private static List<RawH2.Frame> streamFrames(RawH2 client, int stream) throws IOException {
        List<RawH2.Frame> frames = new ArrayList<>();
        while (true) {
            RawH2.Frame frame = client.read();
            if (frame.stream() != stream) {
                continue;
            }
            frames.add(frame);
            if (frame.type() == RawH2.RST_STREAM) {
                return frames;
            }
        }
    }

    /**
     * A stream answered in full before its request body arrived (here: the body is announced larger
     * than max-body-size) is ended with RST_STREAM NO_ERROR, which asks the client to stop sending
     * without failing the response (RFC 9113 section 8.1). CANCEL, which Netty sends when a stream
     * channel closes early, makes clients such as h2load and nghttp count the answered request as
     * failed.
     */
    @Test
    void aStreamAnsweredBeforeItsBodyArrivedEndsWithNoErrorNotCancel() throws Exception {
        TestBackend backend = backend("b");
        hub.forward(APP, backend.endpoint());
        Gateway gateway = start(GatewayConfig.builder().maxBodySize(1000).build(), GatewayRoute.path(APP, "/"));
        try (RawH2 client = new RawH2(gateway.port())) {
            client.headers(1, post("/", 5000), RawH2.END_HEADERS).frame(RawH2.DATA, 0, 1, new byte[100]).flush();
            List<RawH2.Frame> frames = streamFrames(client, 1);

            assertThat(frames).as("answer, its end, then the reset").hasSizeGreaterThanOrEqualTo(3);
            assertThat(client.decode(frames.get(0)).status().toString()).isEqualTo("413");
            assertThat(frames.get(frames.size() - 2).flags() & RawH2.END_STREAM).as("the answer was complete")
                    .isEqualTo(RawH2.END_STREAM);
            assertThat(frames.getLast().errorCode()).as("RST_STREAM NO_ERROR, not CANCEL (8)").isZero();

            // The connection goes on: the next stream is answered.
            client.headers(3, RawH2.get("/"), RawH2.END_HEADERS | RawH2.END_STREAM).flush();
            RawH2.Frame next = client.readUntil(frame -> frame.stream() == 3 && frame.type() == RawH2.HEADERS);
            assertThat(client.decode(next).status().toString()).isEqualTo("200");
        }
        assertThat(backend.requests()).isEqualTo(1);
    }

    /** The same when the endpoint answers before reading the body, as nginx's {@code return 200} does. */
    @Test
    void aStreamTheEndpointAnsweredBeforeItsBodyArrivedEndsWithNoError() throws Exception {
        TestBackend backend = backend("b");
        hub.forward(APP, backend.endpoint());
        Gateway gateway = startDefault();
        try (RawH2 client = new RawH2(gateway.port())) {
            client.headers(1, post("/", 1_000_000), RawH2.END_HEADERS);
            // As much as the default window allows before our SETTINGS ack; then, as the gateway
            // reads it and opens the window, more: past 64KiB it stops buffering and forwards.
            for (int i = 0; i < 4; i++) {
                client.frame(RawH2.DATA, 0, 1, new byte[16_383]);
            }
            client.flush();
            List<RawH2.Frame> frames = new ArrayList<>();
            boolean sentMore = false;
            while (frames.isEmpty() || frames.getLast().type() != RawH2.RST_STREAM) {
                RawH2.Frame frame = client.read();
                if (frame.stream() != 1) {
                    continue;
                }
                frames.add(frame);
                if (frame.type() == RawH2.WINDOW_UPDATE && !sentMore) {
                    sentMore = true;
                    client.frame(RawH2.DATA, 0, 1, new byte[16_383]).flush();
                }
            }

            RawH2.Frame head = frames.stream().filter(frame -> frame.type() == RawH2.HEADERS).findFirst().orElseThrow();
            assertThat(client.decode(head).status().toString()).isEqualTo("200");
            assertThat(frames).anyMatch(frame -> frame.type() == RawH2.DATA
                    && (frame.flags() & RawH2.END_STREAM) != 0);
            assertThat(frames.getLast().errorCode()).as("RST_STREAM NO_ERROR, not CANCEL (8): %s", frames).isZero();
        }
        assertThat(backend.requests()).isEqualTo(1);
    }

    @Test
    void aTargetWhoseBackendProtocolIsH2cGetsPlainRequestsOverHttp2() throws Exception {
        H2cBackend backend = closeLater(new H2cBackend());
        hub.forward(APP, backend.endpoint());
        Gateway gateway = start(GatewayConfig.builder().backendProtocol(BackendProtocol.H2C).build(),
                GatewayRoute.path(APP, "/"));

        // An HTTP/1.1 client; the endpoint speaks HTTP/2 only, so an answer means the gateway spoke HTTP/2 to it.
        assertThat(get(gateway, "/a?x=1").body()).isEqualTo("h2 GET /a?x=1 0");
        HttpResponse<String> post = http.send(HttpRequest.newBuilder(uri(gateway, "/b"))
                .POST(HttpRequest.BodyPublishers.ofString("xyz")).build(), HttpResponse.BodyHandlers.ofString());

        assertThat(post.statusCode()).isEqualTo(200);
        assertThat(post.body()).isEqualTo("h2 POST /b 3");
        assertThat(backend.streams()).isEqualTo(2);
        await().atMost(Duration.ofSeconds(10)).until(() -> gateway.stats(APP).inFlight() == 0);
    }

    @Test
    void aRapidResetBurstEndsThatConnectionAndOthersAreServed() throws Exception {
        TestBackend backend = backend("b");
        Gateway gateway = start(GatewayConfig.builder().http2(Http2Config.defaults()
                .withFloodLimits(100, 1000, Duration.ofSeconds(30))).build(), GatewayRoute.path(APP, "/"));
        // No endpoint yet: each stream is held, then reset at once (CVE-2023-44487).
        List<RawH2.Frame> frames;
        try (RawH2 attacker = new RawH2(gateway.port())) {
            try {
                for (int i = 0, stream = 1; i < 1000; i++, stream += 2) {
                    attacker.headers(stream, RawH2.get("/"), RawH2.END_HEADERS | RawH2.END_STREAM).rst(stream);
                }
                attacker.flush();
            } catch (IOException e) {
                // The gateway closed the connection while we were still writing: that is the point.
            }
            frames = attacker.readToEnd();
        }
        assertThat(frames).anySatisfy(frame -> {
            assertThat(frame.type()).isEqualTo(RawH2.GOAWAY);
            assertThat(frame.errorCode()).as("ENHANCE_YOUR_CALM").isEqualTo(0xb);
        });
        await().atMost(Duration.ofSeconds(10)).until(() -> gateway.stats(APP).held() == 0
                && gateway.stats(APP).inFlight() == 0);

        hub.forward(APP, backend.endpoint());
        assertThat(curl("--http2-prior-knowledge", uri(gateway, "/").toString())).containsExactly("hello from b");
    }

    @Test
    void aContinuationFloodEndsThatConnectionAndOthersAreServed() throws Exception {
        TestBackend backend = backend("b");
        hub.forward(APP, backend.endpoint());
        Gateway gateway = startDefault();
        List<RawH2.Frame> frames;
        try (RawH2 attacker = new RawH2(gateway.port())) {
            try {
                // A header block that never ends: HEADERS without END_HEADERS, then empty CONTINUATION frames.
                attacker.headers(1, RawH2.get("/"), RawH2.END_STREAM);
                for (int i = 0; i < 10_000; i++) {
                    attacker.frame(RawH2.CONTINUATION, 0, 1, new byte[0]);
                }
                attacker.flush();
            } catch (IOException e) {
                // Closed while we were still writing.
            }
            frames = attacker.readToEnd();
        }
        assertThat(frames).anyMatch(frame -> frame.type() == RawH2.GOAWAY);
        assertThat(backend.requests()).isZero();
        assertThat(curl("--http2-prior-knowledge", uri(gateway, "/").toString())).containsExactly("hello from b");
    }

    /**
     * The memory side of a CONTINUATION flood: a header block that never ends, in full-size
     * frames, 64 MiB of it. The gateway ends the connection once the block passes the header list
     * limit, so the client cannot even write it all, and what Netty's allocator holds (sampled
     * every millisecond while the flood runs; the gateway runs in this JVM) never grows by more
     * than a few MiB.
     */
    @Test
    void aContinuationFloodOfLargeFramesIsCutEarlyAndMemoryStaysBounded() throws Exception {
        TestBackend backend = backend("b");
        hub.forward(APP, backend.endpoint());
        Gateway gateway = startDefault();
        io.netty.buffer.ByteBufAllocatorMetric allocator =
                ((io.netty.buffer.ByteBufAllocatorMetricProvider) io.netty.buffer.ByteBufAllocator.DEFAULT).metric();
        java.util.function.LongSupplier used = () -> allocator.usedDirectMemory() + allocator.usedHeapMemory();
        long before = used.getAsLong();
        java.util.concurrent.atomic.AtomicLong peak = new java.util.concurrent.atomic.AtomicLong(before);
        java.util.concurrent.atomic.AtomicBoolean flooding = new java.util.concurrent.atomic.AtomicBoolean(true);
        Thread sampler = Thread.ofPlatform().daemon().start(() -> {
            while (flooding.get()) {
                peak.accumulateAndGet(used.getAsLong(), Math::max);
                java.util.concurrent.locks.LockSupport.parkNanos(1_000_000); // pacing the sampling, not waiting for anything
            }
        });
        long total = 64L * 1024 * 1024;
        long written = 0;
        try (RawH2 attacker = new RawH2(gateway.port())) {
            byte[] fragment = new byte[16 * 1024];
            java.util.Arrays.fill(fragment, (byte) 0x40); // literal header fields, never completed
            try {
                attacker.headers(1, RawH2.get("/"), RawH2.END_STREAM);
                while (written < total) {
                    attacker.frame(RawH2.CONTINUATION, 0, 1, fragment);
                    written += fragment.length;
                }
                attacker.flush();
            } catch (IOException e) {
                // The gateway closed the connection while we were still writing: that is the point.
            }
            assertThat(written).as("bytes the client got to write before the gateway ended the connection")
                    .isLessThan(total);
            attacker.readToEnd();
        } finally {
            flooding.set(false);
            sampler.join();
        }
        assertThat(peak.get() - before).as("growth of Netty's allocator during the flood")
                .isLessThan(16L * 1024 * 1024);
        assertThat(backend.requests()).isZero();
        assertThat(curl("--http2-prior-knowledge", uri(gateway, "/").toString())).containsExactly("hello from b");
    }

    @Test
    void aPingFloodEndsThatConnection() throws Exception {
        TestBackend backend = backend("b");
        hub.forward(APP, backend.endpoint());
        Gateway gateway = start(GatewayConfig.builder().http2(Http2Config.defaults()
                .withFloodLimits(200, 50, Duration.ofSeconds(30))).build(), GatewayRoute.path(APP, "/"));
        List<RawH2.Frame> frames;
        try (RawH2 attacker = new RawH2(gateway.port())) {
            try {
                for (int i = 0; i < 200; i++) {
                    attacker.ping(i);
                }
                attacker.flush();
            } catch (IOException e) {
                // Closed while we were still writing.
            }
            frames = attacker.readToEnd();
        }
        assertThat(frames).anySatisfy(frame -> {
            assertThat(frame.type()).isEqualTo(RawH2.GOAWAY);
            assertThat(frame.errorCode()).as("ENHANCE_YOUR_CALM").isEqualTo(0xb);
        });
        assertThat(frames.stream().filter(frame -> frame.type() == RawH2.PING).count())
                .as("PING acks before the limit").isLessThanOrEqualTo(50);
        assertThat(curl("--http2-prior-knowledge", uri(gateway, "/").toString())).containsExactly("hello from b");
    }

    @Test
    void http2CanBeTurnedOff() throws Exception {
        TestBackend backend = backend("b");
        hub.forward(APP, backend.endpoint());
        Gateway gateway = start(GatewayConfig.builder().http2(Http2Config.defaults().withEnabled(false)).build(),
                GatewayRoute.path(APP, "/"));
        try (RawHttp client = new RawHttp(gateway.port())) {
            // Read as HTTP/1.1, the preface is a request of version HTTP/2.0: refused, never forwarded.
            RawHttp.Response response = client.send("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n").read();
            assertThat(response.status()).isEqualTo(505);
            assertThat(client.closedByServer()).isTrue();
        }
        assertThat(backend.requests()).isZero();
    }
}
