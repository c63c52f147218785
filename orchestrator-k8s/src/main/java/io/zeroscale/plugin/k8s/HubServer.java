package io.zeroscale.plugin.k8s;

import static java.nio.charset.StandardCharsets.UTF_8;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.zeroscale.spi.StandardErrorCode;
import io.zeroscale.spi.Subscription;
import io.zeroscale.spi.TargetRef;
import io.zeroscale.spi.ZeroscaleException;
import io.zeroscale.spi.orchestrator.Endpoint;
import io.zeroscale.spi.traffic.Route;
import io.zeroscale.spi.traffic.RouteListener;
import io.zeroscale.spi.traffic.TrafficHub;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The leader's end of the replica channel, on the JDK's HTTP server with one virtual thread per
 * request (as the daemon's REST API). Every replica listens; only the Lease's holder accepts:
 * another answers 421 naming the holder it knows, so a caller that looked at an old Lease asks it
 * again. Every request carries the caller's ServiceAccount token as {@code Authorization: Bearer},
 * checked with a {@link TokenReviews TokenReview}: no token or one the API server does not
 * authenticate is 401, a user not among the allowed callers 403, a review that could not be made
 * 503.
 *
 * <ul>
 *   <li>{@code POST /zeroscale-hub/v1/calls}: one {@link TrafficHub} call of a follower's gateway,
 *       passed to the leader's engine.
 *   <li>{@code GET /zeroscale-hub/v1/routes}: the leader engine's routes (every target's at once,
 *       then each change) and held requests it fails, one JSON object per line, with a
 *       {@code {"type":"ping"}} line every {@link #PING_SECONDS} s; it ends when this replica stops
 *       leading.
 * </ul>
 */
final class HubServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(HubServer.class);
    static final int PING_SECONDS = 2;
    private static final int MAX_BODY = 64 * 1024;
    private static final String END = "end";

    private final HubSettings settings;
    private final TrafficHub local;
    private final TokenReviews reviews;
    private final BooleanSupplier leading;
    private final Supplier<@Nullable String> holder;
    private final Set<BlockingQueue<String>> streams = ConcurrentHashMap.newKeySet();
    private @Nullable HttpServer server;
    private @Nullable ExecutorService executor;

    HubServer(HubSettings settings, TrafficHub local, TokenReviews reviews, BooleanSupplier leading, Supplier<@Nullable String> holder) {
        this.settings = settings;
        this.local = local;
        this.reviews = reviews;
        this.leading = leading;
        this.holder = holder;
    }

    synchronized void start() {
        try {
            HttpServer created = HttpServer.create(new InetSocketAddress(settings.listen().host(), settings.listen().port()), 64);
            ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();
            created.setExecutor(threads);
            created.createContext(HubWire.CALLS, exchange -> handle(exchange, "POST", this::call));
            created.createContext(HubWire.ROUTES, exchange -> handle(exchange, "GET", this::routes));
            created.start();
            server = created;
            executor = threads;
        } catch (IOException e) {
            throw new ZeroscaleException(StandardErrorCode.CONFIG_INVALID, "traffic.hub.listen: cannot listen on " + settings.listen()
                    + " (" + e.getMessage() + "); pick a free port or an address of this host", e);
        }
        log.info("traffic hub: replica channel listening on {}", address());
    }

    InetSocketAddress address() {
        HttpServer current = server;
        if (current == null) {
            throw new IllegalStateException("not started");
        }
        return current.getAddress();
    }

    /** Tells every open route stream to end (this replica stopped leading). */
    void endStreams() {
        streams.forEach(queue -> queue.offer(END));
    }

    private interface Handler {
        void handle(HttpExchange exchange) throws IOException;
    }

    private void handle(HttpExchange exchange, String method, Handler handler) throws IOException {
        try (exchange) {
            if (!method.equals(exchange.getRequestMethod())) {
                answer(exchange, 405, "use " + method);
                return;
            }
            String authorization = exchange.getRequestHeaders().getFirst("Authorization");
            if (authorization == null || !authorization.regionMatches(true, 0, "Bearer ", 0, 7) || authorization.length() < 8) {
                answer(exchange, 401, "send the caller's ServiceAccount token as Authorization: Bearer <token>");
                return;
            }
            switch (reviews.review(authorization.substring(7).trim())) {
                case TokenReviews.Result.Unauthenticated refused -> {
                    answer(exchange, 401, "the API server did not authenticate the token: " + refused.reason());
                    return;
                }
                case TokenReviews.Result.Failed failed -> {
                    answer(exchange, 503, failed.reason());
                    return;
                }
                case TokenReviews.Result.User user -> {
                    if (!settings.allows(user.user())) {
                        answer(exchange, 403, user.user() + " may not use the replica channel; allowed: "
                                + (settings.callers().isEmpty() ? "ServiceAccounts of namespace " + settings.namespace()
                                        : String.join(", ", settings.callers())) + " (traffic.hub.callers)");
                        return;
                    }
                }
            }
            if (!leading.getAsBoolean()) {
                String known = holder.get();
                answer(exchange, 421, "not the leader; the Lease names " + (known == null ? "no holder" : known));
                return;
            }
            handler.handle(exchange);
        } catch (RuntimeException e) {
            log.warn("traffic hub: a request on the replica channel failed", e);
        }
    }

    private void call(HttpExchange exchange) throws IOException {
        JsonNode body;
        try (InputStream in = exchange.getRequestBody()) {
            byte[] bytes = in.readNBytes(MAX_BODY + 1);
            if (bytes.length > MAX_BODY) {
                answer(exchange, 413, "a call is at most " + MAX_BODY + " bytes");
                return;
            }
            body = HubWire.JSON.readTree(bytes);
        }
        try {
            String gateway = HubWire.text(body, "gateway");
            switch (HubWire.text(body, "call")) {
                case "report" -> local.report(gateway, HubWire.target(body.path("target")), HubWire.stats(body.path("stats")));
                case "drained" -> local.drained(gateway, HubWire.target(body.path("target")), body.path("drain").asLong(),
                        HubWire.endpoints(body.path("endpoints")));
                case "refused" -> local.endpointRefused(gateway, HubWire.target(body.path("target")),
                        Endpoint.parse(HubWire.text(body, "endpoint")), HubWire.text(body, "reason"));
                case "heartbeat" -> local.heartbeat(gateway);
                case "left" -> local.left(gateway);
                default -> {
                    answer(exchange, 400, "unknown call '" + body.path("call").asText() + "'");
                    return;
                }
            }
        } catch (IllegalArgumentException e) {
            answer(exchange, 400, "bad call: " + e.getMessage());
            return;
        }
        answer(exchange, 204, "");
    }

    private void routes(HttpExchange exchange) throws IOException {
        BlockingQueue<String> lines = new LinkedBlockingQueue<>();
        Subscription subscription = local.subscribe(new RouteListener() {
            @Override
            public void onRoute(TargetRef target, Route route) {
                lines.offer(HubWire.route(target, route).toString());
            }

            @Override
            public void onFailHeld(TargetRef target, int status, String reason) {
                lines.offer(HubWire.failHeld(target, status, reason).toString());
            }
        });
        streams.add(lines);
        exchange.getResponseHeaders().set("Content-Type", "application/x-ndjson");
        exchange.sendResponseHeaders(200, 0);
        String ping = HubWire.JSON.createObjectNode().put("type", "ping").toString();
        try (OutputStream out = exchange.getResponseBody()) {
            out.write((ping + "\n").getBytes(UTF_8)); // the caller knows it is connected at once
            out.flush();
            while (leading.getAsBoolean()) {
                String line = lines.poll(PING_SECONDS, TimeUnit.SECONDS);
                if (END.equals(line)) {
                    break;
                }
                out.write(((line == null ? ping : line) + "\n").getBytes(UTF_8));
                out.flush();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException e) {
            log.debug("traffic hub: a route stream ended: {}", e.toString());
        } finally {
            streams.remove(lines);
            subscription.close();
        }
    }

    private static void answer(HttpExchange exchange, int status, String message) throws IOException {
        if (status == 204) {
            exchange.sendResponseHeaders(204, -1);
            return;
        }
        if (status == 401) {
            exchange.getResponseHeaders().set("WWW-Authenticate", "Bearer");
        }
        ObjectNode body = HubWire.JSON.createObjectNode().put("error", message);
        byte[] bytes = body.toString().getBytes(UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.sendResponseHeaders(status, bytes.length);
        exchange.getResponseBody().write(bytes);
    }

    @Override
    public synchronized void close() {
        endStreams();
        if (server != null) {
            server.stop(0);
            server = null;
        }
        if (executor != null) {
            executor.shutdownNow();
            executor = null;
        }
    }
}
