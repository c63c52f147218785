package io.zeroscale.engine;

import static org.assertj.core.api.Assertions.assertThat;

import io.zeroscale.engine.time.VirtualScheduler;
import io.zeroscale.spi.Leadership;
import io.zeroscale.spi.Subscription;
import io.zeroscale.spi.TargetRef;
import io.zeroscale.spi.automaton.Decision;
import io.zeroscale.spi.orchestrator.Endpoint;
import io.zeroscale.spi.traffic.RequestStats;
import io.zeroscale.spi.traffic.Route;
import io.zeroscale.spi.traffic.RouteListener;
import io.zeroscale.spi.traffic.Routing;
import io.zeroscale.spi.traffic.TrafficHub;
import io.zeroscale.testkit.FakeOrchestrator;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

/**
 * The leadership test: two daemons (engines) over one fake backend, each with its own gateway
 * whose reports reach both engines (as a hub that forwards to the leader does), while leadership
 * changes hands 100 times at random points: mid-wake, mid-drain and mid-pause, sometimes with a
 * gap in which nobody leads. Everything runs on one virtual clock, so a run is deterministic: the
 * seed is printed, and {@code -Dzeroscale.leadership.seed=N} replays a run.
 *
 * <p>Checked from the backend's write log: no write by a daemon that is not the leader except a
 * conditional wake to max(current, 1); at most one write per decision; never zero (or paused) while
 * any gateway holds a request or has one in flight; every held request answered, and served.
 */
class LeadershipHandoverTest {
    private static final String SEED_PROPERTY = "zeroscale.leadership.seed";
    private static final int HANDOVERS = 100;
    private static final Duration STARTUP = Duration.ofSeconds(5);

    private static final String WEB = """
            orchestrator: fake
            workload: { kind: Process, name: web }
            policy: { idle: 30s, drain-timeout: 20s, wake-timeout: 2m }
            """;
    private static final String BATCH = """
            orchestrator: fake
            workload: { kind: Process, name: batch }
            policy: { idle: 60s, pause-after: 20s, drain-timeout: 20s, wake-timeout: 2m }
            """;

    private final VirtualScheduler time = new VirtualScheduler(Instant.parse("2026-01-01T00:00:00Z"));
    private final FakeOrchestrator backend = new FakeOrchestrator(time, STARTUP);
    private final Baton baton = new Baton();
    private final Map<String, Daemon> daemons = new LinkedHashMap<>();
    private final List<String> violations = new CopyOnWriteArrayList<>();
    private Random random = new Random();
    private final TargetRef web = ref("web");
    private final TargetRef batch = ref("batch");

    private static TargetRef ref(String name) {
        return new TargetRef("fake", "Process", null, name);
    }

    @Test
    void leadershipChangingHandsAtRandomPointsNeverBreaksTheRules() {
        long seed = Long.getLong(SEED_PROPERTY, System.nanoTime());
        System.out.println("LeadershipHandoverTest seed " + seed + " (replay with -D" + SEED_PROPERTY + "=" + seed + ")");
        random = new Random(seed);
        String replay = "seed " + seed + " (replay with -D" + SEED_PROPERTY + "=" + seed + ")";

        daemons.put("a", new Daemon("a"));
        daemons.put("b", new Daemon("b"));
        backend.onWrite(this::checkWrite);
        baton.give("a");
        daemons.values().forEach(Daemon::start);
        time.runDue();

        Map<String, Integer> phases = new LinkedHashMap<>();
        for (int handover = 0; handover < HANDOVERS; handover++) {
            String phase = switch (handover % 4) {
                case 0 -> midWake(web);
                case 1 -> midDrain();
                case 2 -> midPause();
                default -> midWake(batch);
            };
            // What the deciding automaton was doing when leadership moved, as it says itself.
            TargetRef target = phase.endsWith("web") ? web : batch;
            phases.merge(phase + " in " + leaderState(target), 1, Integer::sum);
            handOver(target);
        }
        // Settle: a leader, no new requests; everything held must be answered.
        if (baton.holder == null) {
            baton.give(random.nextBoolean() ? "a" : "b");
        }
        advance(Duration.ofMinutes(5));

        System.out.println("LeadershipHandoverTest handovers by phase " + phases + ", writes " + backend.writes().size()
                + ", requests " + requests() + ", gains " + gains());
        assertThat(violations).as(replay).isEmpty();
        for (String phase : List.of("mid-wake web in WAKING", "mid-drain web in DRAINING", "mid-pause batch in PAUSED",
                "mid-wake batch in WAKING")) {
            assertThat(phases.getOrDefault(phase, 0)).as("handovers %s; all: %s; %s", phase, phases, replay).isGreaterThanOrEqualTo(10);
        }
        for (Daemon daemon : daemons.values()) {
            for (Gateway gateway : daemon.gateways()) {
                assertThat(gateway.held).as("%s: every held request answered; %s", gateway.id, replay).isEmpty();
                assertThat(gateway.failed).as("%s: every request served; %s", gateway.id, replay).isEmpty();
            }
        }
        assertThat(requests()).as(replay).isGreaterThan(HANDOVERS);
        // A daemon that gains leadership starts each target over from Start with a fresh observation.
        for (Daemon daemon : daemons.values()) {
            for (TargetRef target : List.of(web, batch)) {
                long restarts = daemon.zeroscale.journal().recent(target, 100_000).stream()
                        .filter(entry -> entry.kind() == JournalEntry.Kind.LEADERSHIP && entry.message().contains("became the leader"))
                        .count();
                assertThat(restarts).as("%s restarted %s from Start on every gain; %s", daemon.name, target.name(), replay)
                        .isEqualTo(daemon.gains);
            }
        }
        daemons.values().forEach(daemon -> daemon.zeroscale.close());
    }

    // ---- driving to a phase ----------------------------------------------------------------------

    /** From zero, a request arrives at a random gateway; hand over while the replica starts. */
    private String midWake(TargetRef target) {
        settleTo(target, "ZERO", Duration.ofMinutes(4));
        randomGateway().request(target, randomServiceTime());
        advance(randomBetween(Duration.ZERO, STARTUP));
        return "mid-wake " + target.name();
    }

    /** Active and then idle: hand over while the gateways report their drains (they take a while to arrive). */
    private String midDrain() {
        ensureActive(web);
        settleTo(web, "DRAINING", Duration.ofMinutes(2));
        advance(randomBetween(Duration.ZERO, Duration.ofSeconds(1)));
        return "mid-drain web";
    }

    /** Active, then paused for lack of requests; hand over while paused. */
    private String midPause() {
        ensureActive(batch);
        settleTo(batch, "PAUSED", Duration.ofMinutes(2));
        advance(randomBetween(Duration.ZERO, Duration.ofSeconds(30)));
        return "mid-pause batch";
    }

    private void ensureActive(TargetRef target) {
        if (!"ACTIVE".equals(leaderState(target))) {
            randomGateway().request(target, randomServiceTime());
            settleTo(target, "ACTIVE", Duration.ofMinutes(4));
        }
        advance(Duration.ofSeconds(3)); // the request is served
    }

    /** Advances in small random steps until the deciding daemon's automaton is in {@code state}. */
    private void settleTo(TargetRef target, String state, Duration atMost) {
        Instant end = time.now().plus(atMost);
        while (!state.equals(leaderState(target)) && time.now().isBefore(end)) {
            advance(randomBetween(Duration.ofMillis(100), Duration.ofSeconds(2)));
        }
    }

    /** The state of the leader's automaton for {@code target} (or of "a" while nobody leads). */
    private String leaderState(TargetRef target) {
        String holder = baton.holder == null ? "a" : baton.holder;
        return daemons.get(holder).zeroscale.engine().statuses().stream()
                .filter(status -> status.ref().equals(target)).findFirst().orElseThrow().state();
    }

    /**
     * Leadership moves to the other daemon, sometimes through a gap in which nobody leads; half the
     * time a request for {@code target} arrives at that very moment (mid-drain it cancels the
     * drain, mid-pause it resumes the replicas).
     */
    private void handOver(TargetRef target) {
        String from = baton.holder;
        String to = from == null || from.equals("a") ? "b" : "a";
        if (random.nextInt(4) == 0) {
            baton.give(null); // nobody leads for a moment (an election in progress)
            advance(randomBetween(Duration.ZERO, Duration.ofSeconds(5)));
            if (random.nextBoolean()) {
                randomGateway().request(random.nextBoolean() ? web : batch, randomServiceTime());
                advance(randomBetween(Duration.ZERO, Duration.ofSeconds(2)));
            }
        }
        if (random.nextBoolean()) {
            // The request's report is taken first; the decision it causes queues a write, and
            // leadership moves before that write runs: the write must not be made.
            randomGateway().arrive(target, randomServiceTime());
            time.schedule(Duration.ZERO, () -> baton.give(to));
        } else {
            baton.give(to);
        }
        time.runDue();
    }

    // ---- the checks ------------------------------------------------------------------------------

    private void checkWrite(FakeOrchestrator.Write write) {
        String at = write.at() + " " + write.client() + " " + write.call() + ": ";
        if (!write.leader()) {
            boolean conditionalWake = write.call().startsWith("wakeIfZero ")
                    && write.desiredAfter() == Math.max(write.desiredBefore(), 1);
            if (!conditionalWake) {
                violations.add(at + "written by a daemon that is not the leader");
            }
        }
        if ((write.desiredAfter() == 0 && write.desiredBefore() > 0) || (write.pausedAfter() && !write.pausedBefore())) {
            for (Daemon daemon : daemons.values()) {
                for (Gateway gateway : daemon.gateways()) {
                    long held = gateway.held.stream().filter(request -> request.target.equals(write.target())).count();
                    long inFlight = gateway.inFlight.stream().filter(request -> request.target.equals(write.target())).count();
                    if (held > 0 || inFlight > 0) {
                        violations.add(at + "to zero or paused while gateway " + gateway.id + " holds " + held + " and forwards "
                                + inFlight + " request(s)");
                    }
                }
            }
        }
        Daemon writer = daemons.get(write.client());
        String kind = write.call().substring(0, write.call().indexOf(' '));
        String decision = write.target().name() + "#" + writer.decisions.getOrDefault(write.target(), 0);
        if (!writer.writesPerDecision.add(decision + " " + kind)) {
            violations.add(at + "a second " + kind + " for decision " + decision + " (one write per decision)");
        }
    }

    private int requests() {
        return daemons.values().stream().flatMap(daemon -> daemon.gateways().stream()).mapToInt(gateway -> gateway.served).sum();
    }

    private Map<String, Integer> gains() {
        Map<String, Integer> out = new LinkedHashMap<>();
        daemons.forEach((name, daemon) -> out.put(name, daemon.gains));
        return out;
    }

    // ---- helpers ---------------------------------------------------------------------------------

    private void advance(Duration duration) {
        time.advance(duration);
    }

    private Duration randomBetween(Duration low, Duration high) {
        long span = high.toMillis() - low.toMillis();
        return low.plusMillis(span <= 0 ? 0 : random.nextLong(span + 1));
    }

    private Duration randomServiceTime() {
        return randomBetween(Duration.ofMillis(50), Duration.ofSeconds(2));
    }

    private Gateway randomGateway() {
        List<Gateway> all = daemons.values().stream().flatMap(daemon -> daemon.gateways().stream()).toList();
        return all.get(random.nextInt(all.size()));
    }

    /** Who leads: at most one daemon at a time, or nobody. */
    private final class Baton {
        @Nullable String holder;
        private final List<Runnable> listeners = new CopyOnWriteArrayList<>();

        void give(@Nullable String next) {
            holder = next;
            if (next != null) {
                Daemon daemon = daemons.get(next);
                if (daemon != null && daemon.started) {
                    daemon.gains++;
                }
            }
            listeners.forEach(Runnable::run);
        }

        Leadership of(String name) {
            return new Leadership() {
                @Override
                public boolean isLeader() {
                    return name.equals(holder);
                }

                @Override
                public Subscription subscribe(Runnable listener) {
                    listeners.add(listener);
                    return () -> listeners.remove(listener);
                }
            };
        }
    }

    /** One daemon: an engine over the shared backend, and its gateway. */
    private final class Daemon {
        final String name;
        final Zeroscale zeroscale;
        final Gateway gateway;
        boolean started;
        int gains;
        /** Per target: how many decisions with a new effect (replicas or pause) this engine made. */
        final Map<TargetRef, Integer> decisions = new HashMap<>();
        private final Map<TargetRef, Decision> lastDecision = new HashMap<>();
        final java.util.Set<String> writesPerDecision = new java.util.HashSet<>();

        Daemon(String name) {
            this.name = name;
            Leadership leadership = baton.of(name);
            zeroscale = Zeroscale.builder()
                    .virtualTime(time)
                    .orchestrator("fake", backend.client(name, leadership::isLeader))
                    .actuation(new ActuationSettings(1, Duration.ZERO, Duration.ZERO, Duration.ofSeconds(30), 1000))
                    .target(TargetSpec.fromConfig("web", YamlConfig.parse(WEB, "test", "targets.web")))
                    .target(TargetSpec.fromConfig("batch", YamlConfig.parse(BATCH, "test", "targets.batch")))
                    .leadership(leadership)
                    .build();
            zeroscale.engine().subscribeDecisions((target, event, decision) -> {
                Decision last = lastDecision.put(target, decision);
                if (last == null || last.replicas() != decision.replicas() || last.paused() != decision.paused()) {
                    decisions.merge(target, 1, Integer::sum);
                }
            });
            gateway = new Gateway(name + "-gw");
            zeroscale.engine().subscribe(gateway);
        }

        void start() {
            zeroscale.start();
            started = true;
            time.scheduleAtFixedRate(Duration.ofSeconds(5), () -> everyEngine(hub -> hub.heartbeat(gateway.id)));
        }

        List<Gateway> gateways() {
            return List.of(gateway);
        }
    }

    /** A gateway's report reaches every daemon's engine: its own, and (forwarded) the leader's. */
    private void everyEngine(java.util.function.Consumer<TrafficHub> call) {
        daemons.values().forEach(daemon -> call.accept(daemon.zeroscale.trafficHub()));
    }

    private static final class Request {
        final TargetRef target;
        final Duration serviceTime;
        @Nullable Endpoint endpoint;

        Request(TargetRef target, Duration serviceTime) {
            this.target = target;
            this.serviceTime = serviceTime;
        }
    }

    /**
     * A fake gateway: holds requests while its route has no endpoint, forwards them to ready
     * endpoints (a request sent to a replica that is not running is refused and held again, as
     * the real gateway does), drains, answers held requests on FailHeld or a refusal. Routes come
     * from its own daemon's engine; counters go to every engine.
     */
    private final class Gateway implements RouteListener {
        final String id;
        final List<Request> held = new ArrayList<>();
        final List<Request> inFlight = new ArrayList<>();
        final List<String> failed = new ArrayList<>();
        final Map<TargetRef, Route> routes = new HashMap<>();
        final Map<TargetRef, long[]> counters = new HashMap<>();
        /** Per target, the drain already reported (once per drain, as the real gateway does). */
        final Map<TargetRef, List<Endpoint>> drainReported = new HashMap<>();
        int served;

        Gateway(String id) {
            this.id = id;
        }

        void request(TargetRef target, Duration serviceTime) {
            arrive(target, serviceTime);
            time.runDue();
        }

        /** A request arrives and is reported; nothing runs yet. */
        void arrive(TargetRef target, Duration serviceTime) {
            Request request = new Request(target, serviceTime);
            counters(target)[0]++;
            Route route = routes.getOrDefault(target, Route.hold());
            if (route.routing() == Routing.FORWARD && !route.endpoints().isEmpty()) {
                forward(request, route.endpoints().get(random.nextInt(route.endpoints().size())));
            } else {
                held.add(request);
            }
            report(target);
        }

        private void forward(Request request, Endpoint endpoint) {
            if (!backend.state(request.target).readyEndpoints().contains(endpoint)) {
                // Nothing listens there any more: held again, and the engine is told to look.
                held.add(request);
                everyEngine(hub -> hub.endpointRefused(id, request.target, endpoint, "connection refused"));
                return;
            }
            request.endpoint = endpoint;
            inFlight.add(request);
            time.schedule(request.serviceTime, () -> finish(request));
        }

        private void finish(Request request) {
            inFlight.remove(request);
            Endpoint endpoint = request.endpoint;
            if (endpoint != null && !backend.state(request.target).readyEndpoints().contains(endpoint)) {
                failed.add("502 " + request.target.name() + ": the replica at " + endpoint + " went away while it served a request");
            } else {
                served++;
            }
            counters(request.target)[1]++;
            report(request.target);
            drainIfDone(request.target);
        }

        private long[] counters(TargetRef target) {
            return counters.computeIfAbsent(target, t -> new long[2]);
        }

        private void report(TargetRef target) {
            int heldNow = (int) held.stream().filter(request -> request.target.equals(target)).count();
            int inFlightNow = (int) inFlight.stream().filter(request -> request.target.equals(target)).count();
            long[] counts = counters(target);
            RequestStats stats = new RequestStats(heldNow, inFlightNow, counts[0], counts[1], 0);
            everyEngine(hub -> hub.report(id, target, stats));
        }

        @Override
        public void onRoute(TargetRef target, Route route) {
            routes.put(target, route);
            Route.Refusal refusal = route.refusal();
            if (!route.endpoints().isEmpty() && route.routing() == Routing.FORWARD) {
                List<Request> release = held.stream().filter(request -> request.target.equals(target)).toList();
                held.removeAll(release);
                release.forEach(request -> forward(request, route.endpoints().get(random.nextInt(route.endpoints().size()))));
            } else if (refusal != null) {
                answerHeld(target, 503, refusal.reason());
            }
            drainIfDone(target);
            report(target);
        }

        private void drainIfDone(TargetRef target) {
            Route route = routes.getOrDefault(target, Route.hold());
            List<Endpoint> draining = route.draining();
            if (!draining.equals(drainReported.get(target))) {
                drainReported.remove(target); // another drain: it is reported once it is done
            }
            if (draining.isEmpty() || drainReported.containsKey(target)
                    || inFlight.stream().anyMatch(request -> draining.contains(request.endpoint))) {
                return;
            }
            drainReported.put(target, draining);
            // The drain report takes a while to reach the engines (the forwarding hub's latency).
            time.schedule(randomBetween(Duration.ofSeconds(1), Duration.ofSeconds(5)),
                    () -> everyEngine(hub -> hub.drained(id, target, draining)));
        }

        @Override
        public void onFailHeld(TargetRef target, int status, String reason) {
            answerHeld(target, status, reason);
            report(target);
        }

        private void answerHeld(TargetRef target, int status, String reason) {
            List<Request> answered = held.stream().filter(request -> request.target.equals(target)).toList();
            held.removeAll(answered);
            answered.forEach(request -> {
                counters(target)[1]++;
                failed.add(status + " " + target.name() + ": " + reason);
            });
        }
    }
}
