package io.zeroscale.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.zeroscale.spi.TargetRef;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Targets whose routes change, and targets removed, while other targets serve traffic. */
class GatewayRouteChangesIT extends GatewayTestSupport {
    private static final TargetRef HELD = TargetRef.of("test", "Process", "held");

    @Test
    void swappingAndRemovingOneTargetsRoutesFailsNoRequestOfAnotherTarget() throws Exception {
        TestBackend app = backend("app");
        TestBackend api = backend("api");
        hub.forward(APP, app.endpoint());
        hub.forward(API, api.endpoint());
        Gateway gateway = start(GatewayConfig.defaults(), GatewayRoute.path(APP, "/app"), GatewayRoute.path(API, "/slow"),
                GatewayRoute.path(HELD, "/held"));

        // Bounded load on /app from four clients while the other targets' routes change under it.
        AtomicBoolean stop = new AtomicBoolean();
        AtomicInteger ok = new AtomicInteger();
        AtomicInteger failed = new AtomicInteger();
        ExecutorService clients = Executors.newVirtualThreadPerTaskExecutor();
        List<Future<?>> loops = new java.util.ArrayList<>();
        for (int client = 0; client < 4; client++) {
            loops.add(clients.submit(() -> {
                for (int i = 0; i < 5_000 && !stop.get(); i++) {
                    try {
                        HttpResponse<String> response = get(gateway, "/app/" + i);
                        (response.statusCode() == 200 && response.body().equals("hello from app") ? ok : failed).incrementAndGet();
                    } catch (Exception e) {
                        failed.incrementAndGet();
                    }
                }
                return null;
            }));
        }
        await().atMost(Duration.ofSeconds(30)).until(() -> ok.get() >= 100);

        // A request in flight to the target that will be removed, and one held by another.
        CompletableFuture<HttpResponse<String>> inFlight = getAsync(gateway, "/slow");
        await().atMost(Duration.ofSeconds(30)).until(() -> api.slowStarted() == 1);
        CompletableFuture<HttpResponse<String>> held = getAsync(gateway, "/held/x");
        await().atMost(Duration.ofSeconds(30)).until(() -> gateway.stats(HELD).held() == 1);

        // Route swaps of one target, many times: each is one step, and /app never notices.
        for (int i = 0; i < 200; i++) {
            gateway.routes(API, List.of(GatewayRoute.path(API, "/slow"), GatewayRoute.path(API, "/api" + i)), null);
        }
        assertThat(gateway.routes(API)).containsExactly(GatewayRoute.path(API, "/slow"), GatewayRoute.path(API, "/api199"));
        assertThat(get(gateway, "/api199").body()).isEqualTo("hello from api");
        assertThat(get(gateway, "/api198").statusCode()).isEqualTo(404);

        hub.remove(HELD, "target 'held' was removed (config reload)");
        hub.remove(API, "target 'api' was removed (config reload)");

        HttpResponse<String> refused = held.get(30, TimeUnit.SECONDS);
        assertThat(refused.statusCode()).isEqualTo(503);
        assertThat(refused.headers().firstValue("Retry-After")).hasValue("1");
        assertThat(refused.body().strip()).isEqualTo("target 'held' was removed (config reload); retry in 1s").doesNotContain("\n");

        assertThat(inFlight).isNotDone();
        api.releaseSlow();
        HttpResponse<String> finished = inFlight.get(30, TimeUnit.SECONDS);
        assertThat(finished.statusCode()).as("a request in flight finishes").isEqualTo(200);
        assertThat(finished.body()).isEqualTo("slow from api");

        for (String path : List.of("/slow", "/held/x", "/api199")) {
            HttpResponse<String> gone = get(gateway, path);
            assertThat(gone.statusCode()).as(path).isEqualTo(404);
            assertThat(gone.body().strip()).startsWith("no route for host").doesNotContain("\n");
        }
        assertThat(gateway.routes(API)).isEmpty();

        int okBefore = ok.get();
        await().atMost(Duration.ofSeconds(30)).until(() -> ok.get() >= okBefore + 100);
        stop.set(true);
        for (Future<?> loop : loops) {
            loop.get(60, TimeUnit.SECONDS);
        }
        clients.close();
        assertThat(failed.get()).as("failed requests to the target that stayed").isZero();
        assertThat(ok.get()).isGreaterThan(200);
    }

    @Test
    void aRouteThatAnotherTargetHasIsRefused() {
        Gateway gateway = start(GatewayConfig.defaults(), GatewayRoute.path(APP, "/app"));
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> gateway.routes(API, List.of(GatewayRoute.path(API, "/app")), null))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("already go to " + APP);
        assertThat(gateway.routes(APP)).containsExactly(GatewayRoute.path(APP, "/app"));
    }
}
