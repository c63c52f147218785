package io.zeroscale.engine.automaton;

import static java.util.Objects.requireNonNull;

import com.cronutils.model.Cron;
import com.cronutils.model.CronType;
import com.cronutils.model.definition.CronDefinitionBuilder;
import com.cronutils.model.time.ExecutionTime;
import com.cronutils.parser.CronParser;
import io.zeroscale.spi.Config;
import io.zeroscale.spi.ConfigProblems;
import io.zeroscale.spi.PluginContext;
import io.zeroscale.spi.automaton.Automaton;
import io.zeroscale.spi.automaton.AutomatonFactory;
import io.zeroscale.spi.automaton.AutomatonSpec;
import io.zeroscale.spi.automaton.ReplicaBounds;
import java.time.DateTimeException;
import java.time.Duration;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Builds {@code schedule} automata. Keys: {@code windows} (required list of {@code { cron, duration,
 * replicas }}), {@code default-replicas} ({@code replicas.min}), {@code timezone} (UTC). Cron
 * expressions use the UNIX definition of cron-utils: five fields, minute hour day-of-month month
 * day-of-week, e.g. {@code 0 8 * * MON-FRI}.
 */
public final class ScheduleAutomatonFactory implements AutomatonFactory {
    private static final Set<String> KEYS = Set.of("windows", "default-replicas", "timezone");
    private static final Set<String> WINDOW_KEYS = Set.of("cron", "duration", "replicas");
    // a cron that never fires after this (e.g. "0 0 30 2 *") is a mistake, not a schedule
    private static final ZonedDateTime NEVER_CHECK_FROM = ZonedDateTime.of(2000, 1, 1, 0, 0, 0, 0, ZoneOffset.UTC);

    @Override
    public String type() {
        return ScheduleAutomaton.TYPE;
    }

    @Override
    public Automaton create(AutomatonSpec spec, PluginContext context) {
        // Every setting is checked even after one fails, so a policy's mistakes are reported together.
        Config settings = spec.settings();
        ConfigProblems problems = new ConfigProblems();
        problems.attempt(() -> settings.requireOnlyKeys(KEYS));
        ZoneId zone = problems.attempt(() -> zone(settings)).orElse(null);
        List<ScheduleAutomaton.Window> windows =
                problems.attempt(() -> windows(settings, spec.bounds(), problems)).orElse(null);
        Integer defaultReplicas = problems.attempt(() -> settings.has("default-replicas")
                ? Policies.replicasWithin(settings, "default-replicas", spec.bounds())
                : spec.bounds().min()).orElse(null);
        problems.throwIfAny();
        return new ScheduleAutomaton(requireNonNull(windows), requireNonNull(defaultReplicas), requireNonNull(zone));
    }

    private static List<ScheduleAutomaton.Window> windows(Config settings, ReplicaBounds bounds, ConfigProblems problems) {
        if (!settings.has("windows")) {
            throw settings.invalid("windows", "required key is missing; add a list such as"
                    + " [ { cron: \"0 8 * * MON-FRI\", duration: 10h, replicas: 3 } ]");
        }
        List<Config> items = Policies.mapList(settings, "windows");
        if (items.isEmpty()) {
            throw Policies.invalid(settings, "windows", "needs at least one window such as"
                    + " { cron: \"0 8 * * MON-FRI\", duration: 10h, replicas: 3 }");
        }
        CronParser parser = new CronParser(CronDefinitionBuilder.instanceDefinitionFor(CronType.UNIX));
        List<ScheduleAutomaton.Window> windows = new ArrayList<>();
        for (Config item : items) {
            problems.attempt(() -> item.requireOnlyKeys(WINDOW_KEYS));
            String cron = problems.attempt(() -> item.requireString("cron")).orElse(null);
            ExecutionTime execution = cron == null ? null
                    : problems.attempt(() -> execution(parser, item, cron)).orElse(null);
            Duration duration = problems.attempt(() -> Policies.positiveDuration(item, "duration")).orElse(null);
            Integer replicas = problems.attempt(() -> Policies.replicasWithin(item, "replicas", bounds)).orElse(null);
            if (cron != null && execution != null && duration != null && replicas != null) {
                windows.add(new ScheduleAutomaton.Window(cron, execution, duration, replicas));
            }
        }
        return windows;
    }

    private static ExecutionTime execution(CronParser parser, Config item, String cron) {
        Cron parsed;
        try {
            parsed = parser.parse(cron).validate();
        } catch (IllegalArgumentException e) {
            throw Policies.invalid(item, "cron", "'" + cron + "' is not a UNIX cron expression: " + e.getMessage()
                    + "; write five fields: minute hour day-of-month month day-of-week, e.g. \"0 8 * * MON-FRI\"");
        }
        ExecutionTime execution = ExecutionTime.forCron(parsed);
        if (execution.nextExecution(NEVER_CHECK_FROM).isEmpty()) {
            throw Policies.invalid(item, "cron", "'" + cron + "' never fires; check the day-of-month and month fields");
        }
        return execution;
    }

    private static ZoneId zone(Config settings) {
        String name = settings.string("timezone", "UTC");
        try {
            return ZoneId.of(name);
        } catch (DateTimeException e) {
            throw settings.invalid("timezone", "'" + name + "' is not a time zone: " + e.getMessage()
                    + "; use a region id such as Europe/Paris or UTC");
        }
    }
}
