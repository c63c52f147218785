package io.zeroscale.daemon.api;

import static java.nio.charset.StandardCharsets.UTF_8;
import static java.util.Objects.requireNonNull;

import io.zeroscale.daemon.config.ApiSettings;
import io.zeroscale.engine.Engine;
import io.zeroscale.engine.JournalEntry;
import io.zeroscale.engine.TargetStatus;
import io.zeroscale.spi.Subscription;
import io.zeroscale.spi.TargetRef;
import java.io.IOException;
import java.io.OutputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code GET /events}: the dashboard's live feed as Server-Sent Events. A client first gets a
 * {@code snapshot} event (every target), then a {@code journal} event for every journal entry
 * ({@link io.zeroscale.engine.Journal#subscribe}) and a {@code status} event whenever a target's
 * status changed ({@link Engine#subscribeStatus}: after a decision, an operator's action, anything
 * that refreshes it). A target is marked only once its new status is readable, and marks are never
 * thrown away while a client registers, so a client whose snapshot missed a change gets it as an
 * event.
 *
 * <p>The engine never waits for a client: a status change only marks its target (a set insert); one
 * publisher thread reads the marked targets' statuses every {@link #COALESCE} (a burst of decisions
 * of one target is one event) and serializes each changed status once for every client. Events are
 * offered to each client's bounded queue without blocking. A client whose queue is full is dropped: its connection is closed (its writer thread
 * interrupted, which closes the socket even mid-write) and its slot freed; a browser's
 * {@code EventSource} reconnects by itself and starts again from a fresh snapshot, so nothing is
 * lost for a client that catches up, and nothing piles up for one that never does.
 */
final class EventStream implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(EventStream.class);
    static final String CONTENT_TYPE = "text/event-stream; charset=utf-8";
    /** How long a browser waits before reconnecting after the stream ended (the SSE {@code retry} field). */
    static final Duration RECONNECT = Duration.ofSeconds(1);
    /** How often marked targets are published: fast enough for a person, and a burst costs one event. */
    static final Duration COALESCE = Duration.ofMillis(100);

    private final ApiSettings.Events limits;
    private final ApiHandlers handlers;
    private final Set<Client> clients = ConcurrentHashMap.newKeySet();
    private final AtomicInteger open = new AtomicInteger();
    private final AtomicLong dropped = new AtomicLong();
    /** The last status sent per target (without its timestamp): a decision that changed nothing sends nothing. */
    private final Map<String, byte[]> lastStatus = new ConcurrentHashMap<>();
    private final Set<TargetRef> changed = ConcurrentHashMap.newKeySet();
    /** Orders a client's registration against the publisher dropping marks while nobody listens. */
    private final Object registering = new Object();
    private final List<Subscription> subscriptions = new ArrayList<>();
    private @Nullable Thread publisher;
    private volatile boolean closed;

    EventStream(ApiSettings.Events limits, ApiHandlers handlers) {
        this.limits = requireNonNull(limits, "limits is null");
        this.handlers = requireNonNull(handlers, "handlers is null");
    }

    /** Starts listening to the engine; idempotent until {@link #close()}. */
    synchronized void start() {
        if (!subscriptions.isEmpty() || closed) {
            return;
        }
        Engine engine = handlers.engine();
        subscriptions.add(engine.subscribeStatus(changed::add));
        subscriptions.add(engine.journal().subscribe(this::onJournal));
        publisher = Thread.ofVirtual().name("zeroscale-events").start(this::publishChanges);
    }

    /** The engine it listens to; for tests. */
    Engine engine() {
        return handlers.engine();
    }

    /** Streams open now. */
    int clients() {
        return open.get();
    }

    /** Streams that receive events now (open and past their snapshot's start). */
    int listening() {
        return clients.size();
    }

    /** Clients dropped so far for falling {@code buffer} events behind. */
    long dropped() {
        return dropped.get();
    }

    // ---- inputs (target threads: never block) -----------------------------------------------------

    private void onJournal(JournalEntry entry) {
        if (clients.isEmpty()) {
            return;
        }
        // The status that goes with it is marked when the actor refreshes it, after this entry.
        publish("journal", Json.write(handlers.view(entry)));
    }

    /** The publisher thread: every {@link #COALESCE}, the marked targets whose status changed. */
    private void publishChanges() {
        try {
            while (!closed) {
                Thread.sleep(COALESCE);
                synchronized (registering) {
                    // Atomic with a client's registration: a client that registers after this check
                    // takes its snapshot after these marks are gone, and its own are kept.
                    if (clients.isEmpty()) {
                        // Nobody saw what was last sent: the next client's first change of each target goes out.
                        changed.clear();
                        lastStatus.clear();
                        continue;
                    }
                }
                for (TargetRef ref : List.copyOf(changed)) {
                    changed.remove(ref);
                    publishStatus(ref);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            log.error("the dashboard's event publisher failed; live updates stop until the daemon restarts", e);
        }
    }

    private void publishStatus(TargetRef ref) {
        TargetStatus status = handlers.statusOf(ref);
        if (status == null) {
            return;
        }
        Map<String, Object> view = handlers.view(status);
        Map<String, Object> withoutTime = new LinkedHashMap<>(view);
        withoutTime.remove("updatedAt");
        byte[] comparable = Json.write(withoutTime);
        byte[] previous = lastStatus.put(status.name(), comparable);
        if (previous != null && Arrays.equals(previous, comparable)) {
            return;
        }
        publish("status", Json.write(view));
    }

    /** Offers one event to every client; never blocks. */
    void publish(String name, byte[] json) {
        byte[] event = frame(name, json);
        for (Client client : clients) {
            client.offer(event);
        }
    }

    static byte[] frame(String name, byte[] json) {
        // Jackson writes one line (no pretty printer), so one data: line carries the whole object.
        byte[] head = ("event: " + name + "\ndata: ").getBytes(UTF_8);
        byte[] out = Arrays.copyOf(head, head.length + json.length + 2);
        System.arraycopy(json, 0, out, head.length, json.length);
        out[out.length - 2] = '\n';
        out[out.length - 1] = '\n';
        return out;
    }

    // ---- the route --------------------------------------------------------------------------------

    /** Answers {@code GET /events}: a stream, or 503 when {@code max-clients} streams are open. */
    ApiResponse open(ApiRequest request) {
        if (closed) {
            throw new ApiException(503, "unavailable", "the daemon is shutting down");
        }
        int now = open.incrementAndGet();
        if (now > limits.maxClients()) {
            open.decrementAndGet();
            Map<String, String> headers = Map.of("Retry-After", "5");
            ApiResponse refused = ApiServer.error(503, "too_many_streams", limits.maxClients() + " event streams are open already"
                    + " (api.events.max-clients); close a dashboard tab or raise the limit");
            return new ApiResponse(refused.status(), refused.contentType(), refused.body(), headers);
        }
        Client client = new Client();
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("Cache-Control", "no-store");
        // A buffering reverse proxy would hold events back until its buffer fills.
        headers.put("X-Accel-Buffering", "no");
        // However the stream ends (dropped, max-duration, shutdown), the connection ends with it:
        // a dropped client whose stream ended cleanly must not keep an idle keep-alive connection.
        headers.put("Connection", "close");
        return ApiResponse.stream(200, CONTENT_TYPE, headers, client);
    }

    /** One open stream: its bounded queue and the thread that writes it. */
    private final class Client implements ApiResponse.StreamBody {
        private final ArrayBlockingQueue<byte[]> queue = new ArrayBlockingQueue<>(limits.buffer());
        private final AtomicInteger released = new AtomicInteger();
        private volatile @Nullable Thread writer;
        private volatile boolean tooSlow;

        void offer(byte[] event) {
            if (!queue.offer(event) && !tooSlow) {
                tooSlow = true;
                dropped.incrementAndGet();
                log.atWarn().addKeyValue("buffer", limits.buffer())
                        .log("dashboard event stream dropped: the client fell more events behind than api.events.buffer;"
                                + " it reconnects with a fresh snapshot");
                clients.remove(this);
                queue.clear();
                release();
                Thread thread = writer;
                if (thread != null) {
                    // Interrupting a thread blocked on a socket channel closes the channel: the
                    // write returns at once even when the client stopped reading.
                    thread.interrupt();
                }
            }
        }

        @Override
        public void abandon() {
            release();
        }

        /** Frees this client's slot once (dropped, ended, or never started). */
        void release() {
            if (released.compareAndSet(0, 1)) {
                clients.remove(this);
                open.decrementAndGet();
            }
        }

        /** Writes until the client goes, falls behind, the stream reaches max-duration, or the daemon stops. */
        @Override
        public void write(OutputStream out) throws IOException {
            writer = Thread.currentThread();
            // Listen before the snapshot is taken: a change in between is sent twice rather than never.
            synchronized (registering) {
                clients.add(this);
            }
            try {
                long deadline = System.nanoTime() + limits.maxDuration().toNanos();
                out.write(("retry: " + RECONNECT.toMillis() + "\n\n").getBytes(UTF_8));
                out.write(frame("snapshot", Json.write(handlers.snapshot())));
                out.flush();
                while (!closed && !tooSlow) {
                    long left = deadline - System.nanoTime();
                    if (left <= 0) {
                        out.write(": max-duration reached (api.events.max-duration); reconnect\n\n".getBytes(UTF_8));
                        break;
                    }
                    byte[] event = queue.poll(Math.min(left, limits.heartbeat().toNanos()), TimeUnit.NANOSECONDS);
                    out.write(event == null ? ": keepalive\n\n".getBytes(UTF_8) : event);
                    // Whatever else is queued goes out in the same flush.
                    for (byte[] next = queue.poll(); next != null && !tooSlow; next = queue.poll()) {
                        out.write(next);
                    }
                    out.flush();
                }
            } catch (InterruptedException e) {
                // Dropped as too slow, or the daemon is stopping: the connection ends here.
                Thread.currentThread().interrupt();
            } finally {
                release();
            }
        }
    }

    /** Ends every stream (their browsers will find the daemon gone). Idempotent. */
    @Override
    public synchronized void close() {
        closed = true;
        subscriptions.forEach(Subscription::close);
        subscriptions.clear();
        Thread current = publisher;
        if (current != null) {
            current.interrupt();
        }
        for (Client client : clients) {
            Thread thread = client.writer;
            if (thread != null) {
                thread.interrupt();
            }
        }
    }
}
