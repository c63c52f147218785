package io.zeroscale.engine;

import static io.zeroscale.spi.StandardErrorCode.CONFIG_INVALID;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonStreamContext;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.zeroscale.spi.Config;
import io.zeroscale.spi.ZeroscaleException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Reads YAML text into a {@link Config} tree with Jackson; a key given twice in one mapping is an error. */
public final class YamlConfig {
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    private YamlConfig() {}

    /**
     * Parses {@code text} (a YAML mapping) as the config node at {@code path}.
     *
     * @param source where the text came from, for error messages (a file name)
     * @throws ZeroscaleException {@code CONFIG_INVALID} with the line and column of a syntax error,
     *     or naming both lines of every key that is set twice
     */
    public static Config parse(String text, String source, String path) {
        try {
            requireUniqueKeys(text, source, path);
            Map<String, Object> values = YAML.readValue(text, new TypeReference<Map<String, Object>>() {});
            return Config.of(path, values == null ? Map.of() : values);
        } catch (JsonProcessingException e) {
            String where = e.getLocation() == null ? "" : " at line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr();
            throw new ZeroscaleException(CONFIG_INVALID, source + ": not valid YAML" + where + ": " + e.getOriginalMessage(), e);
        }
    }

    public static Config parse(String text) {
        return parse(text, "<text>", "");
    }

    /**
     * Jackson keeps the last of two equal keys silently (so {@code idle: 10s} then {@code idle: 0s}
     * means 0s), and its strict duplicate detection names only the second line. This pass over
     * Jackson's tokens remembers the line of every key of every open mapping, to name both.
     */
    private static void requireUniqueKeys(String text, String source, String path) throws JsonProcessingException {
        List<String> problems = new ArrayList<>();
        try (JsonParser parser = YAML.getFactory().createParser(text)) {
            Deque<Map<String, Integer>> open = new ArrayDeque<>();
            for (JsonToken token = parser.nextToken(); token != null; token = parser.nextToken()) {
                switch (token) {
                    case START_OBJECT, START_ARRAY -> open.push(new HashMap<>());
                    case END_OBJECT, END_ARRAY -> open.pop();
                    case FIELD_NAME -> {
                        int line = parser.currentTokenLocation().getLineNr();
                        Integer first = open.peek() == null ? null : open.peek().putIfAbsent(parser.currentName(), line);
                        if (first != null) {
                            problems.add(dotted(path, parser.getParsingContext()) + ": set twice " + (first == line
                                    ? "on line " + line + " of " + source
                                    : "in " + source + ", on line " + first + " and line " + line) + "; keep one");
                        }
                    }
                    default -> {
                        // values: nothing to remember
                    }
                }
            }
        } catch (JsonProcessingException e) {
            throw e;
        } catch (IOException e) {
            throw new UncheckedIOException("reading YAML from a string failed", e);
        }
        if (!problems.isEmpty()) {
            throw new ZeroscaleException(CONFIG_INVALID, problems, null);
        }
    }

    /** "targets.hello.policy.idle" for the key the parser is at. */
    private static String dotted(String root, JsonStreamContext context) {
        Deque<String> parts = new ArrayDeque<>();
        for (JsonStreamContext node = context; node != null && !node.inRoot(); node = node.getParent()) {
            if (node.inArray()) {
                parts.push("[" + node.getCurrentIndex() + "]");
            } else if (node.getCurrentName() != null) {
                parts.push("." + node.getCurrentName());
            }
        }
        String joined = root + String.join("", parts);
        return joined.startsWith(".") ? joined.substring(1) : joined;
    }
}
