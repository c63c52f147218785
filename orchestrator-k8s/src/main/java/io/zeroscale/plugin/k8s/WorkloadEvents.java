package io.zeroscale.plugin.k8s;

import io.fabric8.kubernetes.api.model.MicroTime;
import io.fabric8.kubernetes.api.model.ObjectReference;
import io.fabric8.kubernetes.api.model.events.v1.Event;
import io.fabric8.kubernetes.api.model.events.v1.EventBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.zeroscale.plugin.support.SerialExecutor;
import io.zeroscale.spi.PluginContext;
import io.zeroscale.spi.Subscription;
import io.zeroscale.spi.TargetRef;
import io.zeroscale.spi.events.EngineEvent;
import io.zeroscale.spi.events.EngineListener;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes the engine's state changes of this orchestrator's targets as Kubernetes Events
 * ({@code events.k8s.io/v1}) on the workload, so {@code kubectl describe deploy web} and {@code
 * kubectl events --for deploy/web} show them: a change of the automaton's state (ZERO → WAKING →
 * ACTIVE → DRAINING → ZERO) as a {@code Normal} event whose reason is the new state ({@code Waking},
 * {@code Active}, ...), and from the journal start failures, operator actions (overrides, pause,
 * resume), failed actuations, failed held requests, alerts and safety holds ({@code Warning} except
 * operator actions). Decisions that only change the count (each step of target tracking) are not
 * written. Reporting controller {@value #CONTROLLER}, reporting instance this daemon's pod name.
 *
 * <p>Only the leader writes (the engine says in every {@link EngineEvent.Decided} whether this
 * daemon leads; journal entries are written only while the last one said so): followers see the
 * same decisions and would write each Event once per replica.
 *
 * <p>Repeats are aggregated as client-go's event recorder does: an event equal in type, reason,
 * action and note on the same object within {@link #SERIES_WINDOW} of the last one is not created
 * again; it raises the first one's {@code series.count} instead, patched at most once per {@link
 * #SERIES_FLUSH} per event. Writes run one at a time on the blocking executor; a failed write is
 * logged and dropped (Events are best effort, never a reason to stop the engine).
 */
final class WorkloadEvents implements EngineListener, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(WorkloadEvents.class);
    /** {@code reportingController} of every Event written. */
    static final String CONTROLLER = "zeroscale";
    /** How long after an Event an equal one counts as a repeat (client-go's value). */
    static final Duration SERIES_WINDOW = Duration.ofMinutes(6);
    /** The longest a repeat waits before the series count is written. */
    static final Duration SERIES_FLUSH = Duration.ofSeconds(2);
    private static final int MAX_NOTE_BYTES = 1024;
    private static final DateTimeFormatter MICRO_TIME =
            DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSSSS'Z'", Locale.ROOT).withZone(ZoneOffset.UTC);

    private final String orchestrator;
    private final KubernetesClient client;
    private final PluginContext context;
    private final Function<TargetRef, @Nullable ObjectReference> regarding;
    private final String instance;
    private final SerialExecutor writer;
    /** Events written within the window, by what makes a repeat (touched only on {@link #writer}). */
    private final Map<Key, Series> recent = new HashMap<>();
    private final Subscription subscription;
    /** The time in the name of the Event written last (touched only on {@link #writer}). */
    private long lastNanos;
    private volatile boolean leading;
    /** The last write that failed ("403 ..."), null while none did. */
    private volatile @Nullable String lastFailure;
    private volatile boolean closed;

    /**
     * Subscribes to the engine's events through {@code context}.
     *
     * @param orchestrator the orchestrator's name: only its targets' events are written
     * @param regarding the workload of a target (null: not a target of this orchestrator)
     */
    WorkloadEvents(String orchestrator, KubernetesClient client, PluginContext context,
            Function<TargetRef, @Nullable ObjectReference> regarding) {
        this.orchestrator = orchestrator;
        this.client = client;
        this.context = context;
        this.regarding = regarding;
        this.instance = instanceName(System.getenv());
        this.writer = new SerialExecutor(context.blockingExecutor());
        this.subscription = context.subscribe(this);
    }

    /** This daemon's name among several: its pod name in a pod, else the host name. */
    static String instanceName(Map<String, String> env) {
        String name = env.get("POD_NAME");
        if (name == null || name.isBlank()) {
            name = env.get("HOSTNAME");
        }
        if (name == null || name.isBlank()) {
            try {
                name = InetAddress.getLocalHost().getHostName();
            } catch (UnknownHostException e) {
                name = "zeroscale";
            }
        }
        return name.length() <= 128 ? name : name.substring(0, 128);
    }

    @Override
    public void onEvent(EngineEvent event) {
        if (closed || !orchestrator.equals(event.target().orchestrator())) {
            return;
        }
        switch (event) {
            case EngineEvent.Decided decided -> {
                leading = decided.leader();
                if (decided.leader() && !decided.from().equals(decided.to())) {
                    String note = decided.from() + " -> " + decided.to() + ": " + decided.decision().reason()
                            + " (replicas " + decided.decision().replicas() + ")";
                    submit(decided.target(), decided.at(), "Normal", camel(decided.to()), "Transition", note);
                }
            }
            case EngineEvent.Journalled entry -> {
                String[] reasonAndAction = journalled(entry.kind());
                if (leading && reasonAndAction != null) {
                    submit(entry.target(), entry.at(), entry.warning() ? "Warning" : "Normal", reasonAndAction[0],
                            reasonAndAction[1], entry.message());
                }
            }
            default -> {}
        }
    }

    /** Reason and action of the journal kinds written as Events; null for the others (decisions, config, ...). */
    static String @Nullable [] journalled(String kind) {
        return switch (kind) {
            case "START_FAILURES" -> new String[] {"StartFailed", "Start"};
            case "OPERATOR" -> new String[] {"OperatorAction", "Override"};
            case "ACTUATION_FAILED" -> new String[] {"ActuationFailed", "Actuate"};
            case "FAILED_HELD" -> new String[] {"RequestsFailed", "Hold"};
            case "ALERT" -> new String[] {"Alert", "Alert"};
            case "SAFETY" -> new String[] {"SafetyHold", "Decide"};
            default -> null;
        };
    }

    /** {@code DRAINING} → {@code Draining}, {@code SCALED_UP} → {@code ScaledUp}: an Event reason (CamelCase). */
    static String camel(String state) {
        StringBuilder out = new StringBuilder();
        for (String word : state.toLowerCase(Locale.ROOT).split("[^a-z0-9]+")) {
            if (!word.isEmpty()) {
                out.append(Character.toUpperCase(word.charAt(0))).append(word.substring(1));
            }
        }
        return out.isEmpty() ? "StateChanged" : out.toString();
    }

    private void submit(TargetRef target, Instant at, String type, String reason, String action, String note) {
        ObjectReference object = regarding.apply(target);
        if (object == null) {
            return;
        }
        writer.execute(() -> write(object, at, type, reason, action, truncate(note)));
    }

    /** On the writer: a new Event, or a repeat counted on the one written last. */
    private void write(ObjectReference object, Instant at, String type, String reason, String action, String note) {
        if (closed) {
            return;
        }
        Instant now = context.scheduler().clock().instant();
        recent.values().removeIf(s -> !now.isBefore(s.lastObserved.plus(SERIES_WINDOW)));
        Key key = new Key(object.getNamespace(), object.getKind(), object.getName(), type, reason, action, note);
        Series series = recent.get(key);
        if (series != null) {
            series.count++;
            series.lastObserved = now;
            if (!series.flushScheduled) {
                series.flushScheduled = true;
                context.scheduler().schedule(SERIES_FLUSH, () -> writer.execute(() -> flush(key, series)));
            }
            return;
        }
        // client-go's name (object name and time in hex), kept unique here: the engine gives a
        // decision and its journal entry the same instant.
        long nanos = Math.max(at.getEpochSecond() * 1_000_000_000L + at.getNano(), lastNanos + 1);
        lastNanos = nanos;
        String name = object.getName() + "." + Long.toHexString(nanos);
        Event event = new EventBuilder()
                .withNewMetadata().withName(name).withNamespace(object.getNamespace()).endMetadata()
                .withRegarding(object)
                .withType(type)
                .withReason(reason)
                .withAction(action)
                .withNote(note)
                .withEventTime(new MicroTime(MICRO_TIME.format(at)))
                .withReportingController(CONTROLLER)
                .withReportingInstance(instance)
                .build();
        try {
            client.events().v1().events().inNamespace(object.getNamespace()).resource(event).create();
            recent.put(key, new Series(name, now));
        } catch (KubernetesClientException e) {
            lastFailure = e.getCode() + " " + e.getMessage();
            log.warn("could not write the Event {} {} on {} {}/{}: {}", type, reason, object.getKind(),
                    object.getNamespace(), object.getName(), e.getMessage());
        }
    }

    /** On the writer: the repeats since the Event was written, as its series. */
    private void flush(Key key, Series series) {
        series.flushScheduled = false;
        if (closed || recent.get(key) != series) {
            return;
        }
        String patch = client.getKubernetesSerialization().asJson(Map.of("series", Map.of("count", series.count,
                "lastObservedTime", MICRO_TIME.format(series.lastObserved))));
        // Through an object naming the Event, not withName(): fabric8 reads a resource it is not
        // given before patching it, and this daemon's role has no get on events.
        Event named = new EventBuilder().withNewMetadata().withName(series.name).withNamespace(key.namespace).endMetadata().build();
        try {
            client.events().v1().events().inNamespace(key.namespace).resource(named)
                    .patch(PatchContext.of(PatchType.JSON_MERGE), patch);
        } catch (KubernetesClientException e) {
            lastFailure = e.getCode() + " " + e.getMessage();
            if (e.getCode() == 404) {
                recent.remove(key); // expired (the API server's event TTL): the next one is written anew
            }
            log.warn("could not count a repeat of Event {}/{}: {}", key.namespace, series.name, e.getMessage());
        }
    }

    /** The last write of an Event that failed, as the API server's code and message; null while none did. */
    @Nullable String lastFailure() {
        return lastFailure;
    }

    private static String truncate(String note) {
        byte[] bytes = note.getBytes(StandardCharsets.UTF_8);
        if (bytes.length <= MAX_NOTE_BYTES) {
            return note;
        }
        String cut = new String(bytes, 0, MAX_NOTE_BYTES - 3, StandardCharsets.UTF_8);
        // A character cut in half decodes as U+FFFD: drop it.
        return cut.replaceAll("\uFFFD+$", "") + "…";
    }

    @Override
    public void close() {
        closed = true;
        subscription.close();
    }

    private record Key(String namespace, String kind, String name, String type, String reason, String action, String note) {}

    /** An Event written and the repeats counted on it since (touched only on the writer). */
    private static final class Series {
        final String name;
        int count = 1;
        Instant lastObserved;
        boolean flushScheduled;

        Series(String name, Instant written) {
            this.name = name;
            this.lastObserved = written;
        }
    }
}
