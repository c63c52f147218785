package io.zeroscale.engine;

import static org.assertj.core.api.Assertions.assertThat;

import io.zeroscale.spi.Config;
import io.zeroscale.spi.Leadership;
import io.zeroscale.spi.Plugin;
import io.zeroscale.spi.Subscription;
import io.zeroscale.spi.alert.AlertSink;
import io.zeroscale.spi.alert.AlertSinkFactory;
import io.zeroscale.spi.events.EngineEvent;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/** A plugin follows the engine's journal and decisions through its PluginContext, knowing only core-spi. */
class EngineEventsTest {
    private static final String TARGET = EngineHarness.ZERO_TO_N;

    /** A plugin whose alert sink subscribes to engine events when it is created, as a Kubernetes Events writer would. */
    private static final class ListeningPlugin implements Plugin {
        final List<EngineEvent> events = new CopyOnWriteArrayList<>();
        volatile boolean failFirst = true;
        Subscription subscription = Subscription.NONE;

        @Override
        public List<AlertSinkFactory> alertSinkFactories() {
            return List.of(new AlertSinkFactory() {
                @Override
                public String type() {
                    return "listening";
                }

                @Override
                public AlertSink create(String name, Config config, io.zeroscale.spi.PluginContext context) {
                    // A listener that throws must not hurt the engine nor the next listener.
                    context.subscribe(event -> {
                        if (failFirst) {
                            failFirst = false;
                            throw new IllegalStateException("a broken listener");
                        }
                    });
                    subscription = context.subscribe(events::add);
                    return alert -> {};
                }
            });
        }
    }

    @Test
    void aPluginSeesJournalEntriesAndDecisionsOfEveryTarget() {
        ListeningPlugin plugin = new ListeningPlugin();
        try (EngineHarness engine = new EngineHarness(TARGET, Duration.ofSeconds(5), 0, Leadership.always(),
                builder -> builder.plugin(plugin).alertSink("events", Config.of("alerts.sinks.events", Map.of("type", "listening"))))) {
            engine.holdRequest();
            engine.advance(Duration.ofSeconds(6));
            assertThat(engine.state()).isEqualTo("ACTIVE");

            List<EngineEvent.Decided> decisions = plugin.events.stream()
                    .filter(EngineEvent.Decided.class::isInstance).map(EngineEvent.Decided.class::cast).toList();
            assertThat(decisions).extracting(EngineEvent.Decided::from, EngineEvent.Decided::to)
                    .containsSubsequence(org.assertj.core.groups.Tuple.tuple("ZERO", "WAKING"),
                            org.assertj.core.groups.Tuple.tuple("WAKING", "ACTIVE"));
            assertThat(decisions).allSatisfy(decided -> {
                assertThat(decided.target()).isEqualTo(engine.ref);
                assertThat(decided.leader()).isTrue();
            });
            assertThat(decisions.getLast().decision().replicas()).isEqualTo(1);

            List<EngineEvent.Journalled> journalled = plugin.events.stream()
                    .filter(EngineEvent.Journalled.class::isInstance).map(EngineEvent.Journalled.class::cast).toList();
            assertThat(journalled).extracting(EngineEvent.Journalled::message).as("every line of the journal, in order")
                    .isEqualTo(engine.journal().stream().map(JournalEntry::message).toList());
            assertThat(journalled).extracting(EngineEvent.Journalled::kind).contains("DECISION");

            engine.zeroscale.engine().setAutomationPaused("app", true, "ops");
            engine.advance(Duration.ZERO);
            assertThat(journalled.size()).isLessThan((int) plugin.events.stream().filter(EngineEvent.Journalled.class::isInstance).count());
            assertThat(plugin.events.getLast()).isInstanceOfSatisfying(EngineEvent.Journalled.class, entry -> {
                assertThat(entry.kind()).isEqualTo("OPERATOR");
                assertThat(entry.message()).isEqualTo("automation paused by ops");
                assertThat(entry.warning()).isFalse();
            });

            // Closing the subscription stops the calls.
            plugin.subscription.close();
            int seen = plugin.events.size();
            engine.zeroscale.engine().setAutomationPaused("app", false, "ops");
            engine.advance(Duration.ofMinutes(1));
            assertThat(plugin.events).hasSize(seen);
        }
    }
}
