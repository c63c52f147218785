package io.zeroscale.daemon.api;

import static java.nio.charset.StandardCharsets.UTF_8;
import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.metrics.DoubleHistogram;
import io.opentelemetry.api.metrics.LongCounter;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Scope;
import io.prometheus.metrics.expositionformats.ExpositionFormatWriter;
import io.zeroscale.daemon.DaemonTelemetry;
import io.zeroscale.daemon.config.ApiSettings;
import io.zeroscale.spi.StandardErrorCode;
import io.zeroscale.spi.ZeroscaleException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The REST API on the JDK's HTTP server, one virtual thread per request. Every answer is JSON
 * (except {@code /metrics}); bad input gets a 4xx whose message names the field and the fix,
 * never a 5xx. With a token configured, every route but {@code /health} and {@code /ready} needs
 * {@code Authorization: Bearer <token>}.
 */
public final class ApiServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ApiServer.class);
    private static final String OPENAPI_RESOURCE = "openapi.json";
    private static final int MAX_BODY = 64 * 1024;
    private static final AttributeKey<String> ROUTE = AttributeKey.stringKey("http.route");
    private static final AttributeKey<String> METHOD = AttributeKey.stringKey("http.request.method");
    private static final AttributeKey<Long> STATUS = AttributeKey.longKey("http.response.status_code");

    private final ApiSettings settings;
    private final DaemonTelemetry telemetry;
    private final List<ApiRoute> routes;
    private final byte[] openApi;
    private final Tracer tracer;
    private final LongCounter requests;
    private final DoubleHistogram duration;
    private final EventStream events;
    private final Sessions sessions;
    private final TargetSeries series;

    /**
     * Boundaries of {@code zeroscale.api.request.duration}, in seconds: from a status read from
     * memory (half a millisecond) to a slow scrape or a blocked write (ten seconds).
     */
    static final List<Double> REQUEST_BUCKETS =
            List.of(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0);
    private @Nullable HttpServer server;
    private @Nullable ExecutorService executor;

    /**
     * @param settings where to listen and the token
     * @param handlers the routes' handlers
     * @param telemetry for {@code /metrics}, request spans and request metrics
     */
    public ApiServer(ApiSettings settings, ApiHandlers handlers, DaemonTelemetry telemetry) {
        this.settings = requireNonNull(settings, "settings is null");
        this.telemetry = requireNonNull(telemetry, "telemetry is null");
        requireNonNull(handlers, "handlers is null");
        this.events = new EventStream(settings.events(), handlers);
        List<ApiRoute> all = new ArrayList<>(handlers.routes());
        all.add(new ApiRoute("GET", "/events", false, events::open));
        this.sessions = new Sessions(settings.tokenRequired());
        all.addAll(sessions.routes());
        all.addAll(new Dashboard().routes());
        this.series = new TargetSeries(handlers);
        all.add(new ApiRoute("GET", "/targets/{name}/series", false, series::get));
        all.add(new ApiRoute("GET", "/openapi.json", true, request -> new ApiResponse(200, ApiResponse.JSON, openApiDocument(), Map.of())));
        all.add(new ApiRoute("GET", "/metrics", false, this::metrics));
        this.routes = List.copyOf(all);
        this.openApi = buildOpenApi(settings.tokenRequired(), handlers.version(), handlers.maxReplicas());
        this.tracer = telemetry.openTelemetry().getTracer("io.zeroscale.daemon.api");
        this.requests = telemetry.openTelemetry().getMeter("io.zeroscale.daemon.api").counterBuilder("zeroscale.api.requests")
                .setDescription("REST API requests, by route and status").build();
        this.duration = telemetry.openTelemetry().getMeter("io.zeroscale.daemon.api").histogramBuilder("zeroscale.api.request.duration")
                .setUnit("s").setDescription("Time to answer a REST API request")
                // In seconds: the SDK's default boundaries (0, 5, 10, 25 ... 10000) are meant for
                // milliseconds and would put every request into the first bucket.
                .setExplicitBucketBoundariesAdvice(REQUEST_BUCKETS)
                .build();
    }

    /** Binds the address and starts answering. */
    public synchronized void start() {
        if (server != null) {
            return;
        }
        try {
            HttpServer created = HttpServer.create(settings.socketAddress(), 128);
            ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();
            created.setExecutor(threads);
            created.createContext("/", this::dispatch);
            created.start();
            server = created;
            executor = threads;
            events.start();
            series.start();
        } catch (IOException e) {
            throw new ZeroscaleException(StandardErrorCode.CONFIG_INVALID, "api.listen: cannot listen on " + settings.host() + ":"
                    + settings.port() + " (" + e.getMessage() + "); pick a free port or an address of this host", e);
        }
        log.atInfo().addKeyValue("address", "http://" + hostForUrl() + ":" + port())
                .addKeyValue("auth", settings.tokenRequired() ? "bearer token" : "none (loopback)")
                .log("REST API listening");
    }

    /** The bound port (the real one when the configured port was 0). */
    public int port() {
        HttpServer current = server;
        if (current == null) {
            throw new IllegalStateException("not started");
        }
        return current.getAddress().getPort();
    }

    /** The bound address. */
    public InetSocketAddress address() {
        HttpServer current = server;
        if (current == null) {
            throw new IllegalStateException("not started");
        }
        return current.getAddress();
    }

    private String hostForUrl() {
        String host = address().getAddress().getHostAddress();
        return host.contains(":") ? "[" + host + "]" : host;
    }

    /** Every route as "METHOD /template", for the OpenAPI check. */
    public List<String> routes() {
        return routes.stream().map(route -> route.method() + " " + route.template()).toList();
    }

    /** The dashboard's event stream; for tests. */
    EventStream events() {
        return events;
    }

    /** The OpenAPI document this server serves. */
    public byte[] openApiDocument() {
        return openApi.clone();
    }

    /** Stops accepting and waits up to a second for requests in progress. Idempotent. */
    @Override
    public synchronized void close() {
        // Streams first: an open stream would hold stop() for its whole delay.
        events.close();
        series.close();
        if (server != null) {
            server.stop(1);
            server = null;
        }
        if (executor != null) {
            executor.shutdownNow();
            executor = null;
        }
    }

    /**
     * True when {@code authorization} carries {@code token}; always true when no token is
     * configured (the config refuses that off loopback). Compared in constant time.
     */
    static boolean authorized(@Nullable String token, @Nullable String authorization) {
        if (token == null) {
            return true;
        }
        if (authorization == null || authorization.length() < 7 || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return false;
        }
        return MessageDigest.isEqual(token.getBytes(UTF_8), authorization.substring(7).trim().getBytes(UTF_8));
    }

    private void dispatch(HttpExchange exchange) {
        long started = System.nanoTime();
        String method = exchange.getRequestMethod();
        String template = "unmatched";
        Span span = tracer.spanBuilder(method).setSpanKind(SpanKind.SERVER).setAttribute(METHOD, method).startSpan();
        ApiResponse response;
        Scope scope = span.makeCurrent();
        try {
            String refusal = foreignCaller(exchange);
            if (refusal != null) {
                throw new ApiException(403, "forbidden", refusal);
            }
            List<String> segments = decodedSegments(exchange.getRequestURI().getRawPath());
            Set<String> allowed = new LinkedHashSet<>();
            ApiRoute matched = null;
            Map<String, String> parameters = Map.of();
            for (ApiRoute route : routes) {
                Optional<Map<String, String>> match = route.match(segments);
                if (match.isPresent()) {
                    allowed.add(route.method());
                    if (route.method().equals(method)) {
                        matched = route;
                        parameters = match.get();
                    }
                }
            }
            if (matched == null) {
                response = allowed.isEmpty()
                        ? error(404, "not_found", "no route " + exchange.getRequestURI().getRawPath() + "; see /openapi.json for the routes")
                        : withHeader(error(405, "method_not_allowed", method + " is not allowed here; use " + String.join(", ", allowed)),
                                "Allow", String.join(", ", allowed));
            } else {
                template = matched.template();
                span.updateName(method + " " + template);
                span.setAttribute(ROUTE, template);
                Sessions.Session session = sessions.find(exchange.getRequestHeaders().getFirst("Cookie"));
                boolean bearer = authorized(settings.token(), exchange.getRequestHeaders().getFirst("Authorization"));
                if (!matched.open() && !bearer && session == null) {
                    response = withHeader(error(401, "unauthorized", "this API needs a bearer token: send Authorization: Bearer <api.token>"),
                            "WWW-Authenticate", "Bearer realm=\"zeroscale\"");
                } else if (!matched.open() && !bearer && session != null && !SAFE.contains(method)
                        && !Sessions.csrfMatches(session, exchange.getRequestHeaders().getFirst(Sessions.CSRF_HEADER))) {
                    // The cookie alone would be sent by any page of this origin's browser; the CSRF
                    // token only by the page that signed in.
                    response = error(403, "forbidden", method + " with a session cookie needs the session's CSRF token in "
                            + Sessions.CSRF_HEADER + " (GET /session returns it)");
                } else if (MUTATING.contains(method) && !isJson(exchange.getRequestHeaders().getFirst("Content-Type"))) {
                    // A web page can send a form or text/plain to any address without asking first; JSON it cannot.
                    response = error(415, "unsupported_media_type", method + " needs Content-Type: application/json, got "
                            + Optional.ofNullable(exchange.getRequestHeaders().getFirst("Content-Type")).orElse("none"));
                } else {
                    ApiRequest request = new ApiRequest(parameters, query(exchange.getRequestURI().getRawQuery()), body(exchange),
                            caller(exchange), exchange.getRequestHeaders().getFirst("Accept"), session);
                    response = matched.handler().handle(request);
                }
            }
        } catch (ApiException e) {
            response = error(e.status(), e.error(), e.getMessage());
        } catch (ZeroscaleException e) {
            response = switch (e.errorCode().type()) {
                case USER_ERROR -> error(e.errorCode() == StandardErrorCode.NOT_FOUND ? 404 : 400, "bad_request", e.getMessage());
                case EXTERNAL -> error(503, "unavailable", e.getMessage());
                case INTERNAL_ERROR -> internal(e, span);
            };
        } catch (Exception e) {
            response = internal(e, span);
        } finally {
            scope.close();
        }
        ApiResponse.StreamBody stream = response.stream();
        boolean streaming = stream != null && sendHeaders(exchange, response);
        if (stream == null) {
            send(exchange, response);
        } else if (!streaming) {
            stream.abandon();
        }
        span.setAttribute(STATUS, (long) response.status());
        if (response.status() >= 500) {
            span.setStatus(StatusCode.ERROR);
        }
        span.end();
        Attributes attributes = Attributes.of(ROUTE, template, METHOD, method, STATUS, (long) response.status());
        requests.add(1, attributes);
        // For a stream, the time to its headers: its whole life would say nothing about the API.
        duration.record((System.nanoTime() - started) / 1e9, attributes);
        if (stream != null && streaming) {
            stream(exchange, stream);
        }
    }

    /** Sends a stream's status and headers (no length: chunked); false when the client is gone already. */
    private static boolean sendHeaders(HttpExchange exchange, ApiResponse response) {
        try {
            exchange.getResponseHeaders().set("Content-Type", response.contentType());
            response.headers().forEach((name, value) -> exchange.getResponseHeaders().set(name, value));
            exchange.sendResponseHeaders(response.status(), 0);
            return true;
        } catch (IOException e) {
            log.debug("client went away before the stream started", e);
            exchange.close();
            return false;
        }
    }

    private static void stream(HttpExchange exchange, ApiResponse.StreamBody stream) {
        try (exchange; OutputStream out = exchange.getResponseBody()) {
            stream.write(out);
        } catch (IOException e) {
            log.debug("stream ended: {}", e.toString());
        }
    }

    /** The methods that change nothing; every other one needs the CSRF token when a cookie authenticates it. */
    private static final Set<String> SAFE = Set.of("GET", "HEAD", "OPTIONS");

    /** The methods whose calls change something; they carry a JSON body. */
    private static final Set<String> MUTATING = Set.of("POST", "PUT", "PATCH");

    static boolean isJson(@Nullable String contentType) {
        if (contentType == null) {
            return false;
        }
        int semicolon = contentType.indexOf(';');
        String type = (semicolon < 0 ? contentType : contentType.substring(0, semicolon)).strip();
        return type.equalsIgnoreCase("application/json");
    }

    /**
     * Why a request must be refused as coming from a web page rather than a client of the API, or
     * null. On loopback the Host must name this listener (an IP literal of it or {@code localhost}):
     * a page whose DNS name was rebound to 127.0.0.1 still sends its own name. Everywhere, an
     * {@code Origin} other than this listener means a page of another site is calling.
     */
    private @Nullable String foreignCaller(HttpExchange exchange) {
        InetSocketAddress local = exchange.getLocalAddress();
        int port = local.getPort();
        String host = exchange.getRequestHeaders().getFirst("Host");
        boolean loopback = local.getAddress().isLoopbackAddress();
        if (loopback && host != null && !isThisListener(host, local)) {
            return "Host '" + host + "' is not this API's address; on loopback only 127.0.0.1, [::1] or localhost with"
                    + " port " + port + " are answered (DNS rebinding protection)";
        }
        String origin = exchange.getRequestHeaders().getFirst("Origin");
        if (origin != null) {
            boolean same = origin.regionMatches(true, 0, "http://", 0, 7)
                    && isThisListener(origin.substring(7), local)
                    && (!loopback || host == null || origin.substring(7).equalsIgnoreCase(host));
            if (!same) {
                return "cross-origin request from '" + origin + "' refused: the API answers its own origin only,"
                        + " never a web page of another site";
            }
        }
        return null;
    }

    /** True when {@code authority} (host[:port]) names {@code local}: its IP literal, or localhost on loopback. */
    static boolean isThisListener(String authority, InetSocketAddress local) {
        String name = authority;
        int portAt = authority.lastIndexOf(':');
        if (portAt >= 0 && portAt > authority.lastIndexOf(']')) {
            name = authority.substring(0, portAt);
            try {
                if (Integer.parseInt(authority.substring(portAt + 1)) != local.getPort()) {
                    return false;
                }
            } catch (NumberFormatException e) {
                return false;
            }
        }
        if (name.startsWith("[") && name.endsWith("]")) {
            name = name.substring(1, name.length() - 1);
        }
        if (local.getAddress().isLoopbackAddress()) {
            if (name.equalsIgnoreCase("localhost")) {
                return true;
            }
            // Any loopback literal: a page cannot bind or rebind one, and 127.0.0.1 vs ::1 differ by client.
            return isLoopbackLiteral(name);
        }
        if (local.getAddress().isAnyLocalAddress()) {
            // Bound to every interface: any name may be ours; the token guards this listener.
            return true;
        }
        return name.equalsIgnoreCase(local.getAddress().getHostAddress()) || name.equalsIgnoreCase(local.getHostString());
    }

    /** True for an IP literal of a loopback address; a name is never resolved. */
    private static boolean isLoopbackLiteral(String literal) {
        boolean v6 = literal.indexOf(':') >= 0;
        boolean literalOnly = !literal.isEmpty() && literal.chars().allMatch(c -> c == '.' || c == ':'
                || (v6 ? Character.digit(c, 16) >= 0 : c >= '0' && c <= '9'));
        if (!literalOnly) {
            return false;
        }
        try {
            return java.net.InetAddress.getByName(literal).isLoopbackAddress();
        } catch (java.net.UnknownHostException e) {
            return false;
        }
    }

    private static ApiResponse internal(Exception e, Span span) {
        log.error("REST API request failed", e);
        span.recordException(e);
        return error(500, "internal", "the daemon failed to answer: " + e.getMessage() + "; see the daemon's log");
    }

    private static void send(HttpExchange exchange, ApiResponse response) {
        try (exchange) {
            exchange.getResponseHeaders().set("Content-Type", response.contentType());
            response.headers().forEach((name, value) -> exchange.getResponseHeaders().set(name, value));
            exchange.sendResponseHeaders(response.status(), response.body().length == 0 ? -1 : response.body().length);
            if (response.body().length > 0) {
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(response.body());
                }
            }
        } catch (IOException e) {
            log.debug("client went away before the answer was sent", e);
        }
    }

    static ApiResponse error(int status, String error, String message) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("error", error);
        body.put("message", message);
        return ApiResponse.json(status, body);
    }

    private static ApiResponse withHeader(ApiResponse response, String name, String value) {
        Map<String, String> headers = new LinkedHashMap<>(response.headers());
        headers.put(name, value);
        return new ApiResponse(response.status(), response.contentType(), response.body(), headers);
    }

    private static List<String> decodedSegments(String rawPath) {
        List<String> out = new ArrayList<>();
        for (String segment : ApiRoute.segments(rawPath == null || rawPath.isEmpty() ? "/" : rawPath)) {
            out.add(decode(segment));
        }
        return out;
    }

    private static String decode(String text) {
        try {
            return URLDecoder.decode(text.replace("+", "%2B"), UTF_8);
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest("the URL has a malformed %-escape in '" + text + "'");
        }
    }

    private static Map<String, List<String>> query(@Nullable String rawQuery) {
        Map<String, List<String>> out = new LinkedHashMap<>();
        if (rawQuery == null || rawQuery.isEmpty()) {
            return out;
        }
        for (String pair : rawQuery.split("&")) {
            if (pair.isEmpty()) {
                continue;
            }
            int equals = pair.indexOf('=');
            String name = decodeQuery(equals < 0 ? pair : pair.substring(0, equals));
            String value = equals < 0 ? "" : decodeQuery(pair.substring(equals + 1));
            out.computeIfAbsent(name, ignored -> new ArrayList<>()).add(value);
        }
        return out;
    }

    private static String decodeQuery(String text) {
        try {
            return URLDecoder.decode(text, UTF_8);
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest("the query has a malformed %-escape in '" + text + "'");
        }
    }

    private static byte[] body(HttpExchange exchange) throws IOException {
        try (InputStream in = exchange.getRequestBody()) {
            byte[] bytes = in.readNBytes(MAX_BODY + 1);
            if (bytes.length > MAX_BODY) {
                throw new ApiException(413, "too_large", "the body is larger than " + MAX_BODY + " bytes");
            }
            return bytes;
        }
    }

    private static String caller(HttpExchange exchange) {
        InetSocketAddress remote = exchange.getRemoteAddress();
        return "api (" + (remote == null ? "unknown" : remote.getAddress().getHostAddress()) + ")";
    }

    private ApiResponse metrics(ApiRequest request) throws IOException {
        ExpositionFormatWriter writer = telemetry.writerFor(request.accept());
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        telemetry.scrape(writer, out);
        return new ApiResponse(200, writer.getContentType(), out.toByteArray(), Map.of());
    }

    /**
     * The committed document with the running version, and, when a token is configured, the
     * bearer requirement on every route that is not open.
     */
    private static byte[] buildOpenApi(boolean tokenRequired, String version, int maxReplicas) {
        try (InputStream in = ApiServer.class.getResourceAsStream(OPENAPI_RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException(OPENAPI_RESOURCE + " is missing from the class path");
            }
            ObjectNode document = (ObjectNode) Json.MAPPER.readTree(in);
            ((ObjectNode) document.path("info")).put("version", version);
            ((ObjectNode) document.at("/components/schemas/OverrideRequest/properties/replicas")).put("maximum", maxReplicas);
            if (tokenRequired) {
                ArrayNode security = document.putArray("security");
                security.addObject().putArray("bearerAuth");
            } else {
                stripUnauthorized(document.path("paths"));
            }
            return Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsBytes(document);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + OPENAPI_RESOURCE, e);
        }
    }

    /** Without a token no route answers 401, so the document does not promise it. */
    private static void stripUnauthorized(JsonNode paths) {
        paths.forEach(path -> path.forEach(operation -> {
            if (operation.path("responses") instanceof ObjectNode responses) {
                responses.remove("401");
            }
        }));
    }
}
