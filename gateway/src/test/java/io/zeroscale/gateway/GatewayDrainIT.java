package io.zeroscale.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.zeroscale.spi.orchestrator.Endpoint;
import io.zeroscale.spi.traffic.Route;
import io.zeroscale.spi.traffic.Routing;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Scale-down never cuts a request short: drains wait for in-flight requests and open streams. */
class GatewayDrainIT extends GatewayTestSupport {

    private static Route drain(Endpoint... endpoints) {
        return new Route(Routing.DRAIN, List.of(), List.of(endpoints));
    }

    @Test
    void drainLetsInFlightRequestsFinishAndReportsDrainedOnlyAfterwards() throws Exception {
        TestBackend backend = backend("b1");
        hub.forward(APP, backend.endpoint());
        Gateway gateway = startDefault();
        List<CompletableFuture<HttpResponse<String>>> inFlight = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            inFlight.add(getAsync(gateway, "/slow"));
        }
        await().atMost(Duration.ofSeconds(20)).until(() -> backend.slowStarted() == 10);

        hub.publish(APP, drain(backend.endpoint()));

        // A request arriving during the drain goes nowhere near the endpoint being removed: it is held.
        CompletableFuture<HttpResponse<String>> late = getAsync(gateway, "/");
        await().atMost(Duration.ofSeconds(10)).until(() -> gateway.stats(APP).held() == 1);
        assertThat(backend.requests()).isEqualTo(10);
        assertThat(gateway.stats(APP).inFlight()).isEqualTo(10);
        assertThat(hub.drained()).as("drained while 10 requests are in flight").isEmpty();

        backend.releaseSlow();

        for (CompletableFuture<HttpResponse<String>> response : inFlight) {
            HttpResponse<String> answer = response.get(30, TimeUnit.SECONDS);
            assertThat(answer.statusCode()).isEqualTo(200);
            assertThat(answer.body()).isEqualTo("slow from b1");
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> !hub.drained().isEmpty());
        assertThat(hub.drained()).containsExactly(new FakeEngineHub.Drained(APP, List.of(backend.endpoint())));
        assertThat(late).isNotDone();

        // The engine wakes the target again for the held request.
        TestBackend next = backend("b2");
        hub.forward(APP, next.endpoint());
        HttpResponse<String> answer = late.get(30, TimeUnit.SECONDS);
        assertThat(answer.statusCode()).isEqualTo(200);
        assertThat(answer.body()).isEqualTo("hello from b2");
    }

    @Test
    void drainOfAnIdleEndpointIsReportedAtOnce() {
        TestBackend backend = backend("idle");
        hub.forward(APP, backend.endpoint());
        startDefault();

        hub.publish(APP, drain(backend.endpoint()));

        await().atMost(Duration.ofSeconds(10)).until(() -> !hub.drained().isEmpty());
        assertThat(hub.drained()).containsExactly(new FakeEngineHub.Drained(APP, List.of(backend.endpoint())));
    }

    @Test
    void partialScaleDownDrainsOneEndpointWhileTheOtherKeepsServing() throws Exception {
        TestBackend staying = backend("staying");
        TestBackend leaving = backend("leaving");
        hub.forward(APP, leaving.endpoint());
        Gateway gateway = startDefault();
        CompletableFuture<HttpResponse<String>> slow = getAsync(gateway, "/slow");
        await().atMost(Duration.ofSeconds(10)).until(() -> leaving.slowStarted() == 1);

        hub.publish(APP, new Route(Routing.FORWARD, List.of(staying.endpoint()), List.of(leaving.endpoint())).withDrain(41));

        for (int i = 0; i < 5; i++) {
            assertThat(get(gateway, "/").body()).isEqualTo("hello from staying");
        }
        // A newer drain elsewhere: this endpoint's drain goes on and keeps the id that started it.
        hub.publish(APP, new Route(Routing.FORWARD, List.of(staying.endpoint()), List.of(leaving.endpoint())).withDrain(42));
        assertThat(hub.drained()).isEmpty();
        leaving.releaseSlow();
        assertThat(slow.get(30, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
        await().atMost(Duration.ofSeconds(10)).until(() -> !hub.drained().isEmpty());
        assertThat(hub.drained()).containsExactly(new FakeEngineHub.Drained(APP, List.of(leaving.endpoint())));
        assertThat(hub.drainIds()).as("reported with the id of the route that started the drain").containsExactly(41L);
    }

    @Test
    void anOpenServerSentEventStreamBlocksTheDrainUntilItCloses() throws Exception {
        TestBackend backend = backend("events");
        hub.forward(APP, backend.endpoint());
        Gateway gateway = startDefault();
        RawHttp stream = closeLater(new RawHttp(gateway.port()));
        stream.send("GET /sse HTTP/1.1\r\nHost: app\r\nAccept: text/event-stream\r\n\r\n");

        // The first event arrives while the backend still holds the second back: it is streamed, not buffered.
        String first = stream.readUntil("data: 1");
        assertThat(first).startsWith("HTTP/1.1 200").containsIgnoringCase("transfer-encoding: chunked");
        assertThat(gateway.stats(APP).inFlight()).isEqualTo(1);

        hub.publish(APP, drain(backend.endpoint()));
        // The stream keeps the target awake: in flight, not drained.
        assertThat(gateway.stats(APP).inFlight()).isEqualTo(1);
        assertThat(hub.drained()).isEmpty();
        assertThat(hub.latest(APP).inFlight()).isEqualTo(1);

        backend.releaseSse();
        assertThat(stream.readUntil("data: 2")).contains("data: 2");

        await().atMost(Duration.ofSeconds(10)).until(() -> !hub.drained().isEmpty());
        assertThat(hub.drained()).containsExactly(new FakeEngineHub.Drained(APP, List.of(backend.endpoint())));
        assertThat(gateway.stats(APP).inFlight()).isZero();
    }

    @Test
    void aClientClosingItsStreamEndsTheDrain() throws Exception {
        TestBackend backend = backend("events");
        hub.forward(APP, backend.endpoint());
        Gateway gateway = startDefault();
        RawHttp stream = new RawHttp(gateway.port());
        stream.send("GET /sse HTTP/1.1\r\nHost: app\r\n\r\n");
        stream.readUntil("data: 1");
        hub.publish(APP, drain(backend.endpoint()));
        assertThat(hub.drained()).isEmpty();

        stream.close();

        await().atMost(Duration.ofSeconds(10)).until(() -> !hub.drained().isEmpty());
        assertThat(hub.drained()).containsExactly(new FakeEngineHub.Drained(APP, List.of(backend.endpoint())));
    }

    @Test
    void aDrainThatTimesOutIsReportedAnyway() throws Exception {
        TestBackend backend = backend("stuck");
        hub.forward(APP, backend.endpoint());
        Gateway gateway = start(GatewayConfig.builder().drainTimeout(Duration.ofMillis(300)).build(),
                GatewayRoute.path(APP, "/"));
        CompletableFuture<HttpResponse<String>> stuck = getAsync(gateway, "/slow");
        await().atMost(Duration.ofSeconds(10)).until(() -> backend.slowStarted() == 1);

        hub.publish(APP, drain(backend.endpoint()));

        await().atMost(Duration.ofSeconds(10)).until(() -> !hub.drained().isEmpty());
        assertThat(hub.drained()).containsExactly(new FakeEngineHub.Drained(APP, List.of(backend.endpoint())));
        assertThat(gateway.stats(APP).inFlight()).as("the drain timeout does not cut the request").isEqualTo(1);
        backend.releaseSlow();
        assertThat(stuck.get(30, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
    }
}
