package io.zeroscale.daemon.config;

import static io.zeroscale.spi.StandardErrorCode.CONFIG_INVALID;
import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.zeroscale.engine.AlertSettings;
import io.zeroscale.engine.TargetSpec;
import io.zeroscale.engine.TrafficSettings;
import io.zeroscale.engine.YamlConfig;
import io.zeroscale.gateway.GatewayConfig;
import io.zeroscale.gateway.GatewayRoute;
import io.zeroscale.spi.Config;
import io.zeroscale.spi.ConfigProblems;
import io.zeroscale.spi.ZeroscaleException;
import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * Reads the daemon's config file: YAML, then {@code --set} overrides, then {@code ${ENV}}
 * substitution, then the JSON Schema (structure, with path-and-fix messages), then the daemon's
 * own sections into typed settings. Plugin sections (an orchestrator's keys, a workload, a
 * policy) are checked later by their factories, when the engine is built.
 */
public final class ConfigLoader {
    /** A variable every config may use: the absolute directory of the config file. */
    public static final String CONFIG_DIR_VARIABLE = "ZEROSCALE_CONFIG_DIR";

    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    private static final Set<String> ROUTE_KEYS = Set.of("host", "path");

    private final Function<String, String> environment;
    private final ConfigSchema schema;

    /** @param environment the variables {@code ${NAME}} reads; returns null for an unset one */
    public ConfigLoader(Function<String, String> environment) {
        this.environment = requireNonNull(environment, "environment is null");
        this.schema = SharedSchema.SCHEMA;
    }

    /**
     * One schema for every loader of the process: it is immutable, and building it (reading and
     * compiling the JSON Schema) was done twice on the way to ready (the CLI's load and the
     * config-file target source's), and again on every loader a reload or command created.
     */
    private static final class SharedSchema {
        static final ConfigSchema SCHEMA = ConfigSchema.load();
    }

    /** A loader that reads the process environment. */
    public static ConfigLoader fromEnvironment() {
        return new ConfigLoader(System::getenv);
    }

    /**
     * Reads and checks {@code file}.
     *
     * @param overrides {@code dotted.path -> YAML value}, applied before substitution (the CLI's {@code --set})
     * @throws ZeroscaleException {@code CONFIG_INVALID} naming every problem's path and fix
     */
    public DaemonConfig load(Path file, Map<String, String> overrides) {
        ConfigProblems problems = new ConfigProblems();
        DaemonConfig config = load(file, overrides, problems);
        problems.throwIfAny();
        return config;
    }

    /**
     * Reads and checks {@code file}, recording every problem in {@code problems} and returning
     * what could be read (a target that cannot be read is left out), so the caller can check the
     * rest too (plugin types, references, policies) and report all problems at once. A config
     * read with problems must never run.
     *
     * @throws ZeroscaleException when the file cannot be read at all (missing, not YAML, a
     *     duplicate key, an unset variable): there is nothing to check further
     */
    public DaemonConfig load(Path file, Map<String, String> overrides, ConfigProblems problems) {
        String text;
        try {
            text = Files.readString(file);
        } catch (NoSuchFileException e) {
            throw new ZeroscaleException(CONFIG_INVALID, file + ": no such file; pass --config with the path of your"
                    + " zeroscale.yaml (commented examples are in the distribution's etc/)", e);
        } catch (IOException e) {
            throw new ZeroscaleException(CONFIG_INVALID, file + ": cannot read it (" + e + ")", e);
        }
        Path absolute = file.toAbsolutePath().normalize();
        // Null only for a file system root, which was read as a file above and so cannot be one.
        Path directory = requireNonNull(absolute.getParent(), () -> file + ": has no parent directory");
        return parse(text, file.toString(), directory, overrides, problems);
    }

    /**
     * Reads and checks config text.
     *
     * @param directory what relative paths ({@code data-dir}) and {@code ${ZEROSCALE_CONFIG_DIR}} mean
     * @throws ZeroscaleException {@code CONFIG_INVALID} naming every problem's path and fix
     */
    public DaemonConfig parse(String text, String source, Path directory, Map<String, String> overrides) {
        ConfigProblems problems = new ConfigProblems();
        DaemonConfig config = parse(text, source, directory, overrides, problems);
        problems.throwIfAny();
        return config;
    }

    /** Reads and checks config text, recording problems as {@link #load(Path, Map, ConfigProblems)} does. */
    public DaemonConfig parse(String text, String source, Path directory, Map<String, String> overrides, ConfigProblems problems) {
        Map<String, Object> tree = new LinkedHashMap<>(YamlConfig.parse(text, source, "").asMap());
        overrides.forEach((path, value) -> override(tree, path, value));
        Path base = directory.toAbsolutePath().normalize();
        Function<String, String> variables = name -> name.equals(CONFIG_DIR_VARIABLE) ? base.toString() : environment.apply(name);
        Map<String, Object> resolved = new EnvSubstitution(variables).apply(tree);
        // The schema's findings come first: a key it rejects is not reported again by the checks below.
        problems.check(() -> schema.check(resolved));
        return settings(source, base, Config.of("", resolved), problems);
    }

    /** The schema the loader checks against. */
    public ConfigSchema schema() {
        return schema;
    }

    private static DaemonConfig settings(String source, Path base, Config root, ConfigProblems problems) {
        Path dataDirectory = base.resolve(problems.attempt(() -> root.string("data-dir", ".zeroscale")).orElse(".zeroscale")).normalize();
        Map<String, Config> orchestrators = problems.attempt(() -> root.child("orchestrators").children()).orElse(Map.of());
        Map<String, Config> metrics = problems.attempt(() -> root.child("metrics").children()).orElse(Map.of());
        GatewayConfig gateway = problems.attempt(() -> GatewayConfig.fromConfig(root.child("gateway")))
                .orElseGet(() -> GatewayConfig.fromConfig(Config.empty("gateway")));
        List<TargetSpec> targets = new ArrayList<>();
        List<GatewayRoute> routes = new ArrayList<>();
        Map<String, String> routeOwners = new LinkedHashMap<>();
        Map<String, Config> targetNodes = problems.attempt(() -> root.child("targets").children()).orElse(Map.of());
        for (Map.Entry<String, Config> entry : targetNodes.entrySet()) {
            TargetSpec target = TargetSpec.fromConfig(entry.getKey(), entry.getValue(), problems).orElse(null);
            if (target == null) {
                continue;
            }
            targets.add(target);
            problems.attempt(() -> route(entry.getValue(), target, routeOwners)).ifPresent(routes::add);
        }
        ApiSettings api = problems.attempt(() -> api(root.child("api")))
                .orElseGet(() -> api(Config.empty("api")));
        TelemetrySettings telemetry = problems.attempt(() -> telemetry(root.child("telemetry")))
                .orElseGet(() -> telemetry(Config.empty("telemetry")));
        Config leadership = root.optionalChild("leadership").orElse(null);
        Config alertsNode = root.child("alerts");
        AlertSettings alerts = problems.attempt(() -> AlertSettings.fromConfig(alertsNode)).orElse(AlertSettings.DEFAULT);
        Map<String, Config> alertSinks = problems.attempt(() -> AlertSettings.sinks(alertsNode)).orElse(Map.of());
        Config trafficNode = root.child("traffic");
        TrafficSettings traffic = problems.attempt(() -> TrafficSettings.fromConfig(trafficNode)).orElse(TrafficSettings.DEFAULT);
        Config trafficHub = trafficNode.optionalChild("hub").orElse(null);
        Config stateStore = root.optionalChild("state-store").orElse(null);
        Map<String, Config> targetSources = problems.attempt(() -> root.child("target-sources").children()).orElse(Map.of());
        return new DaemonConfig(source, dataDirectory, orchestrators, metrics, leadership, gateway, targets, routes, api, telemetry,
                alerts, alertSinks, traffic, trafficHub, targetNodes, stateStore, targetSources);
    }

    /**
     * The gateway route of a {@code targets.<name>} node, or null when it has none.
     *
     * @throws ZeroscaleException {@code CONFIG_INVALID} naming the bad key of {@code route}
     */
    public static @Nullable GatewayRoute route(Config target, TargetSpec spec) {
        Config route = target.optionalChild("route").orElse(null);
        if (route == null) {
            return null;
        }
        route.requireOnlyKeys(ROUTE_KEYS);
        String path = route.string("path", "/");
        if (!path.startsWith("/")) {
            throw route.invalid("path", "must start with '/', got '" + path + "'");
        }
        return new GatewayRoute(spec.ref(), route.string("host").orElse(null), path);
    }

    /** The target's gateway route, or null when it has none; a route another target has is refused. */
    private static @Nullable GatewayRoute route(Config target, TargetSpec spec, Map<String, String> routeOwners) {
        GatewayRoute gatewayRoute = route(target, spec);
        if (gatewayRoute == null) {
            return null;
        }
        Config route = target.requireChild("route");
        String key = gatewayRoute.host() + " " + gatewayRoute.pathPrefix();
        String other = routeOwners.putIfAbsent(key, spec.name());
        if (other != null) {
            throw route.invalid("the same host and path as targets." + other + ".route; give one of them another host or path");
        }
        return gatewayRoute;
    }

    private static ApiSettings api(Config api) {
        String listen = api.string("listen", ApiSettings.DEFAULT_LISTEN).trim();
        int colon = listen.lastIndexOf(':');
        // The schema's pattern rejects these too; this keeps the checks after it safe when it did.
        if (colon < 0 || !listen.substring(colon + 1).matches("[0-9]{1,5}")) {
            throw api.invalid("listen", "'" + listen + "' is not host:port; write e.g. 127.0.0.1:8081");
        }
        String host = listen.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        int port = Integer.parseInt(listen.substring(colon + 1));
        if (port > 65535) {
            throw api.invalid("listen", "port " + port + " is out of range; use 1 to 65535, or 0 for a free port");
        }
        InetAddress address;
        try {
            address = InetAddress.getByName(host);
        } catch (UnknownHostException e) {
            throw api.invalid("listen", "unknown host '" + host + "'; use an address of this machine, e.g. 127.0.0.1");
        }
        String token = api.string("token").orElse(null);
        if (token == null && ApiSettings.needsToken(address)) {
            throw api.invalid("token", "required because api.listen (" + listen + ") is not a loopback address;"
                    + " add token: ${ZEROSCALE_TOKEN} and export ZEROSCALE_TOKEN, or listen on 127.0.0.1");
        }
        return new ApiSettings(host, port, token, events(api.child("events")));
    }

    private static ApiSettings.Events events(Config events) {
        ApiSettings.Events defaults = ApiSettings.Events.DEFAULT;
        int maxClients = events.integer("max-clients", defaults.maxClients());
        if (maxClients < 1 || maxClients > 10_000) {
            throw events.invalid("max-clients", "must be from 1 to 10000, got " + maxClients);
        }
        int buffer = events.integer("buffer", defaults.buffer());
        if (buffer < 1 || buffer > 1_000_000) {
            throw events.invalid("buffer", "must be from 1 to 1000000 events, got " + buffer);
        }
        return new ApiSettings.Events(maxClients, buffer, positive(events, "max-duration", defaults.maxDuration()),
                positive(events, "heartbeat", defaults.heartbeat()));
    }

    private static TelemetrySettings telemetry(Config telemetry) {
        TelemetrySettings.Otlp otlp = telemetry.optionalChild("otlp")
                .map(node -> new TelemetrySettings.Otlp(
                        node.requireString("endpoint"),
                        node.string("protocol", "http/protobuf").equals("grpc"),
                        positive(node, "interval", Duration.ofSeconds(60)),
                        node.stringMap("headers")))
                .orElse(null);
        return new TelemetrySettings(telemetry.string("service-name", "zeroscale"),
                telemetry.string("log-format", "text").equals("json"), otlp);
    }

    private static Duration positive(Config node, String key, Duration fallback) {
        Duration value = node.duration(key, fallback);
        if (value.isZero()) {
            throw node.invalid(key, "must be longer than 0s, e.g. 60s");
        }
        return value;
    }

    @SuppressWarnings("unchecked")
    private static void override(Map<String, Object> tree, String path, String text) {
        String[] keys = path.split("\\.");
        Map<String, Object> node = tree;
        for (int i = 0; i < keys.length - 1; i++) {
            Object child = node.get(keys[i]);
            if (child == null) {
                child = new LinkedHashMap<String, Object>();
                node.put(keys[i], child);
            } else if (child instanceof Map<?, ?> map) {
                child = new LinkedHashMap<>((Map<String, Object>) map);
                node.put(keys[i], child);
            } else {
                throw new ZeroscaleException(CONFIG_INVALID, "--set " + path + ": " + String.join(".", java.util.Arrays.copyOf(keys, i + 1))
                        + " is not a mapping in the config; set a key of a mapping");
            }
            node = (Map<String, Object>) child;
        }
        node.put(keys[keys.length - 1], yamlValue(path, text));
    }

    private static Object yamlValue(String path, String text) {
        if (text.isEmpty()) {
            return "";
        }
        try {
            Object value = YAML.readValue(text, Object.class);
            return value == null ? "" : value;
        } catch (JsonProcessingException e) {
            throw new ZeroscaleException(CONFIG_INVALID, "--set " + path + ": '" + text + "' is not a YAML value ("
                    + e.getOriginalMessage() + "); quote it", e);
        }
    }
}
