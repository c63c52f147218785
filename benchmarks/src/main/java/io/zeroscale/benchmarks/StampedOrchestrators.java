package io.zeroscale.benchmarks;

import static java.util.Objects.requireNonNull;

import io.zeroscale.spi.Config;
import io.zeroscale.spi.Plugin;
import io.zeroscale.spi.PluginContext;
import io.zeroscale.spi.TargetRef;
import io.zeroscale.spi.orchestrator.Orchestrator;
import io.zeroscale.spi.orchestrator.OrchestratorFactory;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * A benchmark's plugin that stamps the orchestrator calls a wake waits on, without changing the
 * orchestrator: type {@code stamped-<type>} is the {@code <type>} orchestrator of {@code factory}
 * behind a proxy with every interface it has (so the engine sees the same capabilities), which
 * tells {@link WakeStamps} when a {@code scale}, {@code resume} or {@code wakeIfZero} of an armed
 * target began and returned.
 */
final class StampedOrchestrators implements Plugin {
    private static final Set<String> STAMPED = Set.of("scale", "resume", "wakeIfZero");

    private final OrchestratorFactory factory;
    private final WakeStamps.Calls calls;

    StampedOrchestrators(OrchestratorFactory factory, WakeStamps.Calls calls) {
        this.factory = requireNonNull(factory, "factory is null");
        this.calls = requireNonNull(calls, "calls is null");
    }

    @Override
    public List<OrchestratorFactory> orchestratorFactories() {
        return List.of(new OrchestratorFactory() {
            @Override
            public String type() {
                return "stamped-" + factory.type();
            }

            @Override
            public Orchestrator create(String name, Config config, PluginContext context) {
                return stamped(factory.create(name, config, context));
            }
        });
    }

    private Orchestrator stamped(Orchestrator inner) {
        Set<Class<?>> interfaces = new LinkedHashSet<>();
        for (Class<?> c = inner.getClass(); c != null; c = c.getSuperclass()) {
            interfaces.addAll(List.of(c.getInterfaces()));
        }
        return (Orchestrator) Proxy.newProxyInstance(StampedOrchestrators.class.getClassLoader(),
                interfaces.toArray(Class<?>[]::new), (proxy, method, args) -> {
                    TargetRef target = STAMPED.contains(method.getName()) && args != null && args.length > 0
                            && args[0] instanceof TargetRef ref ? ref : null;
                    if (target != null) {
                        calls.began(target, method.getName());
                    }
                    try {
                        return method.invoke(inner, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    } finally {
                        if (target != null) {
                            calls.returned(target);
                        }
                    }
                });
    }
}
