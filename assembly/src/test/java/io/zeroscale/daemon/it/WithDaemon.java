package io.zeroscale.daemon.it;

import io.zeroscale.daemon.Plugins;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;

/**
 * The set-up of the ITs that run one daemon in the test's JVM: a work folder whose {@code data/} is
 * the daemon's data-dir, the daemon started from YAML or a config file through {@link TestDaemon}
 * (the process workloads it leaves behind are stopped after the test), an {@link ApiClient} for its
 * API and gateway, an HTTP/1.1 client for the test's own requests through the gateway, and what the
 * test hands to {@link #closeAfter} closed once the daemon has stopped, last handed first.
 */
public abstract class WithDaemon {
    @TempDir
    protected Path work;

    /** For requests through the gateway with a timeout of the test's own ({@link #send}) or sent asynchronously. */
    protected final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    protected TestDaemon daemon;
    protected ApiClient api;
    private final Deque<AutoCloseable> afterDaemon = new ArrayDeque<>();

    /** The daemon's data-dir: {@code data/} of the work folder. */
    protected final Path data() {
        return work.resolve("data");
    }

    /** Starts the daemon from {@code yaml} (see {@link TestDaemon#start(String, Path)}) with the plugins of the classpath. */
    protected final TestDaemon start(String yaml) {
        return start(yaml, Map.of(), Plugins.load(null));
    }

    /**
     * Starts the daemon from {@code yaml} with {@code overrides} applied and {@code plugins}, which
     * are closed after the test also when the daemon does not start.
     */
    protected final TestDaemon start(String yaml, Map<String, String> overrides, Plugins plugins) {
        return started(TestDaemon.start(yaml, data(), overrides, closeAfter(plugins)));
    }

    /** Starts the daemon from the config file {@code file} on free ports with {@code overrides} applied. */
    protected final TestDaemon start(Path file, Map<String, String> overrides) {
        return started(TestDaemon.start(file, data(), overrides));
    }

    private TestDaemon started(TestDaemon started) {
        daemon = started;
        api = new ApiClient(started.apiPort(), started.gatewayPort());
        return started;
    }

    /** {@code resource}, closed after the test once the daemon has stopped. */
    protected final <T extends AutoCloseable> T closeAfter(T resource) {
        afterDaemon.push(resource);
        return resource;
    }

    /** A GET of {@code path} through the daemon's gateway, answered within {@code timeout}. */
    protected final HttpResponse<String> send(String path, Duration timeout) throws IOException, InterruptedException {
        return http.send(gatewayRequest(path).timeout(timeout).build(), HttpResponse.BodyHandlers.ofString());
    }

    /** A request builder for {@code path} on the daemon's gateway. */
    protected final HttpRequest.Builder gatewayRequest(String path) {
        return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + daemon.gatewayPort() + path));
    }

    @AfterEach
    final void stopDaemon() throws Throwable {
        List<AutoCloseable> all = new ArrayList<>();
        if (api != null) {
            all.add(api);
        }
        if (daemon != null) {
            all.add(daemon::stop);
        }
        all.addAll(afterDaemon);
        all.add(http);
        Throwable failed = null;
        for (AutoCloseable resource : all) {
            try {
                resource.close();
            } catch (Exception | AssertionError e) {
                if (failed == null) {
                    failed = e;
                } else {
                    failed.addSuppressed(e);
                }
            }
        }
        if (failed != null) {
            throw failed;
        }
    }
}
