package io.zeroscale.daemon.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.zeroscale.spi.ZeroscaleException;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ConfigValidationTest {
    static final String VALID = """
            orchestrators:
              local: { type: process }
            gateway:
              listen: 127.0.0.1:8080
            api:
              listen: 127.0.0.1:8081
              token: ${ZEROSCALE_TOKEN}
            targets:
              hello:
                orchestrator: local
                workload:
                  kind: Process
                  command: [java, Backend.java]
                route: { path: / }
                policy:
                  automaton: zero-to-n
                  idle: 30s
                  wake-timeout: 1m
                  replicas: { min: 0, max: 2 }
            """;

    private final ConfigLoader loader = new ConfigLoader(Map.of("ZEROSCALE_TOKEN", "s3cret-token-value")::get);

    @Test
    void dump() {
        String[] cases = {
            VALID.replace("idle: 30s", "idel: 30s"),
            VALID.replace("  listen: 127.0.0.1:8080", "  lisen: 127.0.0.1:8080"),
            VALID.replace("max: 2", "max: two"),
            VALID.replace("    orchestrator: local\n", ""),
            VALID.replace("wake-timeout: 1m", "wake-timeout: 1 minute"),
            VALID.replace("gateway:\n  listen: 127.0.0.1:8080", "gateway:\n  listen: 127.0.0.1:8080\n  wake-timeout: 2 minutes"),
            VALID.replace("route: { path: / }", "route: { path: x }"),
            VALID.replace("listen: 127.0.0.1:8081", "listen: 8081"),
            VALID + "telemetry: { log-format: xml }\n",
            VALID.replace("token: ${ZEROSCALE_TOKEN}", "token: ${MISSING_TOKEN}"),
        };
        for (String text : cases) {
            try {
                loader.parse(text, "test.yaml", Path.of("/tmp"), Map.of());
                System.out.println("OK");
            } catch (ZeroscaleException e) {
                System.out.println("MSG: " + e.getMessage());
            }
        }
    }
}
