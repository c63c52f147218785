package io.zeroscale.samples.embedded;

import static java.nio.charset.StandardCharsets.UTF_8;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.zeroscale.engine.JournalEntry;
import io.zeroscale.engine.TargetSpec;
import io.zeroscale.engine.TargetStatus;
import io.zeroscale.engine.Zeroscale;
import io.zeroscale.gateway.Gateway;
import io.zeroscale.gateway.GatewayRoute;
import io.zeroscale.spi.Config;
import io.zeroscale.spi.Durations;
import io.zeroscale.spi.Subscription;
import io.zeroscale.spi.TargetRef;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * A plain Java service with Zeroscale embedded. Its own endpoint ({@code GET /greet?name=Ada},
 * {@code GET /status}) answers greetings with the help of an expensive backend that it runs as a
 * local process and that costs nothing while nobody asks: the SDK scales it to zero after {@code
 * idle} and wakes it when the next request comes.
 *
 * <p>Inside, in the order {@link #start} builds them:
 *
 * <ol>
 *   <li>the engine, built in code with {@link Zeroscale#builder()}: the built-in {@code process}
 *       orchestrator, and the sample's own policy {@link OnDemandPolicy} found on the class path;
 *   <li>the SDK's gateway on a free loopback port, routing to the backend: it holds a request while
 *       the backend wakes and forwards it once the backend is observed ready;
 *   <li>the service's own HTTP endpoint (the JDK's HTTP server), which calls the backend through the
 *       gateway.
 * </ol>
 *
 * {@link #close()} stops them in reverse order. Like the daemon, it never stops a running backend
 * on the way out: the next start adopts it (the process orchestrator keeps its state under the
 * data directory).
 */
public final class GreeterService implements AutoCloseable {
    /** The target's name; its backend runs as the process orchestrator's {@code Process/greeter-backend}. */
    public static final String TARGET = "greeter-backend";

    /**
     * What the service needs to start.
     *
     * @param listen where the service's own endpoint listens (port 0 picks a free one)
     * @param idle how long the backend may go unused before it is stopped
     * @param backendLoad how long the backend takes to start (a stand-in for loading a model)
     * @param dataDirectory where the SDK keeps state across restarts (which backend processes run)
     * @param log where the decision journal is printed as it is written
     */
    public record Settings(InetSocketAddress listen, Duration idle, Duration backendLoad, Path dataDirectory, PrintStream log) {
        /**
         * From the environment: {@code GREETER_PORT} (default 8090), {@code GREETER_IDLE} (20s),
         * {@code GREETER_BACKEND_LOAD} (3s), {@code GREETER_DATA} ({@code .zeroscale/greeter}).
         */
        public static Settings fromEnvironment() {
            Map<String, String> env = System.getenv();
            return new Settings(new InetSocketAddress(InetAddress.getLoopbackAddress(), Integer.parseInt(env.getOrDefault("GREETER_PORT", "8090"))),
                    Durations.parse(env.getOrDefault("GREETER_IDLE", "20s")),
                    Durations.parse(env.getOrDefault("GREETER_BACKEND_LOAD", "3s")),
                    Path.of(env.getOrDefault("GREETER_DATA", ".zeroscale/greeter")), System.out);
        }
    }

    private final Zeroscale zeroscale;
    private final Gateway gateway;
    private final HttpServer server;
    private final ExecutorService handlers;
    private final HttpClient client;
    private final Subscription journalPrinter;

    private GreeterService(Zeroscale zeroscale, Gateway gateway, HttpServer server, ExecutorService handlers,
            HttpClient client, Subscription journalPrinter) {
        this.zeroscale = zeroscale;
        this.gateway = gateway;
        this.server = server;
        this.handlers = handlers;
        this.client = client;
        this.journalPrinter = journalPrinter;
    }

    /** Starts the engine, the gateway and the service's endpoint; the backend stays at zero. */
    public static GreeterService start(Settings settings) {
        Zeroscale zeroscale = Zeroscale.builder()
                .dataDirectory(settings.dataDirectory())
                // Finds OnDemandPolicy through META-INF/services, as any plugin jar on the class path.
                .pluginsFrom(GreeterService.class.getClassLoader())
                .orchestrator("local", Config.of("orchestrators.local", Map.of("type", "process")))
                .target(backendTarget(settings))
                .build();
        Subscription journalPrinter = zeroscale.journal().subscribe(entry -> print(settings.log(), entry));
        Gateway gateway = null;
        HttpServer server = null;
        ExecutorService handlers = Executors.newVirtualThreadPerTaskExecutor();
        try {
            zeroscale.start();
            TargetRef backend = zeroscale.status(TARGET).orElseThrow().ref();
            gateway = Gateway.builder(zeroscale.trafficHub())
                    .listen("127.0.0.1", 0)
                    .route(GatewayRoute.path(backend, "/"))
                    .start();
            HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).executor(handlers).build();
            server = HttpServer.create(settings.listen(), 0);
            server.setExecutor(handlers);
            GreeterService service = new GreeterService(zeroscale, gateway, server, handlers, client, journalPrinter);
            server.createContext("/greet", service::greet);
            server.createContext("/status", service::status);
            server.start();
            return service;
        } catch (IOException | RuntimeException e) {
            if (server != null) {
                server.stop(0);
            }
            if (gateway != null) {
                gateway.close();
            }
            handlers.shutdownNow();
            journalPrinter.close();
            zeroscale.close();
            if (e instanceof IOException io) {
                throw new UncheckedIOException("cannot listen on " + settings.listen() + ": " + io.getMessage(), io);
            }
            throw (RuntimeException) e;
        }
    }

    /** The backend as a target: a process running {@link Backend} from this service's own class path. */
    private static TargetSpec backendTarget(Settings settings) {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String classPath = ownClassPath();
        return TargetSpec.fromConfig(TARGET, Config.of("targets." + TARGET, Map.of(
                "orchestrator", "local",
                "workload", Map.of(
                        "kind", "Process",
                        "command", List.of(java, "-XX:TieredStopAtLevel=1", "-cp", classPath, Backend.class.getName()),
                        "env", Map.of("LOAD_MILLIS", Long.toString(settings.backendLoad().toMillis())),
                        "readiness", Map.of("http", "/health")),
                "policy", Map.of(
                        "automaton", OnDemandPolicy.TYPE,
                        "idle", settings.idle().toMillis() + "ms",
                        "wake-timeout", "1m",
                        "replicas", Map.of("min", 0, "max", 1)))));
    }

    /** Where this class was loaded from (target/classes or the jar): all the backend needs. */
    private static String ownClassPath() {
        try {
            return Path.of(Backend.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
        } catch (URISyntaxException e) {
            throw new IllegalStateException("cannot locate the service's own classes", e);
        }
    }

    /** The port of the service's own endpoint. */
    public int port() {
        return server.getAddress().getPort();
    }

    /** The SDK's view of the backend: automaton state, replicas, last decision. */
    public TargetStatus backendStatus() {
        return zeroscale.status(TARGET).orElseThrow();
    }

    private void greet(HttpExchange exchange) throws IOException {
        String query = exchange.getRequestURI().getRawQuery();
        URI backend = URI.create("http://127.0.0.1:" + gateway.port() + "/greet" + (query == null ? "" : "?" + query));
        // The gateway holds this request while the backend wakes; the wake-timeout (1m) bounds the wait.
        HttpRequest request = HttpRequest.newBuilder(backend).timeout(Duration.ofMinutes(2)).GET().build();
        try {
            HttpResponse<String> response = client.send(request, HttpResponse.BodyHandlers.ofString());
            respond(exchange, response.statusCode(), response.body());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            respond(exchange, 503, "shutting down\n");
        } catch (IOException e) {
            respond(exchange, 502, "backend unreachable through the gateway: " + e + "\n");
        }
    }

    private void status(HttpExchange exchange) throws IOException {
        TargetStatus status = backendStatus();
        respond(exchange, 200, status.name() + ": " + status.state() + ", " + status.readyReplicas() + "/"
                + status.desiredReplicas() + " replica(s) ready, routing " + status.routing() + " (" + status.lastReason() + ")\n");
    }

    private static void respond(HttpExchange exchange, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    private static void print(PrintStream log, JournalEntry entry) {
        log.println(entry.at() + "  " + entry.target().name() + "  " + entry.state() + "  replicas=" + entry.replicas()
                + "  " + entry.message());
    }

    /**
     * Stops the endpoint, lets requests in flight through the gateway finish (up to 5 s), then stops
     * the engine. A running backend is left running for the next start to adopt.
     */
    @Override
    public void close() {
        server.stop(0);
        gateway.shutdown(Duration.ofSeconds(5));
        gateway.close();
        handlers.shutdownNow();
        client.close();
        journalPrinter.close();
        zeroscale.close();
    }

    /** Runs the service until Ctrl-C (or SIGTERM). */
    public static void main(String[] args) throws InterruptedException {
        Settings settings = Settings.fromEnvironment();
        GreeterService service = start(settings);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            service.close();
            stopped.countDown();
        }, "greeter-shutdown"));
        settings.log().println("greeter: listening on http://127.0.0.1:" + service.port()
                + "  (try: curl 'localhost:" + service.port() + "/greet?name=Ada'  and  curl localhost:" + service.port() + "/status)");
        stopped.await();
    }
}
