package io.zeroscale.daemon;

import static io.zeroscale.spi.StandardErrorCode.CONFIG_INVALID;
import static java.util.Objects.requireNonNull;

import io.zeroscale.daemon.config.ConfigLoader;
import io.zeroscale.daemon.config.DaemonConfig;
import io.zeroscale.spi.Config;
import io.zeroscale.spi.ConfigProblems;
import io.zeroscale.spi.Subscription;
import io.zeroscale.spi.ZeroscaleException;
import io.zeroscale.spi.targets.TargetChange;
import io.zeroscale.spi.targets.TargetDefinition;
import io.zeroscale.spi.targets.TargetListener;
import io.zeroscale.spi.targets.TargetSource;
import java.io.IOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.FileSystems;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchEvent;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The daemon's config file as a {@link TargetSource}: reloaded when the file changes (a watch on
 * its directory, debounced so an editor's several writes make one reload) and when asked ({@code
 * POST /config/reload}). A reload reads the file as startup does ({@code --set} overrides and
 * {@code ${ENV}} included), refuses changes outside {@code targets:} (they need a restart), and
 * hands the targets that were added, changed or removed to the listener, which applies them all
 * or nothing. A refused reload leaves the running targets, and this source's view, as they were.
 */
final class ConfigFileTargets implements TargetSource {
    private static final Logger log = LoggerFactory.getLogger(ConfigFileTargets.class);
    /** How long the file must stay quiet after a change before it is read. */
    static final Duration DEBOUNCE = Duration.ofMillis(500);

    private final Path file;
    private final Map<String, String> overrides;
    private final ConfigLoader loader;
    private DaemonConfig current;
    private @Nullable TargetListener listener;
    private @Nullable WatchService watcher;
    private @Nullable ScheduledExecutorService timer;
    private @Nullable ScheduledFuture<?> pending;
    private volatile boolean closed;

    ConfigFileTargets(Path file, Map<String, String> overrides, ConfigLoader loader, DaemonConfig running) {
        this.file = file.toAbsolutePath().normalize();
        this.overrides = Map.copyOf(overrides);
        this.loader = requireNonNull(loader, "loader is null");
        this.current = requireNonNull(running, "running is null");
    }

    /** Delivers nothing at first: the file's targets at startup were built with the engine. */
    @Override
    public synchronized Subscription subscribe(TargetListener value) {
        listener = requireNonNull(value, "listener is null");
        startWatching();
        return this::close;
    }

    private void startWatching() {
        Path directory = file.getParent();
        if (directory == null) {
            return;
        }
        try {
            WatchService service = FileSystems.getDefault().newWatchService();
            directory.register(service, StandardWatchEventKinds.ENTRY_CREATE, StandardWatchEventKinds.ENTRY_MODIFY,
                    StandardWatchEventKinds.ENTRY_DELETE);
            watcher = service;
        } catch (IOException e) {
            log.warn("cannot watch {} for changes ({}); reload it with POST /config/reload", file, e.toString());
            return;
        }
        ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform()
                .name("zeroscale-config-reload").daemon().factory());
        timer = scheduler;
        Thread.ofPlatform().name("zeroscale-config-watch").daemon().start(this::watch);
        log.info("watching {} for changes: targets are reloaded when it changes", file);
    }

    private void watch() {
        WatchService service = watcher;
        if (service == null) {
            return;
        }
        Path name = file.getFileName();
        while (!closed) {
            WatchKey key;
            try {
                key = service.take();
            } catch (InterruptedException | ClosedWatchServiceException e) {
                return;
            }
            boolean ours = false;
            for (WatchEvent<?> event : key.pollEvents()) {
                // An overflow may hide our file's event: read it again to be sure.
                ours |= event.kind() == StandardWatchEventKinds.OVERFLOW || name.equals(event.context());
            }
            key.reset();
            if (ours) {
                scheduleReload();
            }
        }
    }

    /** Debounce: each change restarts the wait, so a burst of writes makes one reload. */
    private synchronized void scheduleReload() {
        ScheduledExecutorService scheduler = timer;
        if (closed || scheduler == null) {
            return;
        }
        ScheduledFuture<?> previous = pending;
        if (previous != null) {
            previous.cancel(false);
        }
        pending = scheduler.schedule(() -> {
            try {
                reload("config file changed");
            } catch (ZeroscaleException e) {
                // Already logged by reload(); the running targets stay as they were.
            } catch (RuntimeException e) {
                log.error("reloading {} failed; the running targets stay as they were", file, e);
            }
        }, DEBOUNCE.toMillis(), TimeUnit.MILLISECONDS);
    }

    /**
     * Reads the file again and applies what changed under {@code targets:}.
     *
     * @param origin why, for the journal and the log ("config file changed", "POST /config/reload by ...")
     * @return what was applied (empty lists when nothing changed)
     * @throws ZeroscaleException {@code CONFIG_INVALID} naming every problem; nothing changed then
     */
    synchronized TargetChange reload(String origin) {
        TargetListener target = listener;
        if (target == null || closed) {
            throw new IllegalStateException("the config file source is not running");
        }
        String why = "config reload: " + origin;
        try {
            ConfigProblems problems = new ConfigProblems();
            DaemonConfig next = loader.load(file, overrides, problems);
            restartNeeded(current, next, problems);
            TargetChange change = diff(current, next, why);
            if (!problems.isEmpty()) {
                target.check(change, problems);
                problems.throwIfAny();
            }
            if (!change.isEmpty()) {
                target.onChange(change);
            }
            current = next;
            log.atInfo().addKeyValue("origin", origin).log("config reloaded ({}): added {}, updated {}, removed {}", origin,
                    change.added().stream().map(TargetDefinition::name).toList(),
                    change.updated().stream().map(TargetDefinition::name).toList(), change.removed());
            return change;
        } catch (ZeroscaleException e) {
            log.warn("config reload refused ({}); the running targets stay as they were: {}", origin, e.getMessage());
            throw e;
        }
    }

    /** The targets added, changed and removed between two reads of the file. */
    private static TargetChange diff(DaemonConfig before, DaemonConfig after, String origin) {
        List<TargetDefinition> added = new ArrayList<>();
        List<TargetDefinition> updated = new ArrayList<>();
        List<String> removed = new ArrayList<>();
        after.targetNodes().forEach((name, node) -> {
            Config old = before.targetNodes().get(name);
            if (old == null) {
                added.add(new TargetDefinition(name, node));
            } else if (!old.equals(node)) {
                updated.add(new TargetDefinition(name, node));
            }
        });
        before.targetNodes().keySet().stream().filter(name -> !after.targetNodes().containsKey(name)).forEach(removed::add);
        return new TargetChange(added, updated, removed, origin);
    }

    /** Everything but {@code targets:} is built once at startup: a change to it needs a restart. */
    private static void restartNeeded(DaemonConfig running, DaemonConfig next, ConfigProblems problems) {
        if (!running.gateway().listen().equals(next.gateway().listen())) {
            problems.add(restart("gateway.listen", "changed from " + address(running.gateway().listen()) + " to "
                    + address(next.gateway().listen())));
        } else if (!running.gateway().equals(next.gateway())) {
            problems.add(restart("gateway", "changed"));
        }
        if (running.api().port() != next.api().port() || !running.api().host().equals(next.api().host())) {
            problems.add(restart("api.listen", "changed from " + running.api().host() + ":" + running.api().port() + " to "
                    + next.api().host() + ":" + next.api().port()));
        } else if (!Objects.equals(running.api().token(), next.api().token())) {
            problems.add(restart("api.token", "changed"));
        }
        check(problems, "data-dir", running.dataDirectory(), next.dataDirectory());
        check(problems, "orchestrators", running.orchestrators(), next.orchestrators());
        check(problems, "metrics", running.metrics(), next.metrics());
        check(problems, "leadership", running.leadership(), next.leadership());
        check(problems, "state-store", running.stateStore(), next.stateStore());
        check(problems, "target-sources", running.targetSources(), next.targetSources());
        check(problems, "telemetry", running.telemetry(), next.telemetry());
        check(problems, "alerts", running.alerts(), next.alerts());
        check(problems, "alerts.sinks", running.alertSinks(), next.alertSinks());
    }

    private static void check(ConfigProblems problems, String section, @Nullable Object running, @Nullable Object next) {
        if (!Objects.equals(running, next)) {
            problems.add(restart(section, "changed"));
        }
    }

    private static ZeroscaleException restart(String path, String what) {
        return new ZeroscaleException(CONFIG_INVALID, path + ": " + what + ", which a reload cannot apply (restart needed);"
                + " a reload applies changes under targets: only, so restart the daemon for this one or undo it");
    }

    private static String address(java.net.InetSocketAddress address) {
        return address.getHostString() + ":" + address.getPort();
    }

    @Override
    public void close() {
        closed = true;
        WatchService service;
        ScheduledExecutorService scheduler;
        synchronized (this) {
            service = watcher;
            scheduler = timer;
            watcher = null;
            timer = null;
        }
        if (service != null) {
            try {
                service.close();
            } catch (IOException e) {
                log.debug("closing the watch of {} failed", file, e);
            }
        }
        if (scheduler != null) {
            scheduler.shutdownNow();
        }
    }
}
