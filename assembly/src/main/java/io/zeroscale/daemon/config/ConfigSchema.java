package io.zeroscale.daemon.config;

import static io.zeroscale.spi.StandardErrorCode.CONFIG_INVALID;
import static io.zeroscale.spi.StandardErrorCode.INTERNAL;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.networknt.schema.Error;
import com.networknt.schema.InputFormat;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import com.networknt.schema.path.NodePath;
import io.zeroscale.spi.Config;
import io.zeroscale.spi.Durations;
import io.zeroscale.spi.ZeroscaleException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import org.jspecify.annotations.Nullable;
import tools.jackson.core.JacksonException;

/**
 * The committed JSON Schema of the config file ({@code zeroscale.schema.json}, also shipped in the
 * distribution's {@code etc/} for editors), and the translation of the validator's findings into
 * the daemon's own messages: the dotted path of the key, what is wrong, and the fix.
 */
public final class ConfigSchema {
    /** Where the schema sits on the class path. */
    public static final String RESOURCE = "/zeroscale.schema.json";

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final tools.jackson.databind.json.JsonMapper VALIDATOR_JSON = tools.jackson.databind.json.JsonMapper.shared();

    private final Schema schema;
    private final JsonNode document;

    private ConfigSchema(Schema schema, JsonNode document) {
        this.schema = schema;
        this.document = document;
    }

    /** Loads the schema from the class path. */
    public static ConfigSchema load() {
        try (InputStream forValidator = open(); InputStream forMessages = open()) {
            Schema schema = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12)
                    .getSchema(forValidator, InputFormat.JSON);
            return new ConfigSchema(schema, JSON.readTree(forMessages));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + RESOURCE, e);
        }
    }

    private static InputStream open() {
        return Objects.requireNonNull(ConfigSchema.class.getResourceAsStream(RESOURCE), RESOURCE + " is missing");
    }

    /** The schema document itself. */
    public JsonNode document() {
        return document;
    }

    /**
     * Validates a parsed config tree.
     *
     * @return one message per problem, sorted by path: "path: problem; fix"
     */
    public List<String> validate(Map<String, Object> tree) {
        // The validator reads Jackson 3 trees: the parsed YAML becomes one directly, not by way of
        // JSON text written and parsed again (half of the check's time with 1,000 targets).
        tools.jackson.databind.JsonNode instance;
        try {
            instance = VALIDATOR_JSON.valueToTree(tree);
        } catch (JacksonException e) {
            throw new ZeroscaleException(INTERNAL, "cannot convert the config to a tree for validation", e);
        }
        Set<String> messages = new LinkedHashSet<>();
        for (Error error : schema.validate(instance)) {
            messages.add(message(error, tree));
        }
        return List.copyOf(new TreeSet<>(messages));
    }

    /** Validates and throws one {@code CONFIG_INVALID} error listing every problem. */
    public void check(Map<String, Object> tree) {
        List<String> problems = validate(tree);
        if (!problems.isEmpty()) {
            throw new ZeroscaleException(CONFIG_INVALID, problems, null);
        }
    }

    private String message(Error error, Map<String, Object> tree) {
        String path = dotted(error.getInstanceLocation());
        JsonNode keywordNode = schemaNodeAt(error.getSchemaLocation().getFragment());
        JsonNode owner = parentOf(error.getSchemaLocation().getFragment());
        Object value = valueAt(tree, error.getInstanceLocation());
        String keyword = error.getKeyword();
        switch (keyword) {
            case "additionalProperties" -> {
                String key = Objects.requireNonNullElse(error.getProperty(), "?");
                return join(path, key) + ": unknown key; " + Config.suggestion(key, propertyNames(owner));
            }
            case "required" -> {
                String key = Objects.requireNonNullElse(error.getProperty(), "?");
                JsonNode property = resolve(owner == null ? null : owner.path("properties").get(key));
                return join(path, key) + ": required key is missing; add it" + example(key, property);
            }
            case "type" -> {
                return where(path) + ": expected " + expected(keywordNode) + ", got " + describe(path, value) + example(path, owner);
            }
            case "pattern" -> {
                if (isDuration(owner) && value instanceof String text) {
                    try {
                        Durations.parse(text);
                    } catch (IllegalArgumentException e) {
                        return where(path) + ": " + e.getMessage();
                    }
                }
                return where(path) + ": " + describe(path, value) + " is not valid" + hint(owner) + example(path, owner);
            }
            case "enum" -> {
                Set<String> allowed = new TreeSet<>();
                if (keywordNode != null) {
                    keywordNode.forEach(node -> allowed.add(node.asText()));
                }
                String given = String.valueOf(value);
                return where(path) + ": unknown value " + describe(path, value) + "; "
                        + Config.suggestion(given, allowed, "valid values are");
            }
            case "minimum" -> {
                return where(path) + ": must be at least " + (keywordNode == null ? "the schema's minimum" : keywordNode.asText()) + ", got " + describe(path, value);
            }
            case "minLength" -> {
                return where(path) + (keywordNode != null && keywordNode.asInt() > 1
                        ? ": must be at least " + keywordNode.asInt() + " characters long"
                        : ": must not be empty") + example(path, owner);
            }
            default -> {
                return where(path) + ": " + error.getMessage().replaceFirst("^\\$[^:]*: ", "");
            }
        }
    }

    private static String where(String path) {
        return path.isEmpty() ? "config" : path;
    }

    private static String join(String path, String key) {
        return path.isEmpty() ? key : path + "." + key;
    }

    /** "targets.hello.policy" from the validator's instance location. */
    static String dotted(NodePath location) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < location.getNameCount(); i++) {
            Object element = location.getElement(i);
            if (element instanceof Integer index) {
                out.append('[').append(index).append(']');
            } else {
                if (!out.isEmpty()) {
                    out.append('.');
                }
                out.append(element);
            }
        }
        return out.toString();
    }

    private static @Nullable Object valueAt(Map<String, Object> tree, NodePath location) {
        Object node = tree;
        for (int i = 0; i < location.getNameCount(); i++) {
            Object element = location.getElement(i);
            if (node instanceof Map<?, ?> map) {
                node = map.get(String.valueOf(element));
            } else if (node instanceof List<?> list && element instanceof Integer index && index < list.size()) {
                node = list.get(index);
            } else {
                return null;
            }
        }
        return node;
    }

    private @Nullable JsonNode schemaNodeAt(NodePath fragment) {
        JsonNode node = document;
        for (int i = 0; i < fragment.getNameCount() && node != null; i++) {
            Object element = fragment.getElement(i);
            node = element instanceof Integer index ? node.get(index) : node.get(String.valueOf(element));
        }
        return node;
    }

    /** The schema object that holds the failing keyword, with a {@code $ref} there followed. */
    private @Nullable JsonNode parentOf(NodePath fragment) {
        NodePath parent = fragment.getParent();
        return parent == null ? document : schemaNodeAt(parent);
    }

    private @Nullable JsonNode resolve(@Nullable JsonNode node) {
        if (node != null && node.has("$ref") && node.get("$ref").asText().startsWith("#/")) {
            JsonNode target = document.at(node.get("$ref").asText().substring(1));
            return target.isMissingNode() ? node : target;
        }
        return node;
    }

    private Set<String> propertyNames(@Nullable JsonNode owner) {
        Set<String> names = new TreeSet<>();
        if (owner != null) {
            Iterator<String> fields = owner.path("properties").fieldNames();
            fields.forEachRemaining(names::add);
        }
        return names;
    }

    private boolean isDuration(@Nullable JsonNode owner) {
        return owner != null && owner.equals(document.at("/$defs/duration"));
    }

    private static String hint(@Nullable JsonNode owner) {
        if (owner != null && owner.has("description")) {
            return ": " + lowerFirst(owner.get("description").asText().replaceAll("\\.$", ""));
        }
        return "";
    }

    private static String lowerFirst(String text) {
        return text.isEmpty() ? text : Character.toLowerCase(text.charAt(0)) + text.substring(1);
    }

    private static String example(String path, @Nullable JsonNode schema) {
        if (schema == null || !schema.has("examples") || schema.get("examples").isEmpty()) {
            return "";
        }
        String key = path.substring(path.lastIndexOf('.') + 1);
        JsonNode example = schema.get("examples").get(0);
        return "; e.g. " + key + ": " + (example.isTextual() ? example.asText() : example.toString());
    }

    private static String expected(@Nullable JsonNode typeNode) {
        if (typeNode == null) {
            return "another type";
        }
        List<String> names = new ArrayList<>();
        if (typeNode.isArray()) {
            typeNode.forEach(type -> names.add(typeName(type.asText())));
        } else {
            names.add(typeName(typeNode.asText()));
        }
        return String.join(" or ", names);
    }

    private static String typeName(String type) {
        return switch (type) {
            case "string" -> "a string";
            case "integer" -> "a whole number";
            case "number" -> "a number";
            case "boolean" -> "true or false";
            case "object" -> "a mapping of keys to values";
            case "array" -> "a list";
            default -> type;
        };
    }

    private static String describe(String path, @Nullable Object value) {
        if (path.endsWith("token") || path.contains(".headers.")) {
            return "a value (hidden: it is a secret)";
        }
        if (value == null) {
            return "nothing";
        }
        if (value instanceof Map) {
            return "a mapping";
        }
        if (value instanceof List) {
            return "a list";
        }
        if (value instanceof String text) {
            return "'" + text + "'";
        }
        return value.toString();
    }
}
