package io.zeroscale.engine;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.zeroscale.spi.Scheduler;
import io.zeroscale.spi.TargetRef;
import io.zeroscale.spi.ZeroscaleException;
import io.zeroscale.spi.state.StateStore;
import io.zeroscale.spi.traffic.Routing;
import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the engine keeps in its {@link StateStore}: each target's operator state (automation pause,
 * manual override) under {@code targets/<name>.json}, and the newest journal entries (at most
 * {@link #JOURNAL_KEPT}) under {@code journal.json}, both JSON.
 *
 * <p>Reads happen when a target is added (on the caller's thread: startup, a config reload) and
 * never on an actor. Writes never block an actor either: an actor hands the new state over and a
 * writer on the blocking executor writes it; writes to one key are coalesced (only the newest
 * counts) and go out in order. The journal is written at most once every {@link #JOURNAL_DELAY}
 * after it changed, and on {@link #close()}.
 *
 * <p>A document that cannot be understood is {@linkplain StateStore#setAside set aside}, logged as
 * a WARN and reported (with both places) for the journal; the target then starts without operator
 * state, as a new one would: it is never a reason to scale anything, least of all to zero.
 */
final class SavedState implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(SavedState.class);
    /** How many journal entries survive a restart; the document stays well under 1 MiB. */
    static final int JOURNAL_KEPT = 1000;
    static final Duration JOURNAL_DELAY = Duration.ofSeconds(1);
    static final String JOURNAL_KEY = "journal.json";
    private static final int VERSION = 1;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final StateStore store;
    private final Scheduler scheduler;
    private final Executor blocking;
    private final Map<String, Supplier<byte @Nullable []>> pending = new ConcurrentHashMap<>();
    private final AtomicBoolean writing = new AtomicBoolean();
    private final AtomicBoolean journalScheduled = new AtomicBoolean();
    private final Object writeLock = new Object();
    private volatile @Nullable Journal journal;
    private volatile boolean closed;

    SavedState(StateStore store, Scheduler scheduler, Executor blocking) {
        this.store = requireNonNull(store, "store is null");
        this.scheduler = requireNonNull(scheduler, "scheduler is null");
        this.blocking = requireNonNull(blocking, "blocking is null");
    }

    /**
     * An operator's hand on a target.
     *
     * @param automationPaused the automaton is paused
     * @param overrideReplicas the replicas pinned by a manual override, or null
     * @param overrideUntil when that override expires, or null for never
     */
    record Operator(boolean automationPaused, @Nullable Integer overrideReplicas, @Nullable Instant overrideUntil) {
        static final Operator NONE = new Operator(false, null, null);

        boolean isNone() {
            return !automationPaused && overrideReplicas == null;
        }

        String describe() {
            List<String> parts = new ArrayList<>();
            if (automationPaused) {
                parts.add("automation paused");
            }
            if (overrideReplicas != null) {
                parts.add("manual override to " + overrideReplicas + " replicas" + (overrideUntil == null ? "" : " until " + overrideUntil));
            }
            return String.join(", ", parts);
        }
    }

    /**
     * What was read for a target: its operator state (or null: none), and the problem to journal
     * when its document had to be set aside (or null).
     */
    record Loaded(@Nullable Operator operator, @Nullable String problem, String location) {}

    static String targetKey(String target) {
        return "targets/" + URLEncoder.encode(target, StandardCharsets.UTF_8) + ".json";
    }

    /** Where the store keeps the documents, for messages. */
    String location(String key) {
        return store.location(key);
    }

    // ---- operator state ----------------------------------------------------------------------------

    /** Reads {@code target}'s operator state; blocks on the store. Never throws: a problem is reported in the result. */
    Loaded loadOperator(String target) {
        String key = targetKey(target);
        String location = safeLocation(key);
        byte[] document;
        try {
            document = store.read(key).orElse(null);
        } catch (RuntimeException e) {
            String problem = "operator state " + location + " could not be read (" + e.getMessage() + "); starting without a saved"
                    + " pause or override";
            log.warn("target {}: {}", target, problem, e);
            return new Loaded(null, problem, location);
        }
        if (document == null) {
            return new Loaded(null, null, location);
        }
        try {
            return new Loaded(parseOperator(document), null, location);
        } catch (IOException | RuntimeException e) {
            String problem = setAside(key, location, "operator state", e) + "; starting without a saved pause or override";
            log.warn("target {}: {}", target, problem);
            return new Loaded(null, problem, location);
        }
    }

    /** Writes {@code target}'s operator state soon (deletes the document when there is none). */
    void saveOperator(String target, Operator operator) {
        byte[] document = operator.isNone() ? null : writeOperator(operator);
        enqueue(targetKey(target), () -> document);
    }

    /** The target is gone: so is its operator state. */
    void forgetOperator(String target) {
        enqueue(targetKey(target), () -> null);
    }

    private static byte[] writeOperator(Operator operator) {
        ObjectNode root = JSON.createObjectNode();
        root.put("version", VERSION);
        root.put("automationPaused", operator.automationPaused());
        Integer replicas = operator.overrideReplicas();
        if (replicas != null) {
            ObjectNode override = root.putObject("override");
            override.put("replicas", replicas.intValue());
            Instant until = operator.overrideUntil();
            if (until != null) {
                override.put("until", until.toString());
            }
        }
        return bytes(root);
    }

    static Operator parseOperator(byte[] document) throws IOException {
        JsonNode root = object(JSON.readTree(document), "the document");
        version(root);
        JsonNode paused = root.get("automationPaused");
        if (paused == null || !paused.isBoolean()) {
            throw new IOException("automationPaused is missing or not true/false");
        }
        JsonNode override = root.get("override");
        if (override == null || override.isNull()) {
            return new Operator(paused.booleanValue(), null, null);
        }
        object(override, "override");
        JsonNode replicas = override.get("replicas");
        if (replicas == null || !replicas.canConvertToInt() || !replicas.isIntegralNumber() || replicas.intValue() < 0) {
            throw new IOException("override.replicas is missing or not a whole number of at least 0");
        }
        JsonNode until = override.get("until");
        return new Operator(paused.booleanValue(), replicas.intValue(), until == null || until.isNull() ? null : instant(until, "override.until"));
    }

    // ---- journal -----------------------------------------------------------------------------------

    /**
     * Reads the saved journal (oldest first) into {@code journal} and writes it back whenever it
     * changes from now on. Returns the problem to journal for every target when the document had
     * to be set aside, or null.
     */
    @Nullable String attach(Journal journal) {
        String location = safeLocation(JOURNAL_KEY);
        String problem = null;
        try {
            byte[] document = store.read(JOURNAL_KEY).orElse(null);
            if (document != null) {
                try {
                    List<JournalEntry> entries = parseJournal(document);
                    journal.restore(entries);
                    log.info("read {} journal entries from {}", entries.size(), location);
                } catch (IOException | RuntimeException e) {
                    problem = setAside(JOURNAL_KEY, location, "the journal", e) + "; entries from before this start are not shown";
                    log.warn("{}", problem);
                }
            }
        } catch (RuntimeException e) {
            problem = "the journal " + location + " could not be read (" + e.getMessage() + "); entries from before this start are"
                    + " not shown";
            log.warn("{}", problem, e);
        }
        this.journal = journal;
        journal.onChange(this::journalChanged);
        return problem;
    }

    private void journalChanged() {
        if (closed || !journalScheduled.compareAndSet(false, true)) {
            return;
        }
        try {
            scheduler.schedule(JOURNAL_DELAY, () -> {
                journalScheduled.set(false);
                enqueueJournal();
            });
        } catch (RejectedExecutionException e) {
            journalScheduled.set(false); // closing: close() writes it
        }
    }

    private void enqueueJournal() {
        Journal current = journal;
        if (current != null) {
            enqueue(JOURNAL_KEY, () -> writeJournal(current.recent(JOURNAL_KEPT)));
        }
    }

    static byte[] writeJournal(List<JournalEntry> entries) {
        ObjectNode root = JSON.createObjectNode();
        root.put("version", VERSION);
        ArrayNode array = root.putArray("entries");
        for (JournalEntry entry : entries) {
            ObjectNode node = array.addObject();
            node.put("at", entry.at().toString());
            ObjectNode target = node.putObject("target");
            target.put("orchestrator", entry.target().orchestrator());
            target.put("kind", entry.target().kind());
            String namespace = entry.target().namespace();
            if (namespace != null) {
                target.put("namespace", namespace);
            }
            target.put("name", entry.target().name());
            node.put("kind", entry.kind().name());
            node.put("state", entry.state());
            node.put("replicas", entry.replicas());
            node.put("routing", entry.routing().name());
            node.put("message", entry.message());
        }
        return bytes(root);
    }

    static List<JournalEntry> parseJournal(byte[] document) throws IOException {
        JsonNode root = object(JSON.readTree(document), "the document");
        version(root);
        JsonNode entries = root.get("entries");
        if (entries == null || !entries.isArray()) {
            throw new IOException("entries is missing or not a list");
        }
        List<JournalEntry> out = new ArrayList<>();
        for (int i = 0; i < entries.size(); i++) {
            String where = "entries[" + i + "]";
            JsonNode node = object(entries.get(i), where);
            JsonNode target = object(node.get("target"), where + ".target");
            try {
                out.add(new JournalEntry(instant(node.get("at"), where + ".at"),
                        new TargetRef(text(target, "orchestrator", where), text(target, "kind", where),
                                target.hasNonNull("namespace") ? text(target, "namespace", where) : null, text(target, "name", where)),
                        JournalEntry.Kind.valueOf(text(node, "kind", where)), text(node, "state", where),
                        integer(node, "replicas", where), Routing.valueOf(text(node, "routing", where)), text(node, "message", where)));
            } catch (IllegalArgumentException e) {
                throw new IOException(where + ": " + e.getMessage(), e);
            }
        }
        return out;
    }

    // ---- writing -----------------------------------------------------------------------------------

    private void enqueue(String key, Supplier<byte @Nullable []> document) {
        pending.put(key, document);
        if (closed) {
            return; // close() writes what is pending
        }
        if (writing.compareAndSet(false, true)) {
            try {
                blocking.execute(this::drain);
            } catch (RejectedExecutionException e) {
                writing.set(false); // closing: close() writes what is pending
            }
        }
    }

    private void drain() {
        while (true) {
            try {
                writePending();
            } finally {
                writing.set(false);
            }
            if (pending.isEmpty() || !writing.compareAndSet(false, true)) {
                return;
            }
        }
    }

    /** Takes and writes under one lock, so a newer document of a key is never overtaken by an older one. */
    private void writePending() {
        for (String key : List.copyOf(pending.keySet())) {
            synchronized (writeLock) {
                Supplier<byte @Nullable []> next = pending.remove(key);
                if (next == null) {
                    continue;
                }
                try {
                    byte[] document = next.get();
                    if (document == null) {
                        store.delete(key);
                    } else {
                        store.write(key, document);
                    }
                } catch (RuntimeException e) {
                    // Kept in memory: the next change writes again.
                    log.warn("saving {} failed; the state is kept in memory and written on its next change", safeLocation(key), e);
                }
            }
        }
    }

    /** Writes the journal and everything pending, then closes the store. */
    @Override
    public void close() {
        closed = true;
        Journal current = journal;
        if (current != null) {
            pending.put(JOURNAL_KEY, () -> writeJournal(current.recent(JOURNAL_KEPT)));
        }
        writePending();
        store.close();
    }

    // ---- helpers -----------------------------------------------------------------------------------

    private String setAside(String key, String location, String what, Exception cause) {
        String reason = cause.getMessage() == null ? cause.toString() : cause.getMessage();
        try {
            String aside = store.setAside(key, reason);
            return what + " " + location + " could not be read (" + reason + "); set aside as " + aside;
        } catch (RuntimeException e) {
            return what + " " + location + " could not be read (" + reason + ") nor set aside (" + e.getMessage()
                    + "); it will be overwritten";
        }
    }

    private String safeLocation(String key) {
        try {
            return store.location(key);
        } catch (RuntimeException e) {
            return key;
        }
    }

    private static byte[] bytes(JsonNode node) {
        try {
            return JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(node);
        } catch (IOException e) {
            throw new ZeroscaleException(io.zeroscale.spi.StandardErrorCode.INTERNAL, "writing JSON failed", e);
        }
    }

    private static JsonNode object(@Nullable JsonNode node, String what) throws IOException {
        if (node == null || !node.isObject()) {
            throw new IOException(what + " is not a JSON object");
        }
        return node;
    }

    private static void version(JsonNode root) throws IOException {
        JsonNode version = root.get("version");
        if (version == null || !version.isInt() || version.intValue() != VERSION) {
            throw new IOException("version is " + version + ", this engine reads version " + VERSION);
        }
    }

    private static String text(JsonNode node, String field, String where) throws IOException {
        JsonNode value = node.get(field);
        if (value == null || !value.isTextual()) {
            throw new IOException(where + "." + field + " is missing or not text");
        }
        return value.textValue();
    }

    private static int integer(JsonNode node, String field, String where) throws IOException {
        JsonNode value = node.get(field);
        if (value == null || !value.isInt()) {
            throw new IOException(where + "." + field + " is missing or not a whole number");
        }
        return value.intValue();
    }

    private static Instant instant(@Nullable JsonNode node, String what) throws IOException {
        if (node == null || !node.isTextual()) {
            throw new IOException(what + " is missing or not text");
        }
        try {
            return Instant.parse(node.textValue());
        } catch (java.time.format.DateTimeParseException e) {
            throw new IOException(what + ": '" + node.textValue() + "' is not an instant", e);
        }
    }
}
