package io.zeroscale.daemon.config;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.UncheckedIOException;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The CustomResourceDefinition of {@code ScaledTarget} ({@code zeroscale.io/v1alpha1}), the
 * kubernetes plugin's operator mode, generated from the config file's JSON Schema: its {@code
 * spec} is the schema of one {@code targets.<name>} entry ({@code $defs/target}), translated to a
 * Kubernetes structural schema ({@code $ref}s inlined, {@code examples} dropped, objects whose
 * other keys go to a plugin kept with {@code x-kubernetes-preserve-unknown-fields}). So the
 * resource and the file accept the same target, and the daemon checks both with the same rules.
 *
 * <p>The result is committed as {@value #FILE}; a test fails when it is not current and prints
 * {@value #REGENERATE}.
 */
public final class ScaledTargetCrd {
    /** Where the CRD is committed, relative to the repository's root. */
    public static final String FILE = "deploy/kubernetes/scaledtargets.zeroscale.io.yaml";
    /** The command that writes {@link #FILE} again. */
    public static final String REGENERATE = "mvn -B -ntp -o test -pl assembly -am -Dtest=ScaledTargetCrdTest"
            + " -Dsurefire.failIfNoSpecifiedTests=false -Dzeroscale.crd.write=true";

    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private ScaledTargetCrd() {}

    /** The CRD as YAML, with a header saying where it comes from. */
    public static String yaml() {
        return yaml(ConfigSchema.load().document());
    }

    static String yaml(JsonNode configSchema) {
        YAMLMapper yaml = new YAMLMapper(new YAMLFactory().disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
                .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES).enable(YAMLGenerator.Feature.INDENT_ARRAYS_WITH_INDICATOR));
        try {
            return "# Generated from assembly/src/main/resources/zeroscale.schema.json ($defs/target) by\n"
                    + "# io.zeroscale.daemon.config.ScaledTargetCrd. Do not edit: change the schema, then run\n"
                    + "#   " + REGENERATE + "\n"
                    + yaml.writeValueAsString(crd(configSchema));
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    static ObjectNode crd(JsonNode configSchema) {
        ObjectNode spec = structural(configSchema.path("$defs").path("target"), configSchema);
        spec.put("description", "One target, as an entry under targets: of the daemon's config file. orchestrator defaults to the"
                + " target source's; workload.namespace is this resource's namespace (another is refused); workload.name"
                + " defaults to this resource's name.");
        // The target source gives the orchestrator when the resource names none.
        ArrayNode required = NODES.arrayNode();
        spec.withArray("required").forEach(name -> {
            if (!name.asText().equals("orchestrator")) {
                required.add(name);
            }
        });
        spec.set("required", required);

        ObjectNode root = NODES.objectNode();
        root.put("apiVersion", "apiextensions.k8s.io/v1");
        root.put("kind", "CustomResourceDefinition");
        root.putObject("metadata").put("name", "scaledtargets.zeroscale.io");
        ObjectNode crdSpec = root.putObject("spec");
        crdSpec.put("group", "zeroscale.io");
        crdSpec.put("scope", "Namespaced");
        ObjectNode names = crdSpec.putObject("names");
        names.put("kind", "ScaledTarget");
        names.put("listKind", "ScaledTargetList");
        names.put("plural", "scaledtargets");
        names.put("singular", "scaledtarget");
        names.putArray("shortNames").add("zst");
        names.putArray("categories").add("zeroscale");
        ObjectNode version = crdSpec.putArray("versions").addObject();
        version.put("name", "v1alpha1");
        version.put("served", true);
        version.put("storage", true);
        version.putObject("subresources").putObject("status");
        ArrayNode columns = version.putArray("additionalPrinterColumns");
        column(columns, "Target", "string", ".status.target", "The target's name in the daemon: <namespace>.<name>");
        column(columns, "Ready", "string", ".status.conditions[?(@.type==\"Ready\")].status",
                "Whether the current spec is applied");
        column(columns, "State", "string", ".status.state", "The automaton's state");
        column(columns, "Replicas", "integer", ".status.replicas", "The replicas the engine asks for");
        column(columns, "Age", "date", ".metadata.creationTimestamp", null);
        ObjectNode schema = version.putObject("schema").putObject("openAPIV3Schema");
        schema.put("type", "object");
        schema.put("description", "A workload Zeroscale scales to zero and back, with its policy (operator mode of the kubernetes"
                + " plugin).");
        ObjectNode properties = schema.putObject("properties");
        properties.putObject("apiVersion").put("type", "string");
        properties.putObject("kind").put("type", "string");
        properties.putObject("metadata").put("type", "object");
        properties.set("spec", spec);
        properties.set("status", status());
        schema.putArray("required").add("spec");
        return root;
    }

    private static void column(ArrayNode columns, String name, String type, String path, @Nullable String description) {
        ObjectNode column = columns.addObject();
        column.put("name", name);
        column.put("type", type);
        column.put("jsonPath", path);
        if (description != null) {
            column.put("description", description);
        }
    }

    private static ObjectNode status() {
        ObjectNode status = NODES.objectNode();
        status.put("type", "object");
        status.put("description", "Written by the daemon: whether the spec is applied, and the target's state from the engine.");
        ObjectNode properties = status.putObject("properties");
        property(properties, "target", "string", "The target's name in the daemon.");
        property(properties, "observedGeneration", "integer", "The generation of the spec the Ready condition is about.");
        property(properties, "state", "string", "The automaton's state, from the engine's journal.");
        property(properties, "replicas", "integer", "The replicas the engine asks for, from its journal.");
        property(properties, "lastDecision", "string", "The engine's last decision, in words.");
        property(properties, "lastDecisionTime", "string", "When the engine made it.").put("format", "date-time");
        ObjectNode conditions = properties.putObject("conditions");
        conditions.put("type", "array");
        conditions.put("description", "Ready: True when the spec is applied; False with the daemon's message naming the field"
                + " under spec when it was refused.");
        conditions.put("x-kubernetes-list-type", "map");
        conditions.putArray("x-kubernetes-list-map-keys").add("type");
        ObjectNode condition = conditions.putObject("items");
        condition.put("type", "object");
        condition.putArray("required").add("type").add("status");
        ObjectNode fields = condition.putObject("properties");
        property(fields, "type", "string", null);
        property(fields, "status", "string", null).putArray("enum").add("True").add("False").add("Unknown");
        property(fields, "reason", "string", null);
        property(fields, "message", "string", null);
        property(fields, "observedGeneration", "integer", null);
        property(fields, "lastTransitionTime", "string", null).put("format", "date-time");
        return status;
    }

    private static ObjectNode property(ObjectNode properties, String name, String type, @Nullable String description) {
        ObjectNode property = properties.putObject(name);
        property.put("type", type);
        if (description != null) {
            property.put("description", description);
        }
        return property;
    }

    /**
     * A JSON Schema node as a Kubernetes structural schema: {@code $ref}s inlined, keywords a CRD
     * does not take dropped, an object with listed properties whose other keys are allowed kept open
     * with {@code x-kubernetes-preserve-unknown-fields}, one that allows none pruned to its
     * properties (the API server drops unknown fields; {@code kubectl apply} refuses them).
     */
    private static ObjectNode structural(JsonNode node, JsonNode root) {
        JsonNode resolved = node;
        while (resolved.has("$ref")) {
            String ref = resolved.get("$ref").asText();
            if (!ref.startsWith("#/")) {
                throw new IllegalStateException("only local $refs can be inlined, got " + ref);
            }
            JsonNode target = root.at(ref.substring(1));
            ObjectNode merged = ((ObjectNode) target).deepCopy();
            // Keywords next to a $ref (a description) win over the referenced schema's.
            for (Map.Entry<String, JsonNode> field : resolved.properties()) {
                if (!field.getKey().equals("$ref")) {
                    merged.set(field.getKey(), field.getValue());
                }
            }
            resolved = merged;
        }
        ObjectNode out = NODES.objectNode();
        for (Map.Entry<String, JsonNode> field : resolved.properties()) {
            switch (field.getKey()) {
                case "examples", "$schema", "$id", "title" -> { }
                case "properties" -> {
                    ObjectNode properties = out.putObject("properties");
                    field.getValue().properties().forEach(p -> properties.set(p.getKey(), structural(p.getValue(), root)));
                }
                case "additionalProperties" -> {
                    if (field.getValue().isObject()) {
                        out.set("additionalProperties", structural(field.getValue(), root));
                    }
                }
                case "items" -> out.set("items", structural(field.getValue(), root));
                default -> out.set(field.getKey(), field.getValue().deepCopy());
            }
        }
        boolean object = "object".equals(resolved.path("type").asText());
        boolean closed = resolved.path("additionalProperties").isBoolean() && !resolved.path("additionalProperties").asBoolean();
        if (object && !closed && !resolved.path("additionalProperties").isObject()) {
            out.put("x-kubernetes-preserve-unknown-fields", true);
        }
        return out;
    }
}
