package io.zeroscale.plugin.k8s;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.github.resilience4j.core.IntervalFunction;
import io.github.resilience4j.retry.Retry;
import io.github.resilience4j.retry.RetryConfig;
import io.zeroscale.spi.Subscription;
import io.zeroscale.spi.TargetRef;
import io.zeroscale.spi.orchestrator.Endpoint;
import io.zeroscale.spi.traffic.RequestStats;
import io.zeroscale.spi.traffic.Route;
import io.zeroscale.spi.traffic.RouteListener;
import io.zeroscale.spi.traffic.TrafficHub;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The hub a daemon replica's gateway reports to when several replicas run in Kubernetes
 * ({@code traffic.hub: {type: kubernetes}}): every call goes to this daemon's own engine, and, while
 * another replica holds the Lease, also to the leader over the replica channel ({@link HubServer}),
 * so the leader's engine sums every gateway's traffic. The leader is the Lease's holder (followed
 * with an informer on that one Lease); its channel is at the address its identity names
 * ({@code name@host:port}) or at its pod's IP.
 *
 * <p>Routes: while this replica follows and its route stream from the leader is open, its gateway
 * gets the leader's routes (so it drains what the leader drains, and reports those drains to it);
 * whenever the stream is not open (no leader, the leader unreachable or being replaced) it gets
 * its own engine's, which as a follower wakes a target it holds requests for through the
 * conditional wake: no request waits for an election. The leader's own gateway always gets its own
 * engine's routes.
 *
 * <p>Sending: calls are queued and sent one at a time by one virtual thread, reports coalesced per
 * gateway and target (the newest wins), so the gateway's I/O threads never block. A call the
 * leader could not take (unreachable, 5xx, 401/403, 408, 421 while the Lease moves, 429) is sent
 * again by a Resilience4j {@link Retry} with a jittered exponential backoff ({@link #BACKOFF}: from
 * {@link #FIRST_RETRY}, doubling, at most {@link #MAX_RETRY}), the newest report for its key at
 * each try, before any later call: calls reach the leader in order and a heartbeat never overtakes
 * a report it vouches for. Another refusal (400: a bug) drops the call with a warning. While the
 * Lease names no other replica nothing is sent; whenever it names a new holder the newest report per
 * gateway and target and the heartbeats are sent again. The route stream is opened again after a
 * failure with the same backoff.
 */
final class KubernetesTrafficHub implements TrafficHub, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(KubernetesTrafficHub.class);
    static final Duration FIRST_RETRY = Duration.ofMillis(100);
    static final Duration MAX_RETRY = Duration.ofSeconds(2);
    /** The wait before the n-th (from 1) resend of a call or reopening of the route stream. */
    static final IntervalFunction BACKOFF = IntervalFunction.ofExponentialRandomBackoff(
            FIRST_RETRY.toMillis(), 2.0, 0.5, MAX_RETRY.toMillis());

    private record Key(String call, String gateway, @Nullable TargetRef target, long sequence) {}

    private final HubSettings settings;
    private final TrafficHub local;
    private final KubernetesClient client;
    private final HttpClient http;
    private final HubServer server;
    private final Duration timeout;
    private final Map<Key, ObjectNode> pending = new ConcurrentHashMap<>();
    private final BlockingQueue<Key> queue = new LinkedBlockingQueue<>();
    private final Map<Key, ObjectNode> newest = new ConcurrentHashMap<>();
    private final AtomicLong sequence = new AtomicLong();
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().daemon().name("zeroscale-hub-timer").factory());
    private final Map<TargetRef, Route> localRoutes = new ConcurrentHashMap<>();
    private final Map<TargetRef, Route> leaderRoutes = new ConcurrentHashMap<>();
    private final List<RouteListener> listeners = new CopyOnWriteArrayList<>();
    private final Subscription localSubscription;
    private final Thread sender;
    private volatile @Nullable SharedIndexInformer<Lease> informer;
    private volatile @Nullable String holder;
    private volatile boolean fromLeader;
    private volatile @Nullable String lastFailure;
    private volatile @Nullable String leaseWatchFailure;
    private volatile @Nullable HttpResponse<Stream<String>> stream;
    private volatile boolean closed;
    private long streamGeneration;
    private final Retry retry;
    private final AtomicInteger streamFailures = new AtomicInteger();
    private final java.time.InstantSource clock;
    private volatile java.time.Instant lastLine = java.time.Instant.EPOCH;

    KubernetesTrafficHub(HubSettings settings, TrafficHub local, KubernetesClient client, TokenReviews reviews,
            java.time.InstantSource clock) {
        this.settings = settings;
        this.clock = clock;
        this.local = local;
        this.client = client;
        this.timeout = settings.client().timeout();
        this.http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(timeout).build();
        this.server = new HubServer(settings, local, reviews, this::leading, () -> holder);
        this.localSubscription = local.subscribe(new RouteListener() {
            @Override
            public void onRoute(TargetRef target, Route route) {
                localRoutes.put(target, route);
                if (!fromLeader) {
                    listeners.forEach(listener -> listener.onRoute(target, route));
                }
            }

            @Override
            public void onFailHeld(TargetRef target, int status, String reason) {
                listeners.forEach(listener -> listener.onFailHeld(target, status, reason));
            }

            @Override
            public void onRemoved(TargetRef target, String reason) {
                localRoutes.remove(target);
                leaderRoutes.remove(target);
                listeners.forEach(listener -> listener.onRemoved(target, reason));
            }
        });
        this.sender = Thread.ofVirtual().name("zeroscale-hub-sender").unstarted(this::send);
        // Until the call got through (or there is no leader to send it to): calls are ordered, so
        // none is given up for a later one; the cap keeps a new leader's wait short.
        this.retry = Retry.of("zeroscale-hub-" + settings.identity(), RetryConfig.<Boolean>custom()
                .maxAttempts(Integer.MAX_VALUE)
                .intervalFunction(BACKOFF)
                .retryOnResult(done -> !done)
                .failAfterMaxAttempts(false)
                .build());
    }

    /** Listens, follows the Lease and starts sending (returns at once). */
    void start() {
        server.start();
        sender.start();
        // A leader that vanished without closing its connections (its node gone) sends no pings:
        // the stream is given up after three missed pings, not only when the Lease changes hands.
        timer.scheduleAtFixedRate(this::checkStream, HubServer.PING_SECONDS, HubServer.PING_SECONDS, TimeUnit.SECONDS);
        SharedIndexInformer<Lease> built = client.resources(Lease.class).inNamespace(settings.namespace())
                .withName(settings.lease()).runnableInformer(0);
        built.addEventHandler(new ResourceEventHandler<>() {
            @Override
            public void onAdd(Lease lease) {
                holderIs(lease);
            }

            @Override
            public void onUpdate(Lease before, Lease lease) {
                holderIs(lease);
            }

            @Override
            public void onDelete(Lease lease, boolean unknownFinalState) {
                holderChanged(null);
            }
        });
        // Keep trying (fabric8 backs off): a missing permission can be fixed while the daemon runs.
        built.exceptionHandler((isStarted, failure) -> {
            String message = failure.toString();
            if (!message.equals(leaseWatchFailure)) {
                log.warn("traffic hub: cannot watch lease {}/{}, trying again ({}); may this daemon list and watch leases?",
                        settings.namespace(), settings.lease(), message);
            }
            leaseWatchFailure = message;
            return !closed;
        });
        informer = built;
        built.start();
    }

    /** The last failure to list or watch the Lease, null while none failed. */
    @Nullable String leaseWatchFailure() {
        return leaseWatchFailure;
    }

    /** Where this replica's channel listens (the real port when the configured one was 0). */
    java.net.InetSocketAddress address() {
        return server.address();
    }

    /** True while the Lease names this daemon. */
    boolean leading() {
        return settings.identity().equals(holder);
    }

    /** True while this follower's gateway gets the leader's routes. */
    boolean fromLeader() {
        return fromLeader;
    }

    /** The Lease's holder as last seen, null before or without one. */
    @Nullable String holder() {
        return holder;
    }

    /** The last failure of the channel to the leader, null once a call got through again. */
    @Nullable String lastFailure() {
        return lastFailure;
    }

    private void holderIs(Lease lease) {
        holderChanged(lease.getSpec() == null ? null : lease.getSpec().getHolderIdentity());
    }

    /** The Lease names {@code now} (null: nobody). Package-private for tests without a Lease. */
    synchronized void holderChanged(@Nullable String now) {
        String before = holder;
        String next = now == null || now.isBlank() ? null : now;
        if (Objects.equals(before, next)) {
            return;
        }
        holder = next;
        log.info("traffic hub: the Lease names {} as leader{}", next == null ? "nobody" : next, leading() ? " (this daemon)" : "");
        if (settings.identity().equals(before)) {
            server.endStreams();
        }
        dropStream();
        if (next != null && !leading()) {
            resendAll();
            connectStream();
        }
    }

    // ---- calls of this daemon's gateway: to the local engine, and to the leader ----

    @Override
    public void report(String gateway, TargetRef target, RequestStats stats) {
        local.report(gateway, target, stats);
        ObjectNode call = HubWire.call("report", gateway);
        call.set("target", HubWire.target(target));
        call.set("stats", HubWire.stats(stats));
        Key key = new Key("report", gateway, target, 0);
        newest.put(key, call);
        forward(key, call);
    }

    @Override
    public void drained(String gateway, TargetRef target, List<Endpoint> endpoints) {
        drained(gateway, target, 0, endpoints);
    }

    @Override
    public void drained(String gateway, TargetRef target, long drain, List<Endpoint> endpoints) {
        local.drained(gateway, target, drain, endpoints);
        ObjectNode call = HubWire.call("drained", gateway).put("drain", drain);
        call.set("target", HubWire.target(target));
        call.set("endpoints", HubWire.endpoints(endpoints));
        forward(new Key("drained", gateway, target, sequence.incrementAndGet()), call);
    }

    @Override
    public void endpointRefused(String gateway, TargetRef target, Endpoint endpoint, String reason) {
        local.endpointRefused(gateway, target, endpoint, reason);
        ObjectNode call = HubWire.call("refused", gateway).put("endpoint", endpoint.toString()).put("reason", reason);
        call.set("target", HubWire.target(target));
        forward(new Key("refused", gateway, target, sequence.incrementAndGet()), call);
    }

    @Override
    public void heartbeat(String gateway) {
        local.heartbeat(gateway);
        Key key = new Key("heartbeat", gateway, null, 0);
        ObjectNode call = HubWire.call("heartbeat", gateway);
        newest.put(key, call);
        forward(key, call);
    }

    @Override
    public void left(String gateway) {
        local.left(gateway);
        newest.keySet().removeIf(key -> key.gateway().equals(gateway));
        forward(new Key("left", gateway, null, sequence.incrementAndGet()), HubWire.call("left", gateway));
    }

    private void forward(Key key, ObjectNode call) {
        if (closed || holder == null || leading()) {
            return;
        }
        if (pending.put(key, call) == null) {
            queue.offer(key);
        }
    }

    private void resendAll() {
        newest.forEach(this::forward);
    }

    /** The sender: one call at a time, to the leader the Lease names now, each until it got through. */
    private void send() {
        while (!closed) {
            Key key;
            try {
                key = queue.take();
            } catch (InterruptedException e) {
                return;
            }
            ObjectNode call = pending.remove(key);
            if (call == null) {
                continue;
            }
            AtomicReference<ObjectNode> current = new AtomicReference<>(call);
            try {
                if (!Retry.decorateSupplier(retry, () -> attempt(key, current)).get()) {
                    log.warn("traffic hub: gave up sending a {} call to the leader after {} tries", key.call(),
                            retry.getRetryConfig().getMaxAttempts());
                }
            } catch (RuntimeException e) {
                if (closed) {
                    return;
                }
                log.warn("traffic hub: gave up sending a {} call to the leader: {}", key.call(), e.toString());
            }
        }
    }

    /**
     * One try at sending {@code call} (replaced by a newer one for its key, if any came) to the
     * leader the Lease names now.
     *
     * @return true when done: taken, refused for good, or no other replica to send it to
     */
    private boolean attempt(Key key, AtomicReference<ObjectNode> call) {
        ObjectNode newer = pending.remove(key);
        if (newer != null) {
            call.set(newer);
        }
        String leader = holder;
        if (closed || leader == null || leading()) {
            return true;
        }
        try {
            HttpResponse<String> response = http.send(request(leader, HubWire.CALLS).timeout(timeout)
                    .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(call.get().toString()))
                    .build(), HttpResponse.BodyHandlers.ofString());
            int status = response.statusCode();
            if (status / 100 == 2) {
                lastFailure = null;
                return true;
            }
            String why = status + " " + response.body();
            if (!retryable(status)) {
                log.warn("traffic hub: the leader {} refused a {} call, dropped: {}", leader, key.call(), why);
                return true;
            }
            failed(leader, why);
        } catch (IOException | RuntimeException e) {
            failed(leader, e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return true;
        }
        return false;
    }

    /** Refusals that may pass later: the leader's trouble, its token review, the Lease moving, throttling. */
    static boolean retryable(int status) {
        return status >= 500 || status == 401 || status == 403 || status == 408 || status == 421 || status == 429;
    }

    private void failed(String leader, String why) {
        if (!why.equals(lastFailure)) {
            log.warn("traffic hub: cannot reach the leader {} over the replica channel, trying again in {} ms to {} s: {}",
                    leader, FIRST_RETRY.toMillis(), MAX_RETRY.toSeconds(), why);
        }
        lastFailure = why;
    }

    /** The wait before opening the route stream again after it failed or ended. */
    private long streamRetryMillis() {
        return BACKOFF.apply(streamFailures.incrementAndGet());
    }

    private HttpRequest.Builder request(String leader, String path) throws IOException {
        Endpoint address = leaderAddress(leader);
        String token = Files.readString(settings.tokenFile()).trim();
        String host = address.host().contains(":") ? "[" + address.host() + "]" : address.host();
        return HttpRequest.newBuilder(URI.create("http://" + host + ":" + address.port() + path))
                .header("Authorization", "Bearer " + token);
    }

    private Endpoint leaderAddress(String leader) throws IOException {
        Endpoint named = HubSettings.addressIn(leader);
        if (named != null) {
            return named;
        }
        Pod pod;
        try {
            pod = client.pods().inNamespace(settings.namespace()).withName(leader).get();
        } catch (KubernetesClientException e) {
            throw new IOException("cannot read the leader's pod " + settings.namespace() + "/" + leader + ": " + e.getMessage(), e);
        }
        if (pod == null || pod.getStatus() == null || pod.getStatus().getPodIP() == null) {
            throw new IOException("the leader " + leader + " is neither name@host:port nor a pod with an IP in namespace "
                    + settings.namespace());
        }
        return new Endpoint(pod.getStatus().getPodIP(), settings.listen().port());
    }

    // ---- routes: the leader's while its stream is open, else this daemon's own ----

    private synchronized void connectStream() {
        String leader = holder;
        if (closed || leader == null || leading() || stream != null) {
            return;
        }
        long generation = ++streamGeneration;
        Thread.ofVirtual().name("zeroscale-hub-routes").start(() -> readStream(leader, generation));
    }

    private void readStream(String leader, long generation) {
        try {
            HttpResponse<Stream<String>> response = http.send(request(leader, HubWire.ROUTES).GET().build(),
                    HttpResponse.BodyHandlers.ofLines());
            if (response.statusCode() != 200) {
                String body;
                try (Stream<String> lines = response.body()) {
                    body = String.join("\n", lines.toList());
                }
                failed(leader, response.statusCode() + " " + body);
                return;
            }
            synchronized (this) {
                if (generation != streamGeneration || closed) {
                    response.body().close();
                    return;
                }
                lastLine = clock.instant();
                stream = response;
            }
            try (Stream<String> lines = response.body()) {
                lines.forEach(line -> line(line, generation));
            }
        } catch (IOException | RuntimeException e) {
            if (generation == streamGeneration) {
                failed(leader, "route stream: " + e);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            streamEnded(generation);
        }
    }

    private void checkStream() {
        if (stream != null && lastLine.plusSeconds(3L * HubServer.PING_SECONDS).isBefore(clock.instant())) {
            log.warn("traffic hub: no line from the leader {} for {} s; connecting again", holder, 3 * HubServer.PING_SECONDS);
            dropStream();
            timer.schedule(this::connectStream, streamRetryMillis(), TimeUnit.MILLISECONDS);
        }
    }

    private void line(String line, long generation) {
        if (generation != streamGeneration) {
            throw new IllegalStateException("superseded");
        }
        lastLine = clock.instant();
        streamFailures.set(0);
        JsonNode node;
        try {
            node = HubWire.JSON.readTree(line);
        } catch (IOException e) {
            log.warn("traffic hub: a line from the leader is not JSON, ignored: {}", line);
            return;
        }
        String type = node.path("type").asText();
        if (!fromLeader) {
            fromLeader = true;
            lastFailure = null;
            log.info("traffic hub: routing by the leader {}'s routes", holder);
        }
        switch (type) {
            case "route" -> {
                TargetRef target = HubWire.target(node.path("target"));
                Route route = HubWire.route(node);
                leaderRoutes.put(target, route);
                if (localRoutes.containsKey(target)) {
                    listeners.forEach(listener -> listener.onRoute(target, route));
                }
            }
            case "failHeld" -> {
                TargetRef target = HubWire.target(node.path("target"));
                int status = node.path("status").asInt(503);
                String reason = node.path("reason").asText();
                listeners.forEach(listener -> listener.onFailHeld(target, status, reason));
            }
            default -> {} // ping
        }
    }

    private void streamEnded(long generation) {
        boolean again;
        synchronized (this) {
            if (generation != streamGeneration) {
                return;
            }
            stream = null;
            again = !closed && holder != null && !leading();
        }
        useLocalRoutes();
        if (again) {
            timer.schedule(this::connectStream, streamRetryMillis(), TimeUnit.MILLISECONDS);
        }
    }

    private synchronized void dropStream() {
        streamGeneration++;
        HttpResponse<Stream<String>> current = stream;
        stream = null;
        if (current != null) {
            current.body().close();
        }
        useLocalRoutes();
    }

    /** Back to this daemon's own routes: every target's, at once. */
    private void useLocalRoutes() {
        if (!fromLeader) {
            return;
        }
        fromLeader = false;
        leaderRoutes.clear();
        log.info("traffic hub: routing by this daemon's own routes (no route stream from a leader)");
        localRoutes.forEach((target, route) -> listeners.forEach(listener -> listener.onRoute(target, route)));
    }

    @Override
    public Subscription subscribe(RouteListener listener) {
        Map<TargetRef, Route> now = fromLeader ? Map.copyOf(leaderRoutes) : Map.copyOf(localRoutes);
        localRoutes.forEach((target, route) -> listener.onRoute(target, now.getOrDefault(target, route)));
        listeners.add(listener);
        return () -> listeners.remove(listener);
    }

    @Override
    public void close() {
        closed = true;
        SharedIndexInformer<Lease> current = informer;
        if (current != null) {
            current.close();
        }
        dropStream();
        sender.interrupt();
        timer.shutdownNow();
        localSubscription.close();
        server.close();
        client.close();
    }

    @Override
    public String toString() {
        return "kubernetes traffic hub " + settings.identity() + " (lease " + settings.namespace() + "/" + settings.lease() + ")";
    }
}
