package io.zeroscale.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.zeroscale.spi.orchestrator.Endpoint;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import org.junit.jupiter.api.Test;

/** An endpoint that refuses a connection does not cost the user a 502: the request waits for the engine. */
class GatewayRefusedIT extends GatewayTestSupport {

    /** A loopback port nothing listens on. */
    private static Endpoint deadEndpoint() throws Exception {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return new Endpoint("127.0.0.1", socket.getLocalPort());
        }
    }

    /** The default gateway with its upstream pools reading idle times from {@code nanos}, which only the test moves. */
    private Gateway startWithPoolClock(LongSupplier nanos) {
        return start(Gateway.builder(hub).config(GatewayConfig.defaults()).nanoTime(nanos), GatewayRoute.path(APP, "/"));
    }

    @Test
    void aRefusedRequestIsHeldAndSentToTheEndpointTheEnginePublishesNext() throws Exception {
        Endpoint dead = deadEndpoint();
        hub.forward(APP, dead);
        // The engine re-observes after a refusal, finds the workload stopped and starts it again.
        hub.onRefused(refusal -> hub.actuate(() -> hub.forward(APP, backend("restarted").endpoint())));
        Gateway gateway = startDefault();

        HttpResponse<String> response = get(gateway, "/");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).isEqualTo("hello from restarted");
        // Until the new route arrives the dead endpoint is retried after a backoff, so it may refuse again.
        assertThat(hub.refusals()).isNotEmpty().allSatisfy(refusal -> {
            assertThat(refusal.target()).isEqualTo(APP);
            assertThat(refusal.endpoint()).isEqualTo(dead);
            assertThat(refusal.reason()).isEqualTo("connection refused");
        });
        assertThat(hub.reports(APP)).as("held while the engine looked again").anyMatch(stats -> stats.held() == 1);
    }

    @Test
    void aRefusedPostKeepsItsBodyForTheRetry() throws Exception {
        hub.forward(APP, deadEndpoint());
        hub.onRefused(refusal -> hub.actuate(() -> hub.forward(APP, backend("restarted").endpoint())));
        Gateway gateway = startDefault();

        HttpResponse<String> response = http.send(HttpRequest.newBuilder(uri(gateway, "/echo"))
                .POST(HttpRequest.BodyPublishers.ofString("keep me")).build(), HttpResponse.BodyHandlers.ofString());

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).isEqualTo("keep me");
    }

    @Test
    void aRefusingEndpointIsSkippedWhileAnotherIsReady() throws Exception {
        Endpoint dead = deadEndpoint();
        TestBackend live = backend("live");
        hub.forward(APP, dead, live.endpoint());
        Gateway gateway = start(GatewayConfig.builder().loadBalancing(LoadBalancing.ROUND_ROBIN).build(),
                GatewayRoute.path(APP, "/"));

        for (int i = 0; i < 6; i++) {
            HttpResponse<String> response = get(gateway, "/");
            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(response.body()).isEqualTo("hello from live");
        }
        assertThat(hub.refusals()).isNotEmpty().allMatch(refusal -> refusal.endpoint().equals(dead));
        assertThat(hub.reports(APP)).as("never held: another endpoint was ready").allMatch(stats -> stats.held() == 0);
    }

    @Test
    void aPooledConnectionTheEndpointClosedIsReplacedWithoutAnError() throws Exception {
        FlakyBackend flaky = closeLater(new FlakyBackend(false));
        hub.forward(APP, flaky.endpoint());
        Gateway gateway = startDefault();

        assertThat(get(gateway, "/").body()).isEqualTo("ok");
        // Reuses the pooled connection, which the endpoint closes on this request: sent again on a new one.
        assertThat(get(gateway, "/").body()).isEqualTo("ok");

        assertThat(flaky.connections()).isEqualTo(2);
        assertThat(flaky.answered()).isEqualTo(2);
        assertThat(hub.refusals()).isEmpty();
    }

    @Test
    void aPostWhoseEndpointDiesBeforeAnsweringGets502AndIsNotSentAgain() throws Exception {
        FlakyBackend flaky = closeLater(new FlakyBackend(false));
        hub.forward(APP, flaky.endpoint());
        // The pool's clock stands still: however slow this machine is, the connection is not idle too long to reuse.
        Gateway gateway = startWithPoolClock(() -> 0L);
        HttpRequest post = HttpRequest.newBuilder(uri(gateway, "/")).POST(HttpRequest.BodyPublishers.ofString("x")).build();

        assertThat(http.send(post, HttpResponse.BodyHandlers.ofString()).body()).isEqualTo("ok");
        // At once, on the pooled connection, which the endpoint closes after reading the request.
        HttpResponse<String> second = http.send(post, HttpResponse.BodyHandlers.ofString());

        assertThat(second.statusCode()).isEqualTo(502);
        assertThat(second.body()).contains("before answering a POST request, which is not sent twice");
        assertThat(flaky.connections()).as("not sent again on a new connection").isEqualTo(1);
        assertThat(flaky.answered()).isEqualTo(1);
    }

    @Test
    void aPostNeverGoesOutOnAPooledConnectionIdleLongEnoughToHaveBeenClosed() throws Exception {
        FlakyBackend flaky = closeLater(new FlakyBackend(false));
        hub.forward(APP, flaky.endpoint());
        // The pool's clock, driven by the test: each read is later than the one before by more than
        // the unsafe-reuse window, so the connection is too long idle when the second POST takes it
        // whenever the pool marked it idle (the client may see the first response before that).
        AtomicLong nanos = new AtomicLong();
        Gateway gateway = startWithPoolClock(() -> nanos.addAndGet(Exchange.UNSAFE_REUSE_NANOS + 1));
        HttpRequest post = HttpRequest.newBuilder(uri(gateway, "/")).POST(HttpRequest.BodyPublishers.ofString("x")).build();

        assertThat(http.send(post, HttpResponse.BodyHandlers.ofString()).body()).isEqualTo("ok");
        HttpResponse<String> later = http.send(post, HttpResponse.BodyHandlers.ofString());

        assertThat(later.statusCode()).isEqualTo(200);
        assertThat(flaky.connections()).as("a new connection, not the idle pooled one").isEqualTo(2);
    }

    @Test
    void heldRequestsGoOutOnceTheRefusingEndpointAcceptsAgainWithoutANewRoute() throws Exception {
        Endpoint later = deadEndpoint();
        hub.forward(APP, later);
        Gateway gateway = startDefault();
        java.util.concurrent.CompletableFuture<HttpResponse<String>> response = getAsync(gateway, "/");
        await().atMost(Duration.ofSeconds(10)).until(() -> !hub.refusals().isEmpty());
        int routes = hub.published(APP);

        // The endpoint starts accepting; the engine publishes nothing new (it saw the same replica ready).
        closeLater(TestBackend.start("late", later.port()));

        assertThat(response.get(10, java.util.concurrent.TimeUnit.SECONDS).body()).isEqualTo("hello from late");
        assertThat(hub.published(APP)).isEqualTo(routes);
    }

    @Test
    void aRequestThatCannotBeSentAgainGets502AndTheEngineHearsOfIt() throws Exception {
        FlakyBackend closing = closeLater(new FlakyBackend(true));
        hub.forward(APP, closing.endpoint());
        Gateway gateway = startDefault();
        RawHttp client = closeLater(new RawHttp(gateway.port()));
        // More than the gateway buffers for a replay, and the rest never comes: the request is
        // streaming to the endpoint when it drops the connection, so it cannot be sent again.
        client.send("POST /upload HTTP/1.1\r\nHost: a\r\nContent-Length: 1000000\r\n\r\n"
                + "x".repeat(Exchange.REPLAY_BUFFER * 2));

        RawHttp.Response response = client.read();

        assertThat(response.status()).isEqualTo(502);
        assertThat(response.body()).isEqualTo("endpoint " + closing.endpoint()
                + " of target test/Process/app closed the connection before answering a POST request, which is not"
                + " sent twice\n");
        assertThat(hub.refusals()).extracting(FakeEngineHub.Refusal::endpoint).containsExactly(closing.endpoint());
    }
}
