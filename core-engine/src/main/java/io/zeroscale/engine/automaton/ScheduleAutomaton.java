package io.zeroscale.engine.automaton;

import static java.util.Objects.requireNonNull;

import com.cronutils.model.time.ExecutionTime;
import io.zeroscale.spi.Durations;
import io.zeroscale.spi.automaton.Automaton;
import io.zeroscale.spi.automaton.Decision;
import io.zeroscale.spi.automaton.Event;
import io.zeroscale.spi.automaton.StateDiagram;
import io.zeroscale.spi.automaton.TargetContext;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * {@code schedule}: replicas from cron windows. A window opens at each time its UNIX cron
 * expression (5 fields, minute resolution, evaluated in {@code timezone}) fires and stays open for
 * {@code duration}: it is active over {@code [fire, fire + duration)}. The replicas are the maximum
 * over the active windows, or {@code default-replicas} when none is. Signals are not read.
 *
 * <p>After every evaluation the automaton sets the timer {@value #TIMER} for the next boundary (a
 * window opening or closing), so it changes replicas on time rather than on the next tick; a tick at
 * or after a missed boundary re-evaluates too.
 *
 * <table>
 *   <caption>schedule</caption>
 *   <tr><th>event</th><th>effect, next state</th></tr>
 *   <tr><td>Start, TimerFired(schedule-boundary)</td><td>evaluate, set the timer; IN_WINDOW or DEFAULT</td></tr>
 *   <tr><td>Tick</td><td>evaluate if a boundary was missed, else keep</td></tr>
 *   <tr><td>SignalChanged, RequestsChanged, ObservedChanged, ObservationFailed, ReplicaFailed,
 *       Drained, ActuationFailed</td><td>keep (routing follows ready endpoints)</td></tr>
 *   <tr><td>TimerFired(other), or anything before Start</td><td>illegal</td></tr>
 * </table>
 */
final class ScheduleAutomaton implements Automaton {
    static final String TYPE = "schedule";
    static final String IN_WINDOW = "IN_WINDOW";
    static final String DEFAULT = "DEFAULT";
    static final String TIMER = "schedule-boundary";

    private final List<Window> windows;
    private final int defaultReplicas;
    private final ZoneId zone;
    private @Nullable Instant nextBoundary;
    private @Nullable Decision last;
    private String state = DEFAULT;

    ScheduleAutomaton(List<Window> windows, int defaultReplicas, ZoneId zone) {
        this.windows = List.copyOf(windows);
        this.defaultReplicas = defaultReplicas;
        this.zone = requireNonNull(zone, "zone is null");
    }

    @Override
    public String state() {
        return state;
    }

    @Override
    public Set<String> states() {
        return Set.of(IN_WINDOW, DEFAULT);
    }

    @Override
    public StateDiagram describe() {
        String opens = windows.stream().map(w -> "\"" + w.cron() + "\" for " + Durations.format(w.duration()) + ": " + w.replicas())
                .collect(java.util.stream.Collectors.joining("; "));
        return new StateDiagram(List.of(
                new StateDiagram.State(DEFAULT, defaultReplicas + " replicas (default-replicas)"),
                new StateDiagram.State(IN_WINDOW, "the most replicas of the open windows")), List.of(
                new StateDiagram.Transition(DEFAULT, IN_WINDOW, "a window opens (" + zone + "): " + opens),
                new StateDiagram.Transition(IN_WINDOW, DEFAULT, "the last open window closes")));
    }

    @Override
    public Decision onEvent(Event event, TargetContext context) {
        Decision previous = Policies.previous(TYPE, last, event);
        Decision next = switch (event) {
            case Event.Start start -> evaluate(context);
            case Event.TimerFired fired -> {
                if (!fired.timer().equals(TIMER)) {
                    throw Policies.illegal(TYPE, state, fired);
                }
                yield evaluate(context);
            }
            case Event.Tick tick -> nextBoundary != null && !context.now().isBefore(nextBoundary)
                    ? evaluate(context)
                    : Policies.refresh(context, requireNonNull(previous));
            case Event.SignalChanged changed -> Policies.refresh(context, requireNonNull(previous));
            case Event.RequestsChanged changed -> Policies.refresh(context, requireNonNull(previous));
            case Event.ObservedChanged changed -> Policies.refresh(context, requireNonNull(previous));
            case Event.ObservationFailed failed -> Policies.refresh(context, requireNonNull(previous));
            case Event.ReplicaFailed failed -> Policies.refresh(context, requireNonNull(previous));
            case Event.Drained drained -> Policies.refresh(context, requireNonNull(previous));
            case Event.ActuationFailed failed -> Policies.refresh(context, requireNonNull(previous));
        };
        last = next;
        return next;
    }

    private Decision evaluate(TargetContext context) {
        Instant now = context.now();
        ZonedDateTime at = now.atZone(zone);
        int replicas = -1;
        List<String> active = new ArrayList<>();
        Instant boundary = null;
        for (Window window : windows) {
            Optional<ZonedDateTime> opened = window.execution().nextExecution(at.minus(window.duration()));
            if (opened.isPresent() && !opened.get().isAfter(at)) {
                // the newest firing at or before now decides when this window closes
                ZonedDateTime latest = window.execution().lastExecution(at.plusNanos(1)).orElse(opened.get());
                boundary = earliest(boundary, latest.plus(window.duration()).toInstant());
                if (window.replicas() > replicas) {
                    replicas = window.replicas();
                }
                active.add("'" + window.cron() + "'");
            }
            Optional<ZonedDateTime> opens = window.execution().nextExecution(at);
            if (opens.isPresent()) {
                boundary = earliest(boundary, opens.get().toInstant());
            }
        }
        nextBoundary = boundary;
        if (boundary == null) {
            context.timers().cancel(TIMER);
        } else {
            context.timers().set(TIMER, Duration.between(now, boundary));
        }
        if (active.isEmpty()) {
            state = DEFAULT;
            return Policies.decide(context, defaultReplicas, "no schedule window active -> default "
                    + Policies.replicas(defaultReplicas));
        }
        state = IN_WINDOW;
        return Policies.decide(context, replicas, "schedule window " + String.join(", ", active) + " active -> "
                + Policies.replicas(replicas));
    }

    private static Instant earliest(@Nullable Instant current, Instant candidate) {
        return current == null || candidate.isBefore(current) ? candidate : current;
    }

    /** Open for {@code duration} from each firing of {@code cron}, asking for {@code replicas}. */
    record Window(String cron, ExecutionTime execution, Duration duration, int replicas) {
        Window {
            requireNonNull(cron, "cron is null");
            requireNonNull(execution, "execution is null");
            requireNonNull(duration, "duration is null");
            if (duration.isZero() || duration.isNegative()) {
                throw new IllegalArgumentException("duration must be positive");
            }
        }
    }
}
