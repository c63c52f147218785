package io.zeroscale.engine;

import static io.zeroscale.spi.StandardErrorCode.CONFIG_INVALID;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonStreamContext;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.util.TokenBuffer;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.zeroscale.spi.Config;
import io.zeroscale.spi.ZeroscaleException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/** Reads YAML text into a {@link Config} tree with Jackson; a key given twice in one mapping is an error. */
public final class YamlConfig {
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    private static final TypeReference<Map<String, Object>> MAP = new TypeReference<>() {};

    private YamlConfig() {}

    /**
     * Parses {@code text} (a YAML mapping) as the config node at {@code path}.
     *
     * @param source where the text came from, for error messages (a file name)
     * @throws ZeroscaleException {@code CONFIG_INVALID} with the line and column of a syntax error,
     *     or naming both lines of every key that is set twice
     */
    public static Config parse(String text, String source, String path) {
        Tokens tokens;
        try {
            tokens = requireUniqueKeys(text, source, path);
        } catch (JsonProcessingException e) {
            throw invalid(source, e.getLocation(), e);
        }
        // One pass of the YAML scanner (the costly part with a thousand targets): the duplicate
        // check buffered Jackson's tokens, and the map is read from them, not from the text again.
        Map<String, Object> values;
        try (JsonParser buffered = tokens.buffer().asParser(YAML)) {
            values = YAML.readValue(buffered, MAP);
        } catch (JsonProcessingException e) {
            // Reading the map fails only at its root (not a mapping, or nothing): said there.
            throw invalid(source, tokens.root(), e);
        } catch (IOException e) {
            throw new UncheckedIOException("reading YAML from a string failed", e);
        }
        return Config.of(path, values == null ? Map.of() : compact(values));
    }

    /**
     * The same tree with every key and string value interned and every mapping sized to its
     * entries. A config is kept for as long as its target runs, and targets repeat the same keys
     * and mostly the same values: as parsed, 100,000 targets of a few lines each held about 3.8 KB
     * apiece, mostly copies of the same short strings and mappings sized for 16 entries.
     */
    @SuppressWarnings("NullAway") // YAML values may be null (a key with nothing after it), as Jackson read them
    private static Map<String, Object> compact(Map<String, Object> map) {
        Map<String, Object> out = LinkedHashMap.newLinkedHashMap(map.size());
        map.forEach((key, value) -> out.put(key.intern(), compactValue(value)));
        return out;
    }

    @SuppressWarnings("unchecked") // Jackson reads mappings as Map<String, Object>
    private static @Nullable Object compactValue(@Nullable Object value) {
        return switch (value) {
            case String text -> text.intern();
            case Map<?, ?> map -> compact((Map<String, Object>) map);
            case List<?> list -> {
                List<@Nullable Object> out = new ArrayList<>(list.size());
                list.forEach(item -> out.add(compactValue(item)));
                yield out;
            }
            case null, default -> value;
        };
    }

    private static ZeroscaleException invalid(String source, @Nullable JsonLocation location, JsonProcessingException e) {
        String where = location == null ? "" : " at line " + location.getLineNr() + ", column " + location.getColumnNr();
        return new ZeroscaleException(CONFIG_INVALID, source + ": not valid YAML" + where + ": " + e.getOriginalMessage(), e);
    }

    public static Config parse(String text) {
        return parse(text, "<text>", "");
    }

    /**
     * Jackson keeps the last of two equal keys silently (so {@code idle: 10s} then {@code idle: 0s}
     * means 0s), and its strict duplicate detection names only the second line. This pass over
     * Jackson's tokens remembers the line of every key of every open mapping, to name both, and
     * returns the tokens it read.
     */
    private static Tokens requireUniqueKeys(String text, String source, String path) throws JsonProcessingException {
        List<String> problems = new ArrayList<>();
        TokenBuffer tokens;
        JsonLocation root;
        try (JsonParser parser = YAML.getFactory().createParser(text)) {
            tokens = new TokenBuffer(parser);
            Deque<Map<String, Integer>> open = new ArrayDeque<>();
            JsonToken token = parser.nextToken();
            root = parser.currentTokenLocation();
            for (; token != null; token = parser.nextToken()) {
                tokens.copyCurrentEvent(parser);
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
        return new Tokens(tokens, root);
    }

    /** The tokens of a document, and where its root starts. */
    private record Tokens(TokenBuffer buffer, JsonLocation root) {}

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
