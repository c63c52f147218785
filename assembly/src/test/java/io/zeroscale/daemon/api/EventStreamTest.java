package io.zeroscale.daemon.api;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.zeroscale.daemon.Daemon;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code GET /events} on a real daemon: the snapshot and live events, and each of its limits
 * (clients, per-client buffer, stream duration, heartbeat). No workload is started.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class EventStreamTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path data;

    private Daemon daemon;
    private final HttpClient client = HttpClient.newHttpClient();

    private Daemon start(String events) {
        daemon = ApiTestDaemon.start(data, ", events: " + events, Map.of()).daemon();
        return daemon;
    }

    @AfterEach
    void stop() {
        if (daemon != null) {
            daemon.stop();
        }
        client.close();
    }

    private String base() {
        return "http://127.0.0.1:" + daemon.apiPort();
    }

    /** A reading client: every line of the stream lands in a queue, on a thread of its own. */
    private final class Reader implements AutoCloseable {
        final HttpResponse<InputStream> response;
        final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
        volatile boolean ended;

        Reader() throws Exception {
            response = client.send(HttpRequest.newBuilder(URI.create(base() + "/events")).header("Accept", "text/event-stream").build(),
                    HttpResponse.BodyHandlers.ofInputStream());
            Thread.ofVirtual().start(() -> {
                try (BufferedReader in = new BufferedReader(new InputStreamReader(response.body(), UTF_8))) {
                    for (String line = in.readLine(); line != null; line = in.readLine()) {
                        lines.add(line);
                    }
                } catch (IOException e) {
                    // closed by the test, or dropped by the server: both end the stream
                }
                ended = true;
            });
        }

        /** The next line matching {@code wanted}, skipping others; fails after 20 s. */
        String next(Predicate<String> wanted) throws InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (System.nanoTime() < deadline) {
                String line = lines.poll(100, TimeUnit.MILLISECONDS);
                if (line != null && wanted.test(line)) {
                    return line;
                }
            }
            throw new AssertionError("no matching line within 20 s; ended=" + ended);
        }

        /** The data of the next event named {@code name}. */
        JsonNode event(String name) throws Exception {
            next(("event: " + name)::equals);
            return JSON.readTree(next(line -> line.startsWith("data: ")).substring(6));
        }

        @Override
        public void close() throws IOException {
            response.body().close();
        }
    }

    private HttpResponse<String> post(String path, String body) throws Exception {
        return client.send(HttpRequest.newBuilder(URI.create(base() + path)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void aSnapshotFirstThenJournalAndStatusEventsAsTheTargetChanges() throws Exception {
        start("{}");
        try (Reader stream = new Reader()) {
            assertThat(stream.response.statusCode()).isEqualTo(200);
            assertThat(stream.response.headers().firstValue("Content-Type")).hasValue(EventStream.CONTENT_TYPE);
            assertThat(stream.response.headers().firstValue("Cache-Control")).hasValue("no-store");
            assertThat(stream.next(line -> !line.isEmpty())).isEqualTo("retry: 1000");
            JsonNode snapshot = stream.event("snapshot");
            assertThat(snapshot).hasSize(1);
            assertThat(snapshot.get(0).path("name").asText()).isEqualTo("hello");
            assertThat(snapshot.get(0).path("automationPaused").asBoolean()).isFalse();

            assertThat(post("/targets/hello/automation", "{\"action\":\"pause\"}").statusCode()).isEqualTo(200);
            JsonNode journal = stream.event("journal");
            assertThat(journal.path("target").asText()).isEqualTo("hello");
            assertThat(journal.path("message").asText()).isEqualTo("automation paused by api (127.0.0.1)");
            JsonNode status = stream.event("status");
            assertThat(status.path("name").asText()).isEqualTo("hello");
            assertThat(status.path("automationPaused").asBoolean()).isTrue();
        }
    }

    /**
     * The narrow race: a client connects while a target's status is about to change (here between
     * the operator's journal entry and the actor's status refresh), so its snapshot has the old
     * status. The change must still reach it as a status event. The test's own journal listener
     * runs on the actor thread, after the stream's: it connects the client right there and returns
     * only once the client's snapshot arrived, so the interleaving is the same on every run.
     */
    @Test
    void aClientWhoseSnapshotMissedAChangeGetsTheChangeAsAnEvent() throws Exception {
        start("{}");
        java.util.concurrent.atomic.AtomicReference<Reader> connected = new java.util.concurrent.atomic.AtomicReference<>();
        java.util.concurrent.atomic.AtomicReference<JsonNode> snapshot = new java.util.concurrent.atomic.AtomicReference<>();
        io.zeroscale.spi.Subscription between = daemon.api().events().engine().journal().subscribe(entry -> {
            if (!entry.message().startsWith("automation paused") || connected.get() != null) {
                return;
            }
            try {
                Reader reader = new Reader();
                connected.set(reader);
                snapshot.set(reader.event("snapshot"));
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        try {
            assertThat(daemon.api().events().clients()).as("no client before the change").isZero();
            assertThat(post("/targets/hello/automation", "{\"action\":\"pause\"}").statusCode()).isEqualTo(200);
            await().atMost(Duration.ofSeconds(20)).until(() -> snapshot.get() != null);
            try (Reader stream = connected.get()) {
                assertThat(snapshot.get().get(0).path("automationPaused").asBoolean()).as("the snapshot was taken before the refresh").isFalse();
                JsonNode status = stream.event("status");
                assertThat(status.path("name").asText()).isEqualTo("hello");
                assertThat(status.path("automationPaused").asBoolean()).isTrue();
            }
        } finally {
            between.close();
        }
    }

    @Test
    void oneStreamMoreThanMaxClientsIsRefusedUntilOneCloses() throws Exception {
        // A short heartbeat: nothing else is written to an idle stream, and the server notices a closed
        // client only at its second write after the close (the first is accepted by the kernel).
        start("{ max-clients: 2, heartbeat: 1s }");
        Reader first = new Reader();
        try (Reader second = new Reader()) {
            first.event("snapshot");
            second.event("snapshot");
            assertThat(daemon.api().events().clients()).isEqualTo(2);

            HttpResponse<String> third = client.send(HttpRequest.newBuilder(URI.create(base() + "/events")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(third.statusCode()).isEqualTo(503);
            assertThat(third.headers().firstValue("Retry-After")).hasValue("5");
            assertThat(JSON.readTree(third.body()).path("message").asText())
                    .isEqualTo("2 event streams are open already (api.events.max-clients); close a dashboard tab or raise the limit");

            first.close();
            await().atMost(Duration.ofSeconds(30)).until(() -> daemon.api().events().clients() == 1);
            try (Reader again = new Reader()) {
                assertThat(again.response.statusCode()).isEqualTo(200);
                again.event("snapshot");
            }
        }
    }

    @Test
    void aClientThatStopsReadingIsDroppedAndTheEngineSideNeverWaits() throws Exception {
        start("{ buffer: 4 }");
        try (Socket slow = new Socket()) {
            // A small receive window, and the test never reads: the server's writes block soon.
            slow.setReceiveBufferSize(4096);
            slow.connect(new InetSocketAddress("127.0.0.1", daemon.apiPort()));
            OutputStream out = slow.getOutputStream();
            out.write(("GET /events HTTP/1.1\r\nHost: 127.0.0.1:" + daemon.apiPort() + "\r\n\r\n").getBytes(UTF_8));
            out.flush();
            await().atMost(Duration.ofSeconds(10)).until(() -> daemon.api().events().listening() == 1);

            // 64 KiB events: a few fill the socket buffers, then the slow client's 4-event queue.
            byte[] big = ("\"" + "x".repeat(64 * 1024) + "\"").getBytes(UTF_8);
            Thread publisher = Thread.ofVirtual().start(() -> {
                for (int i = 0; i < 400; i++) {
                    daemon.api().events().publish("test", big);
                }
            });
            // A hang guard, not a time measurement: publish() never blocks on a client.
            assertThat(publisher.join(Duration.ofSeconds(60))).as("publishing finished while a client does not read").isTrue();
            assertThat(daemon.api().events().dropped()).isEqualTo(1);
            await().atMost(Duration.ofSeconds(30)).until(() -> daemon.api().events().clients() == 0);

            // The dropped client's connection is closed: after what was buffered, the socket ends
            // (end of stream, or a reset); a read that times out means it was left open.
            slow.setSoTimeout(20_000);
            InputStream in = slow.getInputStream();
            byte[] buffer = new byte[64 * 1024];
            try {
                while (in.read(buffer) >= 0) {
                    // what the server had written before the drop
                }
            } catch (java.net.SocketTimeoutException e) {
                throw new AssertionError("the dropped client's connection is still open", e);
            } catch (java.net.SocketException reset) {
                // a reset ends it as well
            }
        }
        // The stream still serves others.
        try (Reader reader = new Reader()) {
            reader.event("snapshot");
        }
    }

    @Test
    void aStreamEndsAfterMaxDurationAndSendsHeartbeatsMeanwhile() throws Exception {
        start("{ max-duration: 3s, heartbeat: 1s }");
        try (Reader stream = new Reader()) {
            stream.event("snapshot");
            stream.next(": keepalive"::equals);
            stream.next(line -> line.startsWith(": max-duration reached"));
            await().atMost(Duration.ofSeconds(10)).until(() -> stream.ended);
            await().atMost(Duration.ofSeconds(10)).until(() -> daemon.api().events().clients() == 0);
        }
    }
}
