package io.zeroscale.daemon.api;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.JsonNode;
import io.zeroscale.engine.Engine;
import io.zeroscale.engine.FailureStreak;
import io.zeroscale.engine.JournalEntry;
import io.zeroscale.engine.TargetSpec;
import io.zeroscale.engine.TargetStatus;
import io.zeroscale.engine.history.PlannedPrewake;
import io.zeroscale.engine.history.SeasonalForecast;
import io.zeroscale.engine.WakeTimes;
import io.zeroscale.spi.Config;
import io.zeroscale.spi.Durations;
import io.zeroscale.spi.TargetRef;
import io.zeroscale.spi.automaton.StateDiagram;
import io.zeroscale.spi.metrics.SignalValue;
import java.time.Duration;
import java.time.Instant;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;

/**
 * The daemon's routes: health, readiness, version, targets, the decision journal, and the
 * operator's controls (pause and resume automation, a manual override with an expiry).
 */
public final class ApiHandlers {
    /** The most journal entries one request returns. */
    static final int MAX_LIMIT = 10_000;

    /** The expiry syntax the OpenAPI document promises: bounded, so the expiry is a real date (year below 10000). */
    private static final java.util.regex.Pattern EXPIRY = java.util.regex.Pattern.compile("([0-9]{1,5}([mM][sS]|[sSmMhHdD])){1,3}");

    private final Engine engine;
    private final Map<String, TargetSpec> targets = new LinkedHashMap<>();
    /** Every target name ever seen per workload, so journal entries of removed targets keep their name. */
    private final Map<TargetRef, String> names = new java.util.concurrent.ConcurrentHashMap<>();
    private volatile @org.jspecify.annotations.Nullable ConfigReloader reloader;
    private final BooleanSupplier ready;
    private final String version;

    /**
     * @param engine the engine the routes read and steer
     * @param targets the configured targets (their names, refs and replica bounds)
     * @param ready true while the daemon serves traffic (false while starting and shutting down)
     * @param version the daemon's version
     */
    public ApiHandlers(Engine engine, List<TargetSpec> targets, BooleanSupplier ready, String version) {
        this.engine = requireNonNull(engine, "engine is null");
        targets.forEach(target -> {
            this.targets.put(target.name(), target);
            names.put(target.ref(), target.name());
        });
        this.ready = requireNonNull(ready, "ready is null");
        this.version = requireNonNull(version, "version is null");
    }

    /**
     * Reloads the daemon's config file's targets. Called on the API's request thread; throws a
     * {@link io.zeroscale.spi.ZeroscaleException} naming every problem when the file is refused.
     */
    @FunctionalInterface
    public interface ConfigReloader {
        /**
         * Reloads and returns what changed.
         *
         * @param origin who asked, for the journal and the log
         */
        io.zeroscale.spi.targets.TargetChange reload(String origin);
    }

    /** Enables {@code POST /config/reload}; until then it answers 409 (the daemon has no config file). */
    public void reloadWith(ConfigReloader value) {
        reloader = requireNonNull(value, "value is null");
    }

    /** The largest {@code replicas.max} of all targets: what the OpenAPI document allows in an override. */
    int maxReplicas() {
        return targets.values().stream().mapToInt(target -> target.policy().bounds().max()).max().orElse(0);
    }

    String version() {
        return version;
    }

    List<ApiRoute> routes() {
        return List.of(
                new ApiRoute("GET", "/health", true, request -> ApiResponse.ok(Map.of("status", "UP"))),
                new ApiRoute("GET", "/ready", true, request -> ready.getAsBoolean()
                        ? ApiResponse.ok(Map.of("status", "READY"))
                        : ApiResponse.json(503, Map.of("status", "NOT_READY"))),
                new ApiRoute("GET", "/version", false, request -> ApiResponse.ok(Map.of(
                        "version", version, "java", Runtime.version().toString()))),
                new ApiRoute("GET", "/targets", false, request -> ApiResponse.ok(engine.statuses().stream().map(this::view).toList())),
                new ApiRoute("GET", "/targets/{name}", false, request -> ApiResponse.ok(view(status(request.pathParameter("name"))))),
                new ApiRoute("GET", "/targets/{name}/forecast", false, this::forecast),
                new ApiRoute("GET", "/targets/{name}/automaton", false, this::automaton),
                new ApiRoute("GET", "/journal", false, this::journal),
                new ApiRoute("POST", "/targets/{name}/automation", false, this::automation),
                new ApiRoute("PUT", "/targets/{name}/override", false, this::setOverride),
                new ApiRoute("DELETE", "/targets/{name}/override", false, this::clearOverride),
                new ApiRoute("POST", "/config/reload", false, this::reloadConfig));
    }

    /** How far ahead {@code GET /targets/{name}/forecast} lists slots and windows. */
    static final Duration FORECAST_HORIZON = Duration.ofHours(24);

    /**
     * {@code GET /targets/{name}/forecast}: the seasonal forecast of the target's arrivals for the
     * next 24 hours (null when its policy makes none) and the pre-wake planned now (null when none).
     */
    private ApiResponse forecast(ApiRequest request) {
        String name = request.pathParameter("name");
        status(name);
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("target", name);
        out.put("seasonal", engine.seasonalForecast(name).map(ApiHandlers::seasonal).orElse(null));
        out.put("prewake", engine.plannedPrewake(name).map(ApiHandlers::prewake).orElse(null));
        return ApiResponse.ok(out);
    }

    private static Map<String, Object> seasonal(SeasonalForecast forecast) {
        Map<String, Object> out = new LinkedHashMap<>();
        boolean available = forecast.unavailable() == null;
        out.put("at", forecast.at().toString());
        out.put("available", available);
        out.put("basis", forecast.basis());
        out.put("slotSeconds", forecast.settings().slot().toSeconds());
        out.put("minProbability", forecast.settings().minProbability());
        Instant observedFrom = forecast.observedFrom();
        out.put("observedFrom", observedFrom == null ? null : observedFrom.toString());
        out.put("weekly", forecast.weekly());
        out.put("slots", available ? forecast.slots(forecast.at(), FORECAST_HORIZON).stream().map(slot -> {
            Map<String, Object> view = new LinkedHashMap<>();
            view.put("start", slot.start().toString());
            view.put("end", slot.end().toString());
            view.put("probability", rounded(slot.probability()));
            view.put("expectedRequests", rounded(slot.expectedRequests()));
            view.put("daysSeen", slot.daysSeen());
            view.put("daysObserved", slot.daysObserved());
            view.put("weekdaysSeen", slot.weekdaysSeen());
            view.put("weekdaysObserved", slot.weekdaysObserved());
            view.put("likely", forecast.likely(slot));
            return view;
        }).toList() : List.of());
        out.put("windows", forecast.windows(forecast.at(), FORECAST_HORIZON).stream().map(window -> {
            Map<String, Object> view = new LinkedHashMap<>();
            view.put("start", window.start().toString());
            view.put("end", window.end().toString());
            view.put("probability", rounded(window.first().probability()));
            view.put("evidence", window.first().describe());
            return view;
        }).toList());
        return out;
    }

    private static Map<String, Object> prewake(PlannedPrewake planned) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("at", planned.at().toString());
        out.put("expectedFrom", planned.expectedFrom().toString());
        out.put("keptUntil", planned.keptUntil().toString());
        out.put("source", planned.source());
        Double probability = planned.probability();
        out.put("probability", probability == null ? null : rounded(probability));
        out.put("reason", planned.reason());
        return out;
    }

    private static double rounded(double value) {
        return Math.round(value * 10_000) / 10_000.0;
    }

    /** The engine the routes read; for the event stream. */
    Engine engine() {
        return engine;
    }

    /** The status of the target that scales {@code ref}, or null when none does. */
    @org.jspecify.annotations.Nullable TargetStatus statusOf(TargetRef ref) {
        // Live: targets come and go with config reloads. A lookup, not a full snapshot searched per
        // changed target (that was O(n^2) while 1,000 targets start).
        return engine.statusOf(ref);
    }

    /** Every target as {@code GET /targets} shows it. */
    List<Map<String, Object>> snapshot() {
        return engine.statuses().stream().map(this::view).toList();
    }

    private TargetStatus status(String name) {
        return engine.status(name).orElseThrow(() -> unknownTarget(name));
    }

    private TargetSpec spec(String name) {
        // Live: targets come and go with config reloads.
        TargetSpec spec = engine.spec(name).orElseThrow(() -> unknownTarget(name));
        names.put(spec.ref(), name);
        return spec;
    }

    private ApiException unknownTarget(String name) {
        Set<String> known = new java.util.LinkedHashSet<>(engine.statuses().stream().map(TargetStatus::name).toList());
        return ApiException.notFound("no target named '" + name + "'; "
                + (known.isEmpty() ? "none is configured" : Config.suggestion(name, known, "targets are")));
    }

    /**
     * {@code POST /config/reload}: reads the config file again and applies what changed under
     * {@code targets:}; 422 with every problem when the file is refused (nothing changes then).
     */
    private ApiResponse reloadConfig(ApiRequest request) {
        object(request.body(), Set.of());
        ConfigReloader current = reloader;
        if (current == null) {
            throw new ApiException(409, "conflict", "this daemon was not started from a config file (zeroscale run --config);"
                    + " there is nothing to reload");
        }
        io.zeroscale.spi.targets.TargetChange change;
        try {
            change = current.reload("POST /config/reload by " + request.caller());
        } catch (io.zeroscale.spi.ZeroscaleException e) {
            if (e.errorCode().type() != io.zeroscale.spi.ErrorType.USER_ERROR) {
                throw e;
            }
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("error", "config_invalid");
            out.put("message", "the config file was not reloaded, the running targets stay as they were: " + e.getMessage());
            out.put("problems", e.problems());
            return ApiResponse.json(422, out);
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("added", change.added().stream().map(io.zeroscale.spi.targets.TargetDefinition::name).toList());
        out.put("updated", change.updated().stream().map(io.zeroscale.spi.targets.TargetDefinition::name).toList());
        out.put("removed", change.removed());
        return ApiResponse.ok(out);
    }

    /** {@code GET /targets/{name}/automaton}: the state diagram the automaton describes, and its current state. */
    private ApiResponse automaton(ApiRequest request) {
        String name = request.pathParameter("name");
        TargetStatus status = status(name);
        StateDiagram diagram = engine.diagram(name).orElseThrow(() -> unknownTarget(name));
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("target", name);
        out.put("type", engine.spec(name).map(spec -> spec.policy().automaton()).orElse(""));
        out.put("state", status.state());
        out.put("states", diagram.states().stream().map(state -> {
            Map<String, Object> view = new LinkedHashMap<>();
            view.put("name", state.name());
            view.put("description", state.description());
            return view;
        }).toList());
        out.put("transitions", diagram.transitions().stream().map(transition -> {
            Map<String, Object> view = new LinkedHashMap<>();
            view.put("from", transition.from());
            view.put("to", transition.to());
            view.put("guard", transition.guard());
            return view;
        }).toList());
        return ApiResponse.ok(out);
    }

    private ApiResponse journal(ApiRequest request) {
        engine.statuses().forEach(status -> names.put(status.ref(), status.name()));
        int limit = 100;
        String limitText = request.queryValue("limit");
        if (limitText != null) {
            try {
                limit = Integer.parseInt(limitText.trim());
            } catch (NumberFormatException e) {
                limit = -1;
            }
            if (limit < 1 || limit > MAX_LIMIT) {
                throw ApiException.badRequest("limit: expected a whole number from 1 to " + MAX_LIMIT + ", got '" + limitText + "'");
            }
        }
        String target = request.queryValue("target");
        List<JournalEntry> entries = target == null
                ? engine.journal().recent(limit)
                : engine.journal().recent(spec(target).ref(), limit);
        return ApiResponse.ok(entries.stream().map(this::view).toList());
    }

    private ApiResponse automation(ApiRequest request) {
        String name = request.pathParameter("name");
        spec(name);
        JsonNode body = object(request.body(), Set.of("action"));
        JsonNode action = required(body, "action");
        if (!action.isTextual() || !Set.of("pause", "resume").contains(action.asText())) {
            throw ApiException.badRequest("action: expected \"pause\" or \"resume\", got " + action);
        }
        boolean paused = action.asText().equals("pause");
        applied(engine.setAutomationPaused(name, paused, request.caller()), name);
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("target", name);
        out.put("automationPaused", paused);
        return ApiResponse.ok(out);
    }

    private ApiResponse setOverride(ApiRequest request) {
        String name = request.pathParameter("name");
        TargetSpec spec = spec(name);
        JsonNode body = object(request.body(), Set.of("replicas", "expiry"));
        JsonNode replicasNode = required(body, "replicas");
        // JSON Schema counts 1.0 as an integer too.
        if (!replicasNode.isNumber() || replicasNode.doubleValue() != Math.rint(replicasNode.doubleValue())
                || !replicasNode.canConvertToInt()) {
            throw ApiException.badRequest("replicas: expected a whole number, got " + replicasNode);
        }
        int replicas = (int) replicasNode.doubleValue();
        int max = spec.policy().bounds().max();
        if (replicas < 0 || replicas > max) {
            throw ApiException.badRequest("replicas: must be from 0 to " + max + " (the target's policy.replicas.max), got " + replicas);
        }
        Duration expiry = null;
        JsonNode expiryNode = body.get("expiry");
        if (expiryNode != null && !expiryNode.isNull()) {
            if (!expiryNode.isTextual()) {
                throw ApiException.badRequest("expiry: expected a duration such as \"10m\", got " + expiryNode);
            }
            if (!EXPIRY.matcher(expiryNode.asText()).matches()) {
                throw ApiException.badRequest("expiry: '" + expiryNode.asText() + "' is not a duration; write up to three parts of a"
                        + " whole number (at most 5 digits) and a unit (ms, s, m, h, d), e.g. \"10m\" or \"1h30m\"");
            }
            expiry = Durations.parse(expiryNode.asText());
        }
        applied(engine.setOverride(name, replicas, expiry, request.caller()), name);
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("target", name);
        out.put("replicas", replicas);
        out.put("expiry", expiry == null ? null : Durations.format(expiry));
        return ApiResponse.ok(out);
    }

    private ApiResponse clearOverride(ApiRequest request) {
        String name = request.pathParameter("name");
        spec(name);
        applied(engine.setOverride(name, null, null, request.caller()), name);
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("target", name);
        out.put("replicas", null);
        out.put("expiry", null);
        return ApiResponse.ok(out);
    }

    /**
     * How long a write waits for the target's actor to apply it before the API answers 503. The
     * actor applies it within milliseconds unless the daemon is overloaded or shutting down.
     */
    static final Duration APPLY_TIMEOUT = Duration.ofSeconds(10);

    /**
     * Waits until the target's actor applied a write, so the 200 is read-your-writes: a {@code GET}
     * sent after it shows the change. 503 when the actor has not applied it within
     * {@link #APPLY_TIMEOUT} (it may still apply it: the message says to read and send again), 409
     * when the target was reconfigured or removed before it was applied.
     */
    private static void applied(CompletionStage<TargetStatus> change, String name) {
        try {
            change.toCompletableFuture().get(APPLY_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            throw new ApiException(503, "unavailable", "target '" + name + "' did not apply the change within "
                    + Durations.format(APPLY_TIMEOUT) + " (the daemon is overloaded or shutting down); it may still apply it:"
                    + " read GET /targets/" + name + " and send it again if it does not show");
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            throw new ApiException(409, "conflict", cause == null || cause.getMessage() == null
                    ? "target '" + name + "' did not apply the change; send it again" : cause.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ApiException(503, "unavailable", "the API is shutting down; target '" + name
                    + "' may not have applied the change: read GET /targets/" + name + " and send it again if it does not show");
        }
    }

    private static JsonNode object(byte[] body, Set<String> fields) {
        if (body.length == 0) {
            throw ApiException.badRequest("body: missing; send a JSON object with " + fields);
        }
        JsonNode node = Json.readObject(body, "a JSON object with " + fields);
        Iterator<String> names = node.fieldNames();
        while (names.hasNext()) {
            String field = names.next();
            if (!fields.contains(field)) {
                throw ApiException.badRequest(field + ": unknown field; " + Config.suggestion(field, fields, "fields are"));
            }
        }
        return node;
    }

    private static JsonNode required(JsonNode body, String field) {
        JsonNode value = body.get(field);
        if (value == null || value.isNull()) {
            throw ApiException.badRequest(field + ": required field is missing");
        }
        return value;
    }

    Map<String, Object> view(TargetStatus status) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("name", status.name());
        out.put("workload", ref(status.ref()));
        out.put("state", status.state());
        out.put("started", status.started());
        Map<String, Object> replicas = new LinkedHashMap<>();
        replicas.put("desired", status.desiredReplicas());
        replicas.put("backendDesired", status.backendDesiredReplicas());
        replicas.put("observed", status.observedReplicas());
        replicas.put("ready", status.readyReplicas());
        out.put("replicas", replicas);
        out.put("observationStale", status.observationStale());
        out.put("routing", status.routing().name());
        out.put("automationPaused", status.automationPaused());
        Map<String, Object> override = null;
        if (status.overrideReplicas() != null) {
            override = new LinkedHashMap<>();
            override.put("replicas", status.overrideReplicas());
            override.put("until", status.overrideUntil() == null ? null : status.overrideUntil().toString());
        }
        out.put("override", override);
        Map<String, Object> requests = new LinkedHashMap<>();
        requests.put("held", status.requests().held());
        requests.put("inFlight", status.requests().inFlight());
        requests.put("arrivals", status.requests().arrivals());
        requests.put("completed", status.requests().completed());
        out.put("requests", requests);
        Map<String, Object> signals = new LinkedHashMap<>();
        status.signals().forEach((name, value) -> signals.put(name, signal(value)));
        out.put("signals", signals);
        out.put("lastReason", status.lastReason());
        out.put("startFailures", startFailures(status));
        out.put("wakes", wakes(engine.wakeTimes().summary(status.ref())));
        out.put("updatedAt", status.updatedAt().toString());
        return out;
    }

    /** How long the target's wakes took, in seconds; null figures before the first wake. */
    private static Map<String, Object> wakes(WakeTimes.Summary summary) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("completed", summary.completed());
        out.put("failed", summary.failed());
        out.put("lastSeconds", seconds(summary.last()));
        out.put("lastAt", summary.lastAt() == null ? null : summary.lastAt().toString());
        out.put("medianSeconds", seconds(summary.median()));
        out.put("p99Seconds", seconds(summary.p99()));
        out.put("wakingSince", summary.wakingSince() == null ? null : summary.wakingSince().toString());
        return out;
    }

    private static @org.jspecify.annotations.Nullable Double seconds(@org.jspecify.annotations.Nullable Duration duration) {
        return duration == null ? null : duration.toNanos() / 1e9;
    }

    /** The crash-loop backoff: null while no replica failed since one last became ready. */
    private static @org.jspecify.annotations.Nullable Map<String, Object> startFailures(TargetStatus status) {
        FailureStreak streak = status.startFailures();
        if (streak == null) {
            return null;
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("failuresInARow", streak.failuresInARow());
        out.put("firstReason", streak.firstReason());
        out.put("firstAt", streak.firstAt().toString());
        out.put("lastReason", streak.lastReason());
        out.put("lastAt", streak.lastAt().toString());
        out.put("nextAttemptAt", streak.nextAttemptAt().toString());
        out.put("backingOff", streak.backingOff(status.updatedAt()));
        out.put("gaveUp", streak.gaveUp());
        return out;
    }

    private static Map<String, Object> signal(SignalValue value) {
        Map<String, Object> out = new LinkedHashMap<>();
        switch (value) {
            case SignalValue.Known known -> {
                out.put("known", true);
                out.put("value", Double.isFinite(known.value()) ? known.value() : null);
                out.put("reason", null);
                out.put("at", known.at().toString());
            }
            case SignalValue.Unknown unknown -> {
                out.put("known", false);
                out.put("value", null);
                out.put("reason", unknown.reason());
                out.put("at", unknown.at().toString());
            }
        }
        return out;
    }

    Map<String, Object> view(JournalEntry entry) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("at", entry.at().toString());
        out.put("target", names.getOrDefault(entry.target(), entry.target().name()));
        out.put("workload", ref(entry.target()));
        out.put("kind", entry.kind().name());
        out.put("state", entry.state());
        out.put("replicas", entry.replicas());
        out.put("routing", entry.routing().name());
        out.put("message", entry.message());
        return out;
    }

    private static Map<String, Object> ref(TargetRef ref) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("orchestrator", ref.orchestrator());
        out.put("kind", ref.kind());
        out.put("namespace", ref.namespace());
        out.put("name", ref.name());
        return out;
    }
}
