package io.zeroscale.samples.embedded;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.zeroscale.engine.TargetStatus;
import io.zeroscale.spi.traffic.Routing;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs the sample as its README does, in this JVM: the service starts with its backend at zero, the
 * first greeting wakes the backend (a real process) through the SDK's gateway, and after the idle
 * time the sample's own Java policy drains it and the process is gone; then the service closes.
 */
class GreeterServiceIT {
    private static final Duration IDLE = Duration.ofSeconds(2);

    @TempDir
    Path data;

    private final ByteArrayOutputStream journal = new ByteArrayOutputStream();
    private final List<Long> backendPids = new ArrayList<>();
    private GreeterService service;

    @AfterEach
    void stopEverything() {
        if (service != null) {
            service.close();
        }
        // A failed test must not leave a backend behind.
        backendPids.forEach(pid -> ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly));
    }

    @Test
    void firstRequestWakesTheBackendFromZeroAndIdleReturnsItToZero() throws Exception {
        service = GreeterService.start(new GreeterService.Settings(new InetSocketAddress("127.0.0.1", 0), IDLE,
                Duration.ofMillis(500), data, new PrintStream(tee(journal), true, StandardCharsets.UTF_8)));
        await().atMost(Duration.ofSeconds(10)).until(() -> service.backendStatus().started());
        TargetStatus atStart = service.backendStatus();
        assertThat(atStart.state()).isEqualTo("ZERO");
        assertThat(atStart.observedReplicas()).isZero();

        HttpResponse<String> greeting = get("/greet?name=Ada");

        assertThat(greeting.statusCode()).isEqualTo(200);
        assertThat(greeting.body()).startsWith("Hello, Ada! (backend pid ");
        long pid = backendPid(greeting.body());
        backendPids.add(pid);
        assertThat(ProcessHandle.of(pid)).as("the backend is a real process").hasValueSatisfying(p -> assertThat(p.isAlive()).isTrue());
        TargetStatus woken = service.backendStatus();
        assertThat(woken.state()).isEqualTo("ACTIVE");
        assertThat(woken.readyReplicas()).isEqualTo(1);
        assertThat(woken.routing()).isEqualTo(Routing.FORWARD);
        assertThat(get("/status").body()).startsWith(GreeterService.TARGET + ": ACTIVE, 1/1 replica(s) ready");

        // A second request finds it awake: same process.
        assertThat(backendPid(get("/greet?name=Grace").body())).isEqualTo(pid);

        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            TargetStatus status = service.backendStatus();
            assertThat(status.state()).isEqualTo("ZERO");
            assertThat(status.observedReplicas()).isZero();
        });
        await().atMost(Duration.ofSeconds(10)).until(() -> ProcessHandle.of(pid).map(p -> !p.isAlive()).orElse(true));
        assertThat(journal.toString(StandardCharsets.UTF_8))
                .contains("WAKING  replicas=1  ZERO -> WAKING: waking: 1 request(s) held")
                .contains("ACTIVE  replicas=1  WAKING -> ACTIVE: backend ready after")
                .contains("DRAINING  replicas=1  ACTIVE -> DRAINING: no request for 2000 ms; draining")
                .contains("ZERO  replicas=0  DRAINING -> ZERO: drained; scaled to zero");

        int port = service.port();
        service.close();
        service = null;
        assertThatThrownBy(() -> get(port, "/status")).isInstanceOf(ConnectException.class);
    }

    @Test
    void aRunningBackendIsLeftRunningOnCloseAndAdoptedByTheNextStart() throws Exception {
        GreeterService.Settings settings = new GreeterService.Settings(new InetSocketAddress("127.0.0.1", 0), Duration.ofMinutes(5),
                Duration.ofMillis(200), data, new PrintStream(tee(journal), true, StandardCharsets.UTF_8));
        service = GreeterService.start(settings);
        long pid = backendPid(get("/greet").body());
        backendPids.add(pid);
        service.close();
        service = null;
        assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive)).as("closing never stops a backend").contains(true);

        service = GreeterService.start(settings);
        await().atMost(Duration.ofSeconds(10)).until(() -> "ACTIVE".equals(service.backendStatus().state()));

        assertThat(backendPid(get("/greet").body())).as("adopted, not started twice").isEqualTo(pid);
        assertThat(journal.toString(StandardCharsets.UTF_8)).contains("adopted a running backend");
    }

    private HttpResponse<String> get(String path) throws IOException, InterruptedException {
        return get(service.port(), path);
    }

    private static HttpResponse<String> get(int port, String path) throws IOException, InterruptedException {
        try (HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build()) {
            return client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(Duration.ofSeconds(60)).build(),
                    HttpResponse.BodyHandlers.ofString());
        }
    }

    private static long backendPid(String body) {
        Matcher matcher = Pattern.compile("backend pid (\\d+)").matcher(body);
        assertThat(matcher.find()).as("a pid in: " + body).isTrue();
        return Long.parseLong(matcher.group(1));
    }

    /** The journal goes to the test's output too, so a failure shows what the policy decided. */
    private static OutputStream tee(ByteArrayOutputStream copy) {
        return new OutputStream() {
            @Override
            public void write(int b) {
                copy.write(b);
                System.out.write(b);
            }

            @Override
            public void write(byte[] b, int off, int len) {
                copy.write(b, off, len);
                System.out.write(b, off, len);
            }
        };
    }

}
