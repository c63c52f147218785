package io.zeroscale.engine.process;

import static java.util.Objects.requireNonNull;

import io.zeroscale.spi.Config;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * The {@code workload:} settings of one process target, validated.
 *
 * @param path where the settings sit in config, for error messages
 * @param command the command line; {@code {port}} in any argument is replaced by the replica's port
 * @param env extra environment variables ({@code {port}} replaced too); {@code PORT} is always set
 * @param workdir the working directory, or null for the daemon's
 * @param ports the ports replicas may use, or null to let the operating system pick free ones
 * @param readiness how readiness is probed
 * @param stopGrace how long a replica may take to exit after SIGTERM before it is killed
 */
record ProcessWorkloadSpec(
        String path,
        List<String> command,
        Map<String, String> env,
        @Nullable Path workdir,
        @Nullable PortRange ports,
        Readiness readiness,
        Duration stopGrace) {
    static final String PORT_PLACEHOLDER = "{port}";

    /*
     * kind, namespace and name name the TargetRef; the engine reads them from the same node, so
     * they are allowed here but not used.
     */
    private static final Set<String> KEYS = Set.of(
            "command", "env", "workdir", "ports", "readiness", "stop-grace", "kind", "namespace", "name");
    private static final Duration DEFAULT_STOP_GRACE = Duration.ofSeconds(10);

    ProcessWorkloadSpec {
        requireNonNull(path, "path is null");
        command = List.copyOf(requireNonNull(command, "command is null"));
        if (command.isEmpty()) {
            throw new IllegalArgumentException("command is empty");
        }
        env = Map.copyOf(requireNonNull(env, "env is null"));
        requireNonNull(readiness, "readiness is null");
        requireNonNull(stopGrace, "stopGrace is null");
    }

    /**
     * Reads and validates {@code settings}.
     *
     * @throws io.zeroscale.spi.ZeroscaleException {@code CONFIG_INVALID} naming the bad key
     */
    static ProcessWorkloadSpec parse(Config settings) {
        settings.requireOnlyKeys(KEYS);
        List<String> command = settings.stringList("command");
        if (command.isEmpty()) {
            throw settings.invalid(
                    "command",
                    settings.has("command")
                            ? "must not be empty; give the program and its arguments, e.g. [./serve, --port, '{port}']"
                            : "required key is missing; add the command line as a list, e.g. [./serve, --port, '{port}']");
        }
        Map<String, String> env = settings.stringMap("env");
        Path workdir = settings.string("workdir").map(text -> workdir(settings, text)).orElse(null);
        PortRange ports = settings.optionalChild("ports").map(PortRange::parse).orElse(null);
        Readiness readiness = Readiness.parse(settings.child("readiness"));
        Duration stopGrace = settings.duration("stop-grace", DEFAULT_STOP_GRACE);
        return new ProcessWorkloadSpec(settings.path(), command, env, workdir, ports, readiness, stopGrace);
    }

    /** The command line of the replica serving on {@code port}. */
    List<String> commandFor(int port) {
        return command.stream().map(arg -> substitute(arg, port)).toList();
    }

    /** The environment the replica serving on {@code port} gets on top of the daemon's. */
    Map<String, String> envFor(int port) {
        Map<String, String> out = new LinkedHashMap<>();
        env.forEach((name, value) -> out.put(name, substitute(value, port)));
        out.put("PORT", Integer.toString(port));
        return out;
    }

    /** The full path of {@code key} in these settings, for messages. */
    String pathOf(String key) {
        return path.isEmpty() ? key : path + "." + key;
    }

    private static String substitute(String text, int port) {
        return text.replace(PORT_PLACEHOLDER, Integer.toString(port));
    }

    private static Path workdir(Config settings, String text) {
        Path dir;
        try {
            dir = Path.of(text);
        } catch (InvalidPathException e) {
            throw settings.invalid("workdir", "'" + text + "' is not a valid path: " + e.getReason());
        }
        if (!Files.isDirectory(dir)) {
            throw settings.invalid("workdir", "'" + text + "' is not a directory; create it or fix the path");
        }
        return dir;
    }

    /** The inclusive range of ports replicas may listen on. */
    record PortRange(int from, int to) {
        PortRange {
            if (from < 1 || to > 65535 || from > to) {
                throw new IllegalArgumentException("bad port range " + from + ".." + to);
            }
        }

        static PortRange parse(Config ports) {
            ports.requireOnlyKeys(Set.of("from", "to"));
            int from = port(ports, "from");
            int to = port(ports, "to");
            if (to < from) {
                throw ports.invalid("to", "must not be below from (" + from + "), got " + to);
            }
            return new PortRange(from, to);
        }

        private static int port(Config ports, String key) {
            int port = ports.requireInteger(key);
            if (port < 1 || port > 65535) {
                throw ports.invalid(key, "must be a port from 1 to 65535, got " + port);
            }
            return port;
        }

        @Override
        public String toString() {
            return from + ".." + to;
        }
    }

    /**
     * How a replica is found ready: which probe, how often while it starts (a wake waits on this,
     * so it is short), how often once it is ready (to notice it failing), how long one probe
     * may take, and how long a replica may take to become ready before it counts as failed (null:
     * as long as it takes; the engine's wake timeout still applies).
     */
    record Readiness(Probe probe, Duration interval, Duration startupInterval, Duration timeout, @Nullable Duration startTimeout) {
        private static final Duration DEFAULT_INTERVAL = Duration.ofMillis(100);
        /**
         * A wake from zero waits for the probe after the replica listens: on average half of this
         * (issue 19's budget for the whole wake overhead is 10 ms at p50). A probe of a local port
         * that refuses is a few tens of microseconds, so 200 a second while a replica starts are cheap.
         */
        private static final Duration DEFAULT_STARTUP_INTERVAL = Duration.ofMillis(5);
        private static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(1);

        Readiness {
            requireNonNull(probe, "probe is null");
            requireNonNull(interval, "interval is null");
            requireNonNull(startupInterval, "startupInterval is null");
            requireNonNull(timeout, "timeout is null");
        }

        static Readiness parse(Config readiness) {
            readiness.requireOnlyKeys(Set.of("http", "tcp", "interval", "startup-interval", "timeout", "start-timeout"));
            Optional<String> http = readiness.string("http");
            boolean tcp = readiness.bool("tcp", false);
            Probe probe;
            if (http.isPresent() && tcp) {
                throw readiness.invalid("set either http or tcp, not both");
            } else if (http.isPresent()) {
                if (!http.get().startsWith("/")) {
                    throw readiness.invalid(
                            "http", "must be a path starting with '/', e.g. /health, got '" + http.get() + "'");
                }
                probe = new Probe.Http(http.get());
            } else if (readiness.has("tcp") && !tcp) {
                throw readiness.invalid("tcp", "is false but no http path is set; set http: /health or tcp: true");
            } else {
                // Without a readiness block a replica is ready once it accepts connections.
                probe = new Probe.Tcp();
            }
            Duration interval = positive(readiness, "interval", DEFAULT_INTERVAL);
            // Never probe a starting replica less often than a ready one.
            Duration startupInterval = positive(readiness, "startup-interval",
                    interval.compareTo(DEFAULT_STARTUP_INTERVAL) < 0 ? interval : DEFAULT_STARTUP_INTERVAL);
            Duration startTimeout = readiness.has("start-timeout") ? positive(readiness, "start-timeout", Duration.ZERO) : null;
            return new Readiness(probe, interval, startupInterval, positive(readiness, "timeout", DEFAULT_TIMEOUT), startTimeout);
        }

        private static Duration positive(Config readiness, String key, Duration defaultValue) {
            Duration value = readiness.duration(key, defaultValue);
            if (value.isZero()) {
                throw readiness.invalid(key, "must be longer than 0, e.g. " + (key.endsWith("interval") ? "100ms" : "1s"));
            }
            return value;
        }
    }

    /** What a readiness probe checks. */
    sealed interface Probe {
        /** An HTTP GET of {@code path} answers 200 to 399. */
        record Http(String path) implements Probe {
            public Http {
                requireNonNull(path, "path is null");
            }
        }

        /** A TCP connection to the replica's port is accepted. */
        record Tcp() implements Probe {}
    }
}
