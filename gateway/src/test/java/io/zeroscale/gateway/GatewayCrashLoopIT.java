package io.zeroscale.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.zeroscale.spi.traffic.Route;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * The engine gave up on a wake (a crash loop): its route's refusal answers the held requests and
 * every new one at once with 503, Retry-After and the reason, until the engine's next attempt.
 */
class GatewayCrashLoopIT extends GatewayTestSupport {
    private static final String REASON = "target app cannot start: replica 127.0.0.1:4000 (pid 7) exited with status 3"
            + " before it was ready; last output: model file missing (2 failed starts in a row)";

    private final AtomicReference<Instant> now = new AtomicReference<>(Instant.parse("2026-01-01T00:00:00Z"));
    private final InstantSource clock = () -> now.get();

    @Test
    void heldAndNewRequestsGetTheRefusalAtOnceUntilTheNextAttempt() throws Exception {
        Gateway gateway = start(Gateway.builder(hub).clock(clock), GatewayRoute.path(APP, "/"));
        CompletableFuture<HttpResponse<String>> held = getAsync(gateway, "/model");
        await().atMost(Duration.ofSeconds(10)).until(() -> gateway.stats(APP).held() == 1);

        hub.publish(APP, Route.hold().withRefusal(new Route.Refusal(REASON, now.get().plusSeconds(4))));

        HttpResponse<String> answered = held.get(10, TimeUnit.SECONDS);
        assertThat(answered.statusCode()).isEqualTo(503);
        assertThat(answered.headers().firstValue("Retry-After")).hasValue("4");
        assertThat(answered.body()).isEqualTo(REASON + "\n");

        now.set(now.get().plusMillis(2500));
        HttpResponse<String> fresh = get(gateway, "/model");
        assertThat(fresh.statusCode()).isEqualTo(503);
        assertThat(fresh.headers().firstValue("Retry-After")).as("whole seconds left, rounded up").hasValue("2");
        assertThat(fresh.body()).contains("exited with status 3", "model file missing");
        assertThat(gateway.stats(APP).held()).isZero();

        // The next attempt is due: requests are held again (and wake the target), even before a new route.
        now.set(now.get().plusMillis(1500));
        CompletableFuture<HttpResponse<String>> after = getAsync(gateway, "/model");
        await().atMost(Duration.ofSeconds(10)).until(() -> gateway.stats(APP).held() == 1);
        TestBackend backend = backend("fixed");
        hub.forward(APP, backend.endpoint());
        assertThat(after.get(10, TimeUnit.SECONDS).body()).isEqualTo("hello from fixed");
    }
}
