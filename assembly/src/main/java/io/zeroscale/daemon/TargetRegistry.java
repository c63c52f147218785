package io.zeroscale.daemon;

import static io.zeroscale.spi.StandardErrorCode.CONFIG_INVALID;
import static java.util.Objects.requireNonNull;

import io.zeroscale.daemon.config.ConfigLoader;
import io.zeroscale.daemon.config.DaemonConfig;
import io.zeroscale.engine.Engine;
import io.zeroscale.engine.TargetSpec;
import io.zeroscale.gateway.Gateway;
import io.zeroscale.gateway.GatewayRoute;
import io.zeroscale.spi.ConfigProblems;
import io.zeroscale.spi.TargetRef;
import io.zeroscale.spi.ZeroscaleException;
import io.zeroscale.spi.targets.TargetChange;
import io.zeroscale.spi.targets.TargetDefinition;
import io.zeroscale.spi.targets.TargetListener;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The daemon's side of every {@link io.zeroscale.spi.targets.TargetSource}: reads each definition
 * as a {@code targets.<name>} entry of the config file is read (spec and gateway route), checks
 * that no two targets share a route, has the engine apply the change all or nothing, and gives the
 * gateway the new or changed targets' routes in the same step, before the engine lists them (so
 * {@code GET /targets} never lists a target the gateway cannot route yet). A removed target's
 * routes leave the gateway through the engine ({@link io.zeroscale.spi.traffic.RouteListener#onRemoved})
 * before it leaves the list.
 *
 * <p>One change at a time (synchronized), on the source's thread.
 */
final class TargetRegistry implements TargetListener {
    private static final Logger log = LoggerFactory.getLogger(TargetRegistry.class);

    private final Engine engine;
    private final DaemonConfig config;
    private final Gateway gateway;
    /** Each running target's gateway route (null: none). */
    private final Map<String, @Nullable GatewayRoute> routes = new LinkedHashMap<>();

    TargetRegistry(Engine engine, DaemonConfig config, Gateway gateway) {
        this.engine = requireNonNull(engine, "engine is null");
        this.config = requireNonNull(config, "config is null");
        this.gateway = requireNonNull(gateway, "gateway is null");
        // One pass over the routes, not one per target: with 1,000 targets the nested search was a
        // million comparisons on the way to ready.
        Map<TargetRef, GatewayRoute> byTarget = new HashMap<>();
        config.routes().forEach(route -> byTarget.putIfAbsent(route.target(), route));
        for (TargetSpec target : config.targets()) {
            routes.put(target.name(), byTarget.get(target.ref()));
        }
    }

    /** A change read into specs and routes, with whatever could not be read recorded as problems. */
    private record Parsed(List<TargetSpec> added, List<TargetSpec> updated, List<String> removed,
            Map<String, @Nullable GatewayRoute> routes) {}

    private Parsed parse(TargetChange change, ConfigProblems problems) {
        Map<String, @Nullable GatewayRoute> newRoutes = new LinkedHashMap<>();
        List<TargetSpec> added = read(change.added(), newRoutes, problems);
        List<TargetSpec> updated = read(change.updated(), newRoutes, problems);
        // The routes after the change: one host and path go to one target.
        Map<String, @Nullable GatewayRoute> after = new LinkedHashMap<>(routes);
        change.removed().forEach(after::remove);
        after.putAll(newRoutes);
        Map<String, String> owners = new HashMap<>();
        after.forEach((name, route) -> {
            if (route == null) {
                return;
            }
            String other = owners.putIfAbsent(route.host() + " " + route.pathPrefix(), name);
            if (other != null) {
                String changed = newRoutes.containsKey(name) ? name : other;
                String kept = changed.equals(name) ? other : name;
                problems.add(new ZeroscaleException(CONFIG_INVALID, "targets." + changed + ".route: the same host and path as targets."
                        + kept + ".route; give one of them another host or path"));
            }
        });
        return new Parsed(added, updated, change.removed(), newRoutes);
    }

    private static List<TargetSpec> read(List<TargetDefinition> definitions, Map<String, @Nullable GatewayRoute> routes,
            ConfigProblems problems) {
        List<TargetSpec> out = new ArrayList<>();
        for (TargetDefinition definition : definitions) {
            Optional<TargetSpec> spec = TargetSpec.fromConfig(definition.name(), definition.settings(), problems);
            if (spec.isEmpty()) {
                continue;
            }
            problems.attempt(() -> Optional.ofNullable(ConfigLoader.route(definition.settings(), spec.get())))
                    .ifPresent(route -> {
                        out.add(spec.get());
                        routes.put(definition.name(), route.orElse(null));
                    });
        }
        return out;
    }

    @Override
    public synchronized void check(TargetChange change, ConfigProblems problems) {
        Parsed parsed = parse(change, problems);
        engine.check(parsed.added(), parsed.updated(), parsed.removed(), problems);
    }

    @Override
    public synchronized void onChange(TargetChange change) {
        ConfigProblems problems = new ConfigProblems();
        Parsed parsed = parse(change, problems);
        if (!problems.isEmpty()) {
            engine.check(parsed.added(), parsed.updated(), parsed.removed(), problems);
            problems.throwIfAny();
        }
        // The routes go in within the engine's change, before its readers see it: an added target
        // is routed by the time GET /targets lists it. A removed one left the gateway there too
        // (RouteListener.onRemoved), before it left the list.
        Engine.TargetChanges changes = engine.change(parsed.added(), parsed.updated(), parsed.removed(), change.origin(),
                applied -> {
                    change.removed().forEach(routes::remove);
                    for (TargetSpec spec : concat(parsed.added(), parsed.updated())) {
                        // Swapped in one step; a target whose workload changed lost its old routes with it.
                        GatewayRoute route = parsed.routes().get(spec.name());
                        gateway.routes(spec.ref(), route == null ? List.of() : List.of(route), config.targetGateway(spec));
                        routes.put(spec.name(), route);
                    }
                });
        log.atInfo().addKeyValue("origin", change.origin()).addKeyValue("added", changes.added())
                .addKeyValue("updated", concatNames(changes.updated(), routeOnly(parsed, changes))).addKeyValue("removed", changes.removed())
                .log("targets changed ({}): added {}, updated {}, removed {}", change.origin(), changes.added(),
                        concatNames(changes.updated(), routeOnly(parsed, changes)), changes.removed());
    }

    /**
     * This registry as one more source sees it: that source may update and remove only the targets
     * it added, so a custom resource cannot take over a target of the config file or of another
     * source (adding a name that exists is refused by the engine).
     *
     * @param source the source, for messages, e.g. "target source cluster"
     */
    TargetListener owner(String source) {
        java.util.Set<String> owned = java.util.concurrent.ConcurrentHashMap.newKeySet();
        return new TargetListener() {
            @Override
            public void check(TargetChange change, ConfigProblems problems) {
                owned(change, problems);
                TargetRegistry.this.check(change, problems);
            }

            @Override
            public void onChange(TargetChange change) {
                ConfigProblems problems = new ConfigProblems();
                owned(change, problems);
                if (!problems.isEmpty()) {
                    TargetRegistry.this.check(change, problems);
                    problems.throwIfAny();
                }
                TargetRegistry.this.onChange(change);
                change.added().forEach(definition -> owned.add(definition.name()));
                change.removed().forEach(owned::remove);
            }

            private void owned(TargetChange change, ConfigProblems problems) {
                java.util.stream.Stream.concat(change.updated().stream().map(TargetDefinition::name), change.removed().stream())
                        .filter(name -> !owned.contains(name))
                        .forEach(name -> problems.add(new ZeroscaleException(CONFIG_INVALID, "targets." + name + ": " + source
                                + " did not define this target, so it cannot change or remove it; give its target another name")));
            }
        };
    }

    /** Targets whose only change was their route (the engine saw nothing to change). */
    private static List<String> routeOnly(Parsed parsed, Engine.TargetChanges changes) {
        return parsed.updated().stream().map(TargetSpec::name).filter(name -> !changes.updated().contains(name)).toList();
    }

    private static List<String> concatNames(List<String> first, List<String> second) {
        List<String> out = new ArrayList<>(first);
        out.addAll(second);
        return out;
    }

    private static List<TargetSpec> concat(List<TargetSpec> first, List<TargetSpec> second) {
        List<TargetSpec> out = new ArrayList<>(first);
        out.addAll(second);
        return out;
    }
}
