package io.zeroscale.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.zeroscale.spi.TargetRef;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;

/** Shared fixtures of the gateway tests: a fake engine, real backends, a real gateway on a free port. */
abstract class GatewayTestSupport {
    static final TargetRef APP = TargetRef.of("test", "Process", "app");
    static final TargetRef API = TargetRef.of("test", "Process", "api");

    final FakeEngineHub hub = new FakeEngineHub();
    final HttpClient http = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10))
            .build();
    private final List<AutoCloseable> closeables = Collections.synchronizedList(new ArrayList<>());

    Gateway start(GatewayConfig config, GatewayRoute... routes) {
        return start(Gateway.builder(hub).config(config), routes);
    }

    Gateway start(Gateway.Builder builder, GatewayRoute... routes) {
        Gateway gateway = builder.listen("127.0.0.1", 0).routes(List.of(routes)).start();
        closeables.add(gateway);
        return gateway;
    }

    Gateway startDefault() {
        return start(GatewayConfig.defaults(), GatewayRoute.path(APP, "/"));
    }

    TestBackend backend(String name) {
        TestBackend backend = TestBackend.start(name);
        closeables.add(backend);
        return backend;
    }

    <T extends AutoCloseable> T closeLater(T closeable) {
        closeables.add(closeable);
        return closeable;
    }

    static URI uri(Gateway gateway, String path) {
        return URI.create("http://127.0.0.1:" + gateway.port() + path);
    }

    HttpResponse<String> get(Gateway gateway, String path) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(uri(gateway, path)).build(), HttpResponse.BodyHandlers.ofString());
    }

    CompletableFuture<HttpResponse<String>> getAsync(Gateway gateway, String path) {
        return http.sendAsync(HttpRequest.newBuilder(uri(gateway, path)).build(), HttpResponse.BodyHandlers.ofString());
    }

    @AfterEach
    void closeEverything() throws Exception {
        List<AutoCloseable> reversed;
        synchronized (closeables) {
            reversed = new ArrayList<>(closeables);
        }
        Collections.reverse(reversed);
        for (AutoCloseable closeable : reversed) {
            closeable.close();
        }
        http.close();
        hub.close();
        assertThat(hub.failures()).as("errors in the fake engine's actuations").isEmpty();
    }

    @AfterAll
    static void noBufferLeaks() {
        LeakRecorder.assertNoLeaks();
    }
}
