package io.zeroscale.daemon.cli;

import static io.zeroscale.spi.StandardErrorCode.CONFIG_INVALID;
import static io.zeroscale.spi.StandardErrorCode.ORCHESTRATOR_UNAVAILABLE;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.zeroscale.daemon.config.ConfigLoader;
import io.zeroscale.daemon.config.DaemonConfig;
import io.zeroscale.spi.ZeroscaleException;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code zeroscale status}: asks a running daemon for its targets. */
@Command(name = "status", mixinStandardHelpOptions = true,
        description = "Asks a running daemon's REST API for every target's state and replicas.")
final class StatusCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--api", paramLabel = "URL", description = "The daemon's REST API (default: from --config, else http://127.0.0.1:8081).")
    @Nullable String api;

    @Option(names = {"-c", "--config"}, paramLabel = "FILE", description = "Read the API's address and token from this config file.")
    @Nullable Path config;

    @Option(names = "--token", paramLabel = "TOKEN", defaultValue = "${env:ZEROSCALE_TOKEN}",
            description = "The bearer token (default: $ZEROSCALE_TOKEN, else the config's api.token).")
    @Nullable String token;

    @Override
    public Integer call() throws IOException, InterruptedException {
        String base = api;
        String bearer = token;
        if (config != null) {
            DaemonConfig loaded = ConfigLoader.fromEnvironment().load(config, java.util.Map.of());
            String host = loaded.api().host();
            if (host.equals("0.0.0.0") || host.equals("::")) {
                host = "127.0.0.1";
            }
            if (base == null) {
                base = "http://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + loaded.api().port();
            }
            if (bearer == null) {
                bearer = loaded.api().token();
            }
        }
        if (base == null) {
            base = "http://127.0.0.1:8081";
        }
        URI uri;
        try {
            uri = URI.create(base.replaceAll("/+$", "") + "/targets");
        } catch (IllegalArgumentException e) {
            throw new ZeroscaleException(CONFIG_INVALID, "--api: '" + base + "' is not a URL, e.g. http://127.0.0.1:8081", e);
        }
        HttpRequest.Builder request = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).header("Accept", "application/json");
        if (bearer != null && !bearer.isBlank()) {
            request.header("Authorization", "Bearer " + bearer);
        }
        HttpResponse<String> response;
        try (HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build()) {
            response = client.send(request.build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new ZeroscaleException(ORCHESTRATOR_UNAVAILABLE, "no daemon answers at " + base + " (" + e
                    + "); start one with zeroscale run --config FILE, or pass --api URL");
        }
        if (response.statusCode() == 401) {
            throw new ZeroscaleException(CONFIG_INVALID, base + " wants a bearer token: pass --token or set ZEROSCALE_TOKEN");
        }
        if (response.statusCode() != 200) {
            throw new ZeroscaleException(ORCHESTRATOR_UNAVAILABLE, base + "/targets answered " + response.statusCode() + ": " + response.body());
        }
        print(new ObjectMapper().readTree(response.body()), spec.commandLine().getOut());
        return 0;
    }

    private static void print(JsonNode targets, PrintWriter out) {
        String format = "%-20s %-10s %7s %8s %5s %-8s %-6s %s%n";
        out.printf(format, "TARGET", "STATE", "DESIRED", "OBSERVED", "READY", "ROUTING", "PAUSED", "LAST DECISION");
        for (JsonNode target : targets) {
            JsonNode replicas = target.path("replicas");
            out.printf(format, target.path("name").asText(), target.path("state").asText(), replicas.path("desired").asText(),
                    replicas.path("observed").asText(), replicas.path("ready").asText(), target.path("routing").asText(),
                    target.path("automationPaused").asBoolean() ? "yes" : "no", target.path("lastReason").asText());
        }
    }
}
