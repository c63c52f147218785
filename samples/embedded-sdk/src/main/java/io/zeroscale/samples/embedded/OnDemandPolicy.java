package io.zeroscale.samples.embedded;

import io.zeroscale.spi.Config;
import io.zeroscale.spi.Plugin;
import io.zeroscale.spi.PluginContext;
import io.zeroscale.spi.StandardErrorCode;
import io.zeroscale.spi.ZeroscaleException;
import io.zeroscale.spi.automaton.Automaton;
import io.zeroscale.spi.automaton.AutomatonFactory;
import io.zeroscale.spi.automaton.AutomatonSpec;
import java.time.Duration;
import java.util.List;
import java.util.Set;

/**
 * Makes {@link OnDemandAutomaton} available as {@code automaton: on-demand}. It is a {@link Plugin}
 * listed in {@code META-INF/services/io.zeroscale.spi.Plugin}, so the service finds it with {@code
 * Zeroscale.builder().pluginsFrom(classLoader)} exactly as it would find a plugin jar on its class
 * path; {@code builder().plugin(new OnDemandPolicy())} works as well.
 *
 * <p>Policy keys: {@code idle} (default 30s) and {@code wake-timeout} (default 1m).
 */
public final class OnDemandPolicy implements Plugin, AutomatonFactory {
    /** The value of a policy's {@code automaton:} key that selects this policy. */
    public static final String TYPE = "on-demand";

    @Override
    public List<AutomatonFactory> automatonFactories() {
        return List.of(this);
    }

    @Override
    public String type() {
        return TYPE;
    }

    @Override
    public Automaton create(AutomatonSpec spec, PluginContext context) {
        Config settings = spec.settings().requireOnlyKeys(Set.of("idle", "wake-timeout"));
        Duration idle = positive(settings, "idle", Duration.ofSeconds(30));
        Duration wakeTimeout = positive(settings, "wake-timeout", Duration.ofMinutes(1));
        if (spec.bounds().max() < 1) {
            throw new ZeroscaleException(StandardErrorCode.POLICY_INVALID,
                    "replicas.max: on-demand runs one replica while in use; set max to 1 or more");
        }
        return new OnDemandAutomaton(idle, wakeTimeout);
    }

    private static Duration positive(Config settings, String key, Duration defaultValue) {
        Duration value = settings.duration(key, defaultValue);
        if (value.isZero() || value.isNegative()) {
            throw settings.invalid(key, "must be longer than 0, e.g. 30s");
        }
        return value;
    }
}
