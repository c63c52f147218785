package io.zeroscale.plugin.docker;

import static java.util.Objects.requireNonNull;

import io.zeroscale.spi.PluginContext;
import io.zeroscale.spi.StandardErrorCode;
import io.zeroscale.spi.Subscription;
import io.zeroscale.spi.TargetRef;
import io.zeroscale.spi.ZeroscaleException;
import io.zeroscale.spi.orchestrator.ConditionalWake;
import io.zeroscale.spi.orchestrator.Drainable;
import io.zeroscale.spi.orchestrator.Endpoint;
import io.zeroscale.spi.orchestrator.Endpoints;
import io.zeroscale.spi.orchestrator.ObservedState;
import io.zeroscale.spi.orchestrator.Orchestrator;
import io.zeroscale.spi.orchestrator.Pausable;
import io.zeroscale.spi.orchestrator.ResourceProfile;
import io.zeroscale.spi.orchestrator.Resizable;
import io.zeroscale.spi.orchestrator.Workload;
import io.zeroscale.spi.orchestrator.WorkloadEvent;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs each target as a container group on one or more Docker-API hosts: scales by creating and
 * removing containers, pauses and resumes them, updates their limits live, and pushes readiness
 * from the hosts' event streams (with a periodic full re-read as the fallback).
 *
 * <p>Containers it creates carry the label {@code io.zeroscale.group=<target>}; after a restart the
 * same label finds them again, so nothing is created twice. Closing it leaves every container as
 * it is.
 */
public final class DockerOrchestrator implements Orchestrator, Endpoints, Pausable, Resizable, Drainable, ConditionalWake {
    private static final Logger log = LoggerFactory.getLogger(DockerOrchestrator.class);
    private static final Duration DISCONNECTED_POLL = Duration.ofSeconds(2);

    private final String name;
    private final DockerConfig config;
    private final List<DockerEngine> engines;
    private final Probe probe;
    private final PluginContext context;
    private final Map<TargetRef, ContainerGroup> groups = new ConcurrentHashMap<>();
    private final List<HostWatch> watches = new ArrayList<>();
    private final List<Subscription> timers = new ArrayList<>();
    private volatile boolean closed;

    DockerOrchestrator(String name, DockerConfig config, List<DockerEngine> engines, Probe probe,
            PluginContext context) {
        this.name = requireNonNull(name, "name is null");
        this.config = requireNonNull(config, "config is null");
        this.engines = List.copyOf(engines);
        this.probe = requireNonNull(probe, "probe is null");
        this.context = requireNonNull(context, "context is null");
        for (DockerEngine engine : this.engines) {
            HostWatch watch = new HostWatch(engine, context.scheduler(), this::onEvent, this::reconnected);
            watches.add(watch);
            watch.start();
        }
        timers.add(context.scheduler().scheduleAtFixedRate(config.pollInterval(), this::refreshWatched));
        // While a host's event stream is down, its changes are found by polling instead, sooner.
        timers.add(context.scheduler().scheduleAtFixedRate(DISCONNECTED_POLL, () -> {
            if (watches.stream().anyMatch(w -> !w.connected())) {
                refreshWatched();
            }
        }));
    }

    /** The orchestrator's name under {@code orchestrators:}. */
    public String name() {
        return name;
    }

    /** The hosts this orchestrator spreads containers over, as configured. */
    public List<String> hosts() {
        return config.hosts();
    }

    @Override
    public void attach(Workload workload) {
        TargetRef target = workload.target();
        if (!DockerConfig.KIND.equals(target.kind())) {
            throw workload.settings().invalid("kind", "the docker orchestrator runs kind '" + DockerConfig.KIND
                    + "', not '" + target.kind() + "'");
        }
        GroupSpec spec = DockerConfig.parseWorkload(workload.settings());
        ContainerGroup existing = groups.get(target);
        if (existing != null) {
            existing.respecify(spec);
            return;
        }
        ContainerGroup group = new ContainerGroup(target, spec, engines, probe, context.scheduler(),
                context.blockingExecutor(), this::eventsFlowing);
        groups.put(target, group);
        try {
            group.adopt();
        } catch (ZeroscaleException e) {
            // The engine may come up after us; its containers are adopted on the first successful read.
            log.warn("{}: could not read the existing containers yet", target, e);
        }
    }

    /**
     * Stops watching the workload's containers and forgets them; the containers keep running (or
     * paused, or stopped) as they are, and attaching the workload again adopts them by their labels.
     */
    @Override
    public void detach(Workload workload) {
        ContainerGroup group = groups.remove(workload.target());
        if (group != null) {
            group.close();
            log.info("{}: detached; its containers are left as they are", workload.target());
        }
    }

    @Override
    public ObservedState observe(TargetRef target) {
        return group(target).observe();
    }

    @Override
    public void scale(TargetRef target, int replicas) {
        group(target).scale(replicas);
    }

    @Override
    public Subscription watch(TargetRef target, Consumer<WorkloadEvent> listener) {
        return group(target).watch(listener);
    }

    @Override
    public void pause(TargetRef target) {
        group(target).pause();
    }

    @Override
    public void resume(TargetRef target) {
        group(target).resume();
    }

    @Override
    public void resize(TargetRef target, ResourceProfile profile) {
        Long memory = profile.memoryBytes();
        if (memory != null && memory < DockerConfig.MIN_MEMORY_BYTES) {
            // Refused before any container changes, as attach refuses the same limit.
            throw new ZeroscaleException(StandardErrorCode.CONFIG_INVALID, "resource profile '" + profile.name() + "' for "
                    + target + ": memory of " + memory + " bytes is below the engines' minimum of 6m; write e.g. 64m");
        }
        group(target).resize(profile);
    }

    /**
     * Starts one container if the group has none, as one step the host decides (see the README's
     * conditional wake): of several daemons racing over one host, exactly one gets true.
     */
    @Override
    public boolean wakeIfZero(TargetRef target) {
        return group(target).wakeIfZero();
    }

    /** Waits up to {@code max} for the stops of {@code target}'s containers under way; true if none is left. */
    boolean awaitStops(TargetRef target, Duration max) {
        return group(target).awaitStops(max);
    }

    @Override
    public void remove(TargetRef target, List<Endpoint> drained) {
        group(target).remove(drained);
    }

    private ContainerGroup group(TargetRef target) {
        requireNonNull(target, "target is null");
        if (closed) {
            throw new IllegalStateException("orchestrator " + name + " is closed");
        }
        ContainerGroup group = groups.get(target);
        if (group == null) {
            throw new ZeroscaleException(DockerErrorCode.UNKNOWN_TARGET, "orchestrator " + name
                    + " does not know target " + target + "; declare it with attach() (a target in config) first");
        }
        return group;
    }

    private void onEvent(DockerEngine.EngineEvent event) {
        for (ContainerGroup group : groups.values()) {
            group.onEvent(event);
        }
    }

    /** Every host's event stream is connected, so a change there reaches the groups as an event. */
    private boolean eventsFlowing() {
        return watches.stream().allMatch(HostWatch::connected);
    }

    /** A host's event stream (re)connected: events sent while it was down are lost, so every group reads again. */
    private void reconnected() {
        groups.values().forEach(ContainerGroup::invalidate);
        refreshWatched();
    }

    private void refreshWatched() {
        for (ContainerGroup group : groups.values()) {
            if (group.watched()) {
                group.requestRefresh();
            }
        }
    }

    /** Stops watching and releases connections. Containers keep running, paused or stopped as they are. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        timers.forEach(Subscription::close);
        watches.forEach(HostWatch::close);
        // A scale-down returns before its containers are stopped; let those stops finish.
        for (ContainerGroup group : groups.values()) {
            if (!group.awaitStops(group.stopGrace().plus(config.timeout()))) {
                log.warn("{}: containers were still stopping when the orchestrator closed", group.target());
            }
        }
        groups.values().forEach(ContainerGroup::close);
        engines.forEach(DockerEngine::close);
        if (probe instanceof AutoCloseable closeable) {
            try {
                closeable.close();
            } catch (Exception e) {
                log.debug("closing the probe failed", e);
            }
        }
    }
}
