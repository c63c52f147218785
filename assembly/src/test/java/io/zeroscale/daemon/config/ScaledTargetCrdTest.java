package io.zeroscale.daemon.config;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * The committed ScaledTarget CRD is what {@link ScaledTargetCrd} generates from the config's JSON
 * Schema now: a change to the schema without regenerating fails here, naming the command.
 */
class ScaledTargetCrdTest {
    private static Path committed() {
        return Path.of(System.getProperty("zeroscale.deploy", "../deploy")).resolve("kubernetes/scaledtargets.zeroscale.io.yaml");
    }

    @Test
    void theCommittedCrdIsCurrent() throws IOException {
        String generated = ScaledTargetCrd.yaml();
        Path file = committed();
        if (Boolean.getBoolean("zeroscale.crd.write")) {
            Files.writeString(file, generated);
        }
        assertThat(file).as("%s is missing; write it with: %s", ScaledTargetCrd.FILE, ScaledTargetCrd.REGENERATE).isRegularFile();
        assertThat(Files.readString(file)).as("%s is not what the config's JSON Schema generates now (it changed since the file"
                + " was written); regenerate it with: %s", ScaledTargetCrd.FILE, ScaledTargetCrd.REGENERATE).isEqualTo(generated);
    }

    @Test
    void theSpecIsTheConfigsTargetWithTheOrchestratorOptional() throws IOException {
        JsonNode crd = new YAMLMapper().readTree(ScaledTargetCrd.yaml());
        JsonNode spec = crd.at("/spec/versions/0/schema/openAPIV3Schema/properties/spec");
        JsonNode target = new ObjectMapper().readTree(getClass().getResourceAsStream(ConfigSchema.RESOURCE)).at("/$defs/target");
        assertThat(fieldNames(spec.get("properties"))).isEqualTo(fieldNames(target.get("properties")));
        assertThat(spec.get("required").toString()).isEqualTo("[\"workload\"]");
        // Refs are inlined: a duration keeps the config's pattern.
        assertThat(spec.at("/properties/policy/properties/tick/pattern").asText())
                .isEqualTo(new ObjectMapper().readTree(getClass().getResourceAsStream(ConfigSchema.RESOURCE)).at("/$defs/duration/pattern")
                        .asText());
        // Keys the plugins read are kept, not pruned.
        assertThat(spec.at("/properties/workload/x-kubernetes-preserve-unknown-fields").asBoolean()).isTrue();
        assertThat(spec.at("/properties/policy/x-kubernetes-preserve-unknown-fields").asBoolean()).isTrue();
        assertThat(spec.at("/properties/route/x-kubernetes-preserve-unknown-fields").isMissingNode()).isTrue();
        assertThat(crd.toString()).doesNotContain("$ref").doesNotContain("\"examples\"");
    }

    private static java.util.List<String> fieldNames(JsonNode node) {
        java.util.List<String> out = new java.util.ArrayList<>();
        node.fieldNames().forEachRemaining(out::add);
        return out;
    }
}
