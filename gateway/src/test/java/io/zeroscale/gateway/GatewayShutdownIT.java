package io.zeroscale.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.zeroscale.spi.orchestrator.Endpoint;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Graceful shutdown: the listener closes first, held and new requests get a polite 503, requests
 * in flight (streams and WebSockets too) finish within the grace, and what is left after it is
 * answered or cut, never dropped without a word.
 */
@Timeout(120)
class GatewayShutdownIT extends GatewayTestSupport {
    private static final Duration LONG_GRACE = Duration.ofMinutes(1);
    /** RFC 9113 section 7: the stream was closed before any processing. */
    private static final int REFUSED_STREAM = 0x7;

    /** The gateway routes {@code /} to APP, which has {@code endpoint}, and {@code /held} to API, which never wakes. */
    private Gateway startWithHeldRoute(Endpoint endpoint) {
        hub.forward(APP, endpoint);
        return start(GatewayConfig.builder().retryAfter(Duration.ofSeconds(3)).build(),
                GatewayRoute.path(APP, "/"), GatewayRoute.path(API, "/held"));
    }

    private static CompletableFuture<Void> shutdownAsync(Gateway gateway, Duration grace) {
        return CompletableFuture.runAsync(() -> gateway.shutdown(grace), runnable -> new Thread(runnable,
                "shutdown").start());
    }

    /** Starts shutting down and returns once the gateway answered a held request, which it does after it stopped listening. */
    private CompletableFuture<Void> beginShutdown(Gateway gateway, Duration grace) throws Exception {
        CompletableFuture<HttpResponse<String>> held = getAsync(gateway, "/held");
        await().atMost(Duration.ofSeconds(10)).until(() -> gateway.stats(API).held() == 1);
        CompletableFuture<Void> shutdown = shutdownAsync(gateway, grace);
        assertShuttingDown503(held.get(30, TimeUnit.SECONDS));
        return shutdown;
    }

    private static void assertShuttingDown503(HttpResponse<String> response) {
        assertThat(response.statusCode()).isEqualTo(503);
        assertThat(response.headers().firstValue("Retry-After")).hasValue("3");
        assertThat(response.headers().firstValue("Connection")).hasValue("close");
        assertThat(response.body()).isEqualTo("zeroscale is shutting down; retry in 3s\n");
    }

    @Test
    void aSlowRequestInFlightFinishesAndShutdownReturnsOnlyAfterIt() throws Exception {
        TestBackend backend = backend("slow");
        Gateway gateway = startWithHeldRoute(backend.endpoint());
        CompletableFuture<HttpResponse<String>> slow = getAsync(gateway, "/slow");
        await().atMost(Duration.ofSeconds(10)).until(() -> backend.slowStarted() == 1);

        CompletableFuture<Void> shutdown = beginShutdown(gateway, LONG_GRACE);

        assertThat(shutdown).as("shutdown while a request is in flight").isNotDone();
        assertThat(slow).isNotDone();
        assertThat(gateway.stats(APP).inFlight()).isEqualTo(1);

        backend.releaseSlow();

        HttpResponse<String> answer = slow.get(30, TimeUnit.SECONDS);
        assertThat(answer.statusCode()).isEqualTo(200);
        assertThat(answer.body()).isEqualTo("slow from slow");
        assertThat(answer.headers().firstValue("Connection")).as("the last response closes its connection")
                .hasValue("close");
        shutdown.get(30, TimeUnit.SECONDS);
        assertThat(gateway.stats(APP).inFlight()).isZero();
        assertThat(hub.latest(APP).completed()).isEqualTo(1);
    }

    @Test
    void aHeldRequestGets503WithRetryAfterAndNewConnectionsAreRefused() throws Exception {
        TestBackend backend = backend("slow");
        Gateway gateway = startWithHeldRoute(backend.endpoint());
        getAsync(gateway, "/slow");
        await().atMost(Duration.ofSeconds(10)).until(() -> backend.slowStarted() == 1);

        // beginShutdown asserts the held request's 503, Retry-After and one-line body.
        CompletableFuture<Void> shutdown = beginShutdown(gateway, LONG_GRACE);

        assertThatThrownBy(() -> {
            try (Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), gateway.port()), 5_000);
            }
        }).as("a new connection while shutting down").isInstanceOf(ConnectException.class);
        assertThat(shutdown).isNotDone();
        await().atMost(Duration.ofSeconds(10)).until(() -> hub.latest(API).held() == 0);
        backend.releaseSlow();
        shutdown.get(30, TimeUnit.SECONDS);
    }

    @Test
    void aNewRequestOnAnOpenKeepAliveConnectionGets503AndTheConnectionCloses() throws Exception {
        TestBackend backend = backend("slow");
        Gateway gateway = startWithHeldRoute(backend.endpoint());
        RawHttp keepAlive = closeLater(new RawHttp(gateway.port()));
        RawHttp.Response first = keepAlive.send("GET / HTTP/1.1\r\nHost: app\r\n\r\n").read();
        assertThat(first.status()).isEqualTo(200);
        assertThat(first.header("connection")).isNull();
        getAsync(gateway, "/slow");
        await().atMost(Duration.ofSeconds(10)).until(() -> backend.slowStarted() == 1);
        CompletableFuture<Void> shutdown = beginShutdown(gateway, LONG_GRACE);

        RawHttp.Response refused = keepAlive.send("GET / HTTP/1.1\r\nHost: app\r\n\r\n").read();

        assertThat(refused.status()).isEqualTo(503);
        assertThat(refused.header("retry-after")).isEqualTo("3");
        assertThat(refused.header("connection")).isEqualTo("close");
        assertThat(refused.body()).isEqualTo("zeroscale is shutting down; retry in 3s\n");
        assertThat(keepAlive.closedByServer()).isTrue();
        assertThat(backend.requests()).as("the refused request never reached the endpoint").isEqualTo(2);
        backend.releaseSlow();
        shutdown.get(30, TimeUnit.SECONDS);
    }

    /**
     * An HTTP/2 connection hears of the shutdown at once: GOAWAY with NO_ERROR and the last stream
     * it took, so its client opens no new stream here (a stream it sends anyway is not processed,
     * which GOAWAY tells it, rather than answered 503); the stream in flight finishes, and then the
     * connection closes.
     */
    @Test
    void anOpenHttp2ConnectionIsToldToGoAwayAtOnceAndItsStreamInFlightFinishes() throws Exception {
        TestBackend backend = backend("slow");
        Gateway gateway = startWithHeldRoute(backend.endpoint());
        RawH2 client = closeLater(new RawH2(gateway.port()));
        client.headers(1, RawH2.get("/slow"), RawH2.END_HEADERS | RawH2.END_STREAM).flush();
        await().atMost(Duration.ofSeconds(10)).until(() -> backend.slowStarted() == 1);

        CompletableFuture<Void> shutdown = beginShutdown(gateway, LONG_GRACE);

        RawH2.Frame goAway = client.readUntil(frame -> frame.type() == RawH2.GOAWAY);
        assertThat(goAway.errorCode()).as("NO_ERROR").isZero();
        assertThat(goAway.intAt(0) & 0x7fffffff).as("last stream taken").isEqualTo(1);
        assertThat(goAway.debugText()).isEqualTo("zeroscale is shutting down; retry in 3s");
        // A stream opened after the GOAWAY is not processed: no answer, and it never reaches the endpoint.
        client.headers(3, RawH2.get("/"), RawH2.END_HEADERS | RawH2.END_STREAM).flush();
        assertThat(shutdown).as("shutdown while a stream is in flight").isNotDone();

        backend.releaseSlow();

        List<RawH2.Frame> rest = client.readToEnd();
        RawH2.Frame head = rest.stream().filter(frame -> frame.type() == RawH2.HEADERS).findFirst().orElseThrow();
        assertThat(head.stream()).isEqualTo(1);
        assertThat(client.decode(head).status().toString()).isEqualTo("200");
        assertThat(rest).as("the stream in flight ends").anyMatch(frame -> frame.stream() == 1
                && frame.type() == RawH2.DATA && (frame.flags() & RawH2.END_STREAM) != 0);
        // RFC 9113 allows two ways to say "not processed" here: ignore the stream (GOAWAY's last stream
        // id already says so) or reset it with REFUSED_STREAM. Which one the client sees depends on
        // whether its HEADERS reach the server before the connection's last stream ends; never an answer.
        assertThat(rest).as("for the stream opened after GOAWAY, at most RST_STREAM(REFUSED_STREAM)")
                .filteredOn(frame -> frame.stream() == 3)
                .allMatch(frame -> frame.type() == RawH2.RST_STREAM && frame.errorCode() == REFUSED_STREAM);
        shutdown.get(30, TimeUnit.SECONDS);
        assertThat(backend.requests()).isEqualTo(1);
    }

    /** Over HTTP/2 too, a stream whose endpoint has not answered when the grace ends gets the 504. */
    @Test
    void anHttp2StreamWhoseEndpointHasNotAnsweredWhenTheGraceEndsGets504() throws Exception {
        TestBackend backend = backend("stuck");
        hub.forward(APP, backend.endpoint());
        Gateway gateway = startDefault();
        RawH2 client = closeLater(new RawH2(gateway.port()));
        client.headers(1, RawH2.get("/slow"), RawH2.END_HEADERS | RawH2.END_STREAM).flush();
        await().atMost(Duration.ofSeconds(10)).until(() -> backend.slowStarted() == 1);

        shutdownAsync(gateway, Duration.ofMillis(300)).get(30, TimeUnit.SECONDS);

        List<RawH2.Frame> frames = client.readToEnd();
        assertThat(frames).anyMatch(frame -> frame.type() == RawH2.GOAWAY && frame.errorCode() == 0);
        RawH2.Frame head = frames.stream().filter(frame -> frame.type() == RawH2.HEADERS).findFirst().orElseThrow();
        assertThat(client.decode(head).status().toString()).isEqualTo("504");
    }

    @Test
    void anOpenWebSocketKeepsWorkingDuringTheGraceAndShutdownReturnsWhenItCloses() throws Exception {
        WebSocketEchoBackend echo = closeLater(new WebSocketEchoBackend());
        Gateway gateway = startWithHeldRoute(echo.endpoint());
        BlockingQueue<String> messages = new LinkedBlockingQueue<>();
        WebSocket socket = http.newWebSocketBuilder()
                .buildAsync(URI.create("ws://127.0.0.1:" + gateway.port() + "/ws"), new WebSocket.Listener() {
                    @Override
                    public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
                        messages.add(data.toString());
                        webSocket.request(1);
                        return null;
                    }
                })
                .get(20, TimeUnit.SECONDS);
        CompletableFuture<Void> shutdown = beginShutdown(gateway, LONG_GRACE);

        socket.sendText("still there?", true).get(10, TimeUnit.SECONDS);
        assertThat(messages.poll(20, TimeUnit.SECONDS)).isEqualTo("echo: still there?");
        assertThat(shutdown).as("shutdown while a WebSocket is open").isNotDone();

        socket.sendClose(WebSocket.NORMAL_CLOSURE, "bye").get(10, TimeUnit.SECONDS);

        shutdown.get(30, TimeUnit.SECONDS);
        assertThat(gateway.stats(APP).inFlight()).isZero();
    }

    @Test
    void anOpenServerSentEventStreamIsCutAfterTheGraceAndShutdownStillReturns() throws Exception {
        TestBackend backend = backend("events");
        hub.forward(APP, backend.endpoint());
        Gateway gateway = startDefault();
        RawHttp stream = closeLater(new RawHttp(gateway.port()));
        stream.send("GET /sse HTTP/1.1\r\nHost: app\r\nAccept: text/event-stream\r\n\r\n");
        assertThat(stream.readUntil("data: 1")).startsWith("HTTP/1.1 200");

        // The backend never sends its second event: only the end of the grace ends the stream.
        shutdownAsync(gateway, Duration.ofMillis(300)).get(30, TimeUnit.SECONDS);

        String rest = stream.readToEnd();
        assertThat(rest).as("what the stream got after the first event").doesNotContain("data: 2")
                .as("no terminating chunk: the client can tell the stream was cut").doesNotContain("0\r\n\r\n");
        assertThat(gateway.stats(APP).inFlight()).isZero();
    }

    @Test
    void aRequestWhoseEndpointHasNotAnsweredWhenTheGraceEndsGets504() throws Exception {
        TestBackend backend = backend("stuck");
        hub.forward(APP, backend.endpoint());
        Gateway gateway = startDefault();
        CompletableFuture<HttpResponse<String>> stuck = getAsync(gateway, "/slow");
        await().atMost(Duration.ofSeconds(10)).until(() -> backend.slowStarted() == 1);

        shutdownAsync(gateway, Duration.ofMillis(300)).get(30, TimeUnit.SECONDS);

        HttpResponse<String> answer = stuck.get(30, TimeUnit.SECONDS);
        assertThat(answer.statusCode()).isEqualTo(504);
        assertThat(answer.body()).isEqualTo("endpoint " + backend.endpoint() + " of target test/Process/app did not"
                + " answer within the shutdown grace of 300ms; zeroscale is shutting down\n");
    }

    @Test
    void shutdownWithNothingInFlightReturnsAndASecondCallToo() {
        Gateway gateway = startDefault();

        gateway.shutdown(LONG_GRACE);
        gateway.shutdown(LONG_GRACE);
        gateway.close();

        assertThatThrownBy(() -> new Socket(InetAddress.getLoopbackAddress(), gateway.port()).close())
                .isInstanceOf(ConnectException.class);
    }
}
