package io.zeroscale.plugin.docker;

import static java.util.Objects.requireNonNull;

import io.zeroscale.spi.Config;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * Settings of one {@code docker} orchestrator instance (the keys under {@code orchestrators.NAME})
 * and the parser for its targets' {@code workload:} settings.
 *
 * @param hosts the Docker-API endpoints of the hosts a group's containers are spread over, as
 *     {@code unix:///path/to.sock} or {@code tcp://host:port}
 * @param timeout how long one API call may take before the host counts as unavailable
 * @param pollInterval how often every watched group is re-read in full, as a fallback for events
 *     the stream may have missed
 */
public record DockerConfig(List<String> hosts, Duration timeout, Duration pollInterval) {
    /** Where Podman serves the Docker API when started as in the README. */
    public static final String DEFAULT_HOST = "unix:///run/podman/podman.sock";

    static final Set<String> KEYS = Set.of("type", "host", "hosts", "timeout", "poll-interval");
    static final Set<String> WORKLOAD_KEYS = Set.of("kind", "name", "image", "command", "env", "port", "labels",
            "cpus", "memory", "gpus", "healthcheck", "readiness", "stop-grace", "adopt-label", "keep-stopped",
            "keep-stopped-for");
    static final String KIND = "ContainerGroup";

    /** A starting container's port is probed this often by default: a wake waits on it. */
    static final Duration DEFAULT_STARTUP_INTERVAL = Duration.ofMillis(10);

    private static final Pattern SIZE = Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*([kmgt]?)(i?b)?");

    public DockerConfig {
        hosts = List.copyOf(requireNonNull(hosts, "hosts is null"));
        if (hosts.isEmpty()) {
            throw new IllegalArgumentException("hosts is empty");
        }
        requireNonNull(timeout, "timeout is null");
        requireNonNull(pollInterval, "pollInterval is null");
    }

    /**
     * Reads an orchestrator's config strictly.
     *
     * @param dockerHostEnv the value of {@code DOCKER_HOST}, used when neither {@code host} nor
     *     {@code hosts} is set
     * @throws io.zeroscale.spi.ZeroscaleException {@code CONFIG_INVALID} naming the path and the fix
     */
    public static DockerConfig parse(Config config, @Nullable String dockerHostEnv) {
        config.requireOnlyKeys(KEYS);
        if (config.has("host") && config.has("hosts")) {
            throw config.invalid("hosts", "set either 'host' (one engine) or 'hosts' (several), not both");
        }
        List<String> hosts = new ArrayList<>();
        if (config.has("hosts")) {
            List<String> listed = config.stringList("hosts");
            if (listed.isEmpty()) {
                throw config.invalid("hosts", "the list is empty; name at least one engine, e.g. " + DEFAULT_HOST);
            }
            for (int i = 0; i < listed.size(); i++) {
                hosts.add(checkHost(config, "hosts[" + i + "]", listed.get(i)));
            }
            if (Set.copyOf(hosts).size() != hosts.size()) {
                throw config.invalid("hosts", "lists the same engine twice; name each host once");
            }
        } else if (config.has("host")) {
            hosts.add(checkHost(config, "host", config.requireString("host")));
        } else if (dockerHostEnv != null && !dockerHostEnv.isBlank()) {
            hosts.add(checkHost(config, "host", dockerHostEnv.trim()));
        } else {
            hosts.add(DEFAULT_HOST);
        }
        Duration timeout = config.duration("timeout", Duration.ofSeconds(30));
        if (timeout.isZero()) {
            throw config.invalid("timeout", "must be more than 0s, e.g. 30s");
        }
        Duration poll = config.duration("poll-interval", Duration.ofSeconds(30));
        if (poll.compareTo(Duration.ofMillis(100)) < 0) {
            throw config.invalid("poll-interval", "must be at least 100ms, e.g. 30s");
        }
        return new DockerConfig(hosts, timeout, poll);
    }

    private static String checkHost(Config config, String key, String host) {
        URI uri;
        try {
            uri = new URI(host);
        } catch (URISyntaxException e) {
            throw config.invalid(key, "'" + host + "' is not a URI; write unix:///run/podman/podman.sock"
                    + " or tcp://host:2375");
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme();
        switch (scheme) {
            case "unix" -> {
                if (uri.getPath() == null || uri.getPath().isEmpty()) {
                    throw config.invalid(key, "'" + host + "' has no socket path; write unix:///path/to/docker.sock");
                }
            }
            case "tcp" -> {
                if (uri.getHost() == null || uri.getPort() < 1) {
                    throw config.invalid(key, "'" + host + "' needs a host and a port, e.g. tcp://10.0.0.5:2375");
                }
            }
            default -> throw config.invalid(key, "'" + host + "' must start with unix:// or tcp://"
                    + " (TLS hosts are not supported yet), e.g. " + DEFAULT_HOST);
        }
        return host;
    }

    /**
     * Reads a target's {@code workload:} settings strictly.
     *
     * @throws io.zeroscale.spi.ZeroscaleException {@code CONFIG_INVALID} naming the path and the fix
     */
    static GroupSpec parseWorkload(Config w) {
        w.requireOnlyKeys(WORKLOAD_KEYS);
        w.string("kind").ifPresent(kind -> {
            if (!kind.equals(KIND)) {
                throw w.invalid("kind", "the docker orchestrator runs kind '" + KIND + "', not '" + kind
                        + "'; write kind: " + KIND + " or leave it out");
            }
        });
        String adoptLabel = w.string("adopt-label").map(String::trim).orElse(null);
        if (adoptLabel != null && (adoptLabel.isEmpty() || adoptLabel.startsWith("="))) {
            throw w.invalid("adopt-label", "write a label as key=value (e.g. com.docker.compose.service=web) or key");
        }
        String image = w.string("image").map(String::trim).orElse(null);
        if (image != null && image.isEmpty()) {
            throw w.invalid("image", "is empty; name an image present on every host, e.g. localhost/app:1.0");
        }
        if (image == null && adoptLabel == null) {
            throw w.invalid("image", "required key is missing; add the image to run (e.g. image: localhost/app:1.0),"
                    + " or adopt-label: to adopt existing containers");
        }
        List<String> command = command(w);
        Map<String, String> labels = w.stringMap("labels");
        for (String key : labels.keySet()) {
            if (key.startsWith(ContainerGroup.LABEL_PREFIX)) {
                throw w.child("labels").invalid(key, "labels starting with '" + ContainerGroup.LABEL_PREFIX
                        + "' are reserved for Zeroscale; pick another name");
            }
        }
        Integer port = null;
        if (w.has("port")) {
            int value = w.requireInteger("port");
            if (value < 1 || value > 65535) {
                throw w.invalid("port", "must be a TCP port 1..65535 inside the container, got " + value);
            }
            port = value;
        }
        Double cpus = w.doubleValue("cpus").orElse(null);
        if (cpus != null && !(cpus > 0)) {
            throw w.invalid("cpus", "must be more than 0, e.g. 0.5 or 2");
        }
        Long memory = w.has("memory") ? memoryBytes(w, "memory") : null;
        Integer gpus = gpus(w);
        GroupSpec.Healthcheck healthcheck = w.optionalChild("healthcheck").map(DockerConfig::healthcheck).orElse(null);
        GroupSpec.Readiness readiness = readiness(w, port);
        Duration stopGrace = w.duration("stop-grace", Duration.ofSeconds(10));
        return new GroupSpec(image, command, w.stringMap("env"), port, labels, cpus, memory, gpus, healthcheck,
                readiness, stopGrace, adoptLabel, stoppedTier(w, adoptLabel));
    }

    private static GroupSpec.StoppedTier stoppedTier(Config w, @Nullable String adoptLabel) {
        int keep = w.integer("keep-stopped", 0);
        if (keep < 0) {
            throw w.invalid("keep-stopped", "must be 0 (remove stopped containers) or more, e.g. 1");
        }
        if (keep > 0 && adoptLabel != null) {
            throw w.invalid("keep-stopped", "applies to containers this orchestrator creates; adopted containers"
                    + " (adopt-label) are always kept stopped, never removed: leave keep-stopped out");
        }
        Duration keepFor = w.duration("keep-stopped-for", GroupSpec.StoppedTier.NONE.keepFor());
        if (keepFor.isZero() || keepFor.isNegative()) {
            throw w.invalid("keep-stopped-for", "must be more than 0s, e.g. 1h");
        }
        return new GroupSpec.StoppedTier(keep, keepFor);
    }

    private static List<String> command(Config w) {
        if (!w.has("command")) {
            return List.of();
        }
        if (w.asMap().get("command") instanceof List) {
            List<String> command = w.stringList("command");
            if (command.isEmpty()) {
                throw w.invalid("command", "is an empty list; leave it out to run the image's own command");
            }
            return command;
        }
        String line = w.requireString("command");
        if (line.isBlank()) {
            throw w.invalid("command", "is empty; leave it out to run the image's own command");
        }
        // A single string is a shell line, as in a Dockerfile's shell form.
        return List.of("/bin/sh", "-c", line);
    }

    /** The smallest memory limit the engines accept (Docker's and Podman's minimum): 6 MiB. */
    static final long MIN_MEMORY_BYTES = 6L * 1024 * 1024;

    static long memoryBytes(Config w, String key) {
        Object raw = w.asMap().get(key);
        String text = String.valueOf(raw).trim().toLowerCase(Locale.ROOT);
        Matcher m = SIZE.matcher(text);
        if (!m.matches()) {
            throw w.invalid(key, "'" + raw + "' is not a size; write bytes or a number with k, m, g or t"
                    + " (powers of 1024), e.g. 512m or 2g");
        }
        int shift = switch (m.group(2)) {
            case "k" -> 10;
            case "m" -> 20;
            case "g" -> 30;
            case "t" -> 40;
            default -> 0;
        };
        double bytes = Double.parseDouble(m.group(1)) * (1L << shift);
        if (bytes < MIN_MEMORY_BYTES) {
            throw w.invalid(key, "'" + raw + "' is below the engines' minimum of 6m; write e.g. 64m");
        }
        return (long) bytes;
    }

    private static @Nullable Integer gpus(Config w) {
        if (!w.has("gpus")) {
            return null;
        }
        if ("all".equals(w.asMap().get("gpus"))) {
            return GroupSpec.ALL_GPUS;
        }
        int gpus = w.longValue("gpus").map(Math::toIntExact).orElseThrow();
        if (gpus < 0) {
            throw w.invalid("gpus", "must be a count of 0 or more, or 'all'");
        }
        return gpus == 0 ? null : gpus;
    }

    private static GroupSpec.Healthcheck healthcheck(Config h) {
        h.requireOnlyKeys(Set.of("command", "interval", "timeout", "retries", "start-period"));
        List<String> test;
        if (h.asMap().get("command") instanceof List) {
            List<String> exec = h.stringList("command");
            if (exec.isEmpty()) {
                throw h.invalid("command", "is an empty list; give the check to run, e.g. wget -q -O- http://127.0.0.1/");
            }
            test = new ArrayList<>();
            test.add("CMD");
            test.addAll(exec);
        } else {
            test = List.of("CMD-SHELL", h.requireString("command"));
        }
        int retries = h.integer("retries", 3);
        if (retries < 1) {
            throw h.invalid("retries", "must be 1 or more");
        }
        Duration interval = h.duration("interval", Duration.ofSeconds(2));
        Duration timeout = h.duration("timeout", Duration.ofSeconds(2));
        if (interval.compareTo(Duration.ofMillis(1)) < 0 || timeout.compareTo(Duration.ofMillis(1)) < 0) {
            throw h.invalid("interval and timeout must be more than 0s, e.g. 2s");
        }
        return new GroupSpec.Healthcheck(test, interval, timeout, retries, h.duration("start-period", Duration.ZERO));
    }

    private static GroupSpec.Readiness readiness(Config w, @Nullable Integer port) {
        Config r = w.child("readiness");
        r.requireOnlyKeys(Set.of("http", "tcp", "interval", "startup-interval", "timeout", "start-timeout"));
        Duration interval = r.duration("interval", Duration.ofMillis(250));
        Duration timeout = r.duration("timeout", Duration.ofSeconds(1));
        if (interval.isZero() || timeout.isZero()) {
            throw r.invalid("interval and timeout must be more than 0s, e.g. interval: 250ms, timeout: 1s");
        }
        // Never probe a starting container less often than a ready one.
        Duration startupInterval = r.duration("startup-interval",
                interval.compareTo(DEFAULT_STARTUP_INTERVAL) < 0 ? interval : DEFAULT_STARTUP_INTERVAL);
        if (startupInterval.isZero() || startupInterval.isNegative()) {
            throw r.invalid("startup-interval", "must be more than 0s, e.g. 10ms");
        }
        Duration startTimeout = r.has("start-timeout") ? r.duration("start-timeout", Duration.ZERO) : null;
        if (startTimeout != null && (startTimeout.isZero() || startTimeout.isNegative())) {
            throw r.invalid("start-timeout", "must be more than 0s, e.g. 2m (longer than the slowest good start)");
        }
        String http = r.string("http").map(String::trim).orElse(null);
        boolean tcp = r.bool("tcp", http == null && port != null);
        if (http != null && r.has("tcp") && tcp) {
            throw r.invalid("tcp", "set either http: (an HTTP GET) or tcp: true (a connect), not both");
        }
        if ((http != null || tcp) && port == null) {
            throw r.invalid(http != null ? "http" : "tcp", "probes the published port, but the workload has no"
                    + " 'port'; add port: (the container port to publish)");
        }
        if (http != null) {
            if (!http.startsWith("/")) {
                throw r.invalid("http", "'" + http + "' must be a path starting with '/', e.g. /health");
            }
            return new GroupSpec.Readiness(GroupSpec.ProbeKind.HTTP, http, interval, startupInterval, timeout, startTimeout);
        }
        return new GroupSpec.Readiness(tcp ? GroupSpec.ProbeKind.TCP : GroupSpec.ProbeKind.NONE, "/", interval,
                startupInterval, timeout, startTimeout);
    }
}
