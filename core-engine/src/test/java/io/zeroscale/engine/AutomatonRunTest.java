package io.zeroscale.engine;

import static org.assertj.core.api.Assertions.assertThat;

import io.zeroscale.spi.StandardErrorCode;
import io.zeroscale.spi.ZeroscaleException;
import io.zeroscale.spi.automaton.Automaton;
import io.zeroscale.spi.automaton.Decision;
import io.zeroscale.spi.automaton.Event;
import io.zeroscale.spi.automaton.TargetContext;
import io.zeroscale.spi.traffic.Routing;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** A target's automaton from Start on: decisions, a rejected event, and the restart of a new leader. */
class AutomatonRunTest {
    private final List<String> journal = new ArrayList<>();
    private final List<String> forgotten = new ArrayList<>();
    private final List<Counting> made = new ArrayList<>();
    private final AutomatonRun run = new AutomatonRun("app", automaton(), this::automaton,
            List.of(() -> forgotten.add("timers"), () -> forgotten.add("decisions")), (kind, message) -> journal.add(kind + ": " + message));

    /** Counts the events it decides on; rejects a tick. */
    private static final class Counting implements Automaton {
        int events;

        @Override
        public Decision onEvent(Event event, TargetContext context) {
            if (event instanceof Event.Tick) {
                throw new ZeroscaleException(StandardErrorCode.ILLEGAL_TRANSITION, "ticks are not expected here");
            }
            events++;
            return Decision.of(1, Routing.FORWARD, "event " + events);
        }

        @Override
        public String state() {
            return events == 0 ? "START" : "ACTIVE";
        }

        @Override
        public Set<String> states() {
            return Set.of("START", "ACTIVE");
        }
    }

    private Automaton automaton() {
        Counting counting = new Counting();
        made.add(counting);
        return counting;
    }

    @Test
    void aRejectedEventIsJournalledAndDecidesNothing() {
        run.start();
        assertThat(run.decide(new Event.RequestsChanged(), null)).isNotNull();
        assertThat(run.state()).isEqualTo("ACTIVE");
        assertThat(run.decide(new Event.Tick(), null)).isNull();
        assertThat(journal).containsExactly("SAFETY: automaton error in ACTIVE: ticks are not expected here");
    }

    @Test
    void aRestartForgetsEverythingDecidedAndWaitsForStartWithAFreshAutomaton() {
        run.start();
        run.decide(new Event.RequestsChanged(), null);
        run.restart();

        assertThat(run.started()).as("waits for a fresh observation").isFalse();
        assertThat(forgotten).containsExactly("timers", "decisions");
        assertThat(made).as("the configured one, then a fresh one").hasSize(2);
        assertThat(run.state()).isEqualTo("START");
        run.start();
        Decision decision = run.decide(new Event.RequestsChanged(), null);
        assertThat(decision).isNotNull();
        assertThat(decision.reason()).as("the fresh automaton decides, from its own first event").isEqualTo("event 1");
        assertThat(made.get(0).events).isEqualTo(1);
    }
}
