package io.zeroscale.spi;

import static io.zeroscale.spi.StandardErrorCode.CONFIG_INVALID;
import static java.util.Objects.requireNonNull;
import static java.util.Objects.requireNonNullElse;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.jspecify.annotations.Nullable;

/**
 * A read-only node of the configuration tree that remembers where it sits, so every error names
 * the full path of the bad key ({@code orchestrators.local.command}) and says how to fix it.
 *
 * <p>Values are what a YAML or JSON parser produces: {@code String}, {@code Number}, {@code
 * Boolean}, {@code List} and {@code Map<String, ?>}. Factories read their settings through it and
 * call {@link #requireOnlyKeys} so a typo stops startup with a suggestion instead of being ignored.
 */
public final class Config {
    private final String path;
    private final Map<String, Object> values;

    private Config(String path, Map<String, Object> values) {
        this.path = path;
        this.values = values;
    }

    /** A config node at {@code path} (empty for the root) over {@code values}, which is copied. */
    public static Config of(String path, Map<String, ?> values) {
        requireNonNull(path, "path is null");
        requireNonNull(values, "values is null");
        return new Config(path, Collections.unmodifiableMap(new LinkedHashMap<>(values)));
    }

    /** An empty node at {@code path}. */
    public static Config empty(String path) {
        return of(path, Map.of());
    }

    /** Where this node sits in the whole config, e.g. {@code targets.embedder.policy}. */
    public String path() {
        return path;
    }

    /** The path of {@code key} below this node. */
    public String pathOf(String key) {
        return path.isEmpty() ? key : path + "." + key;
    }

    /** The keys present, in file order. */
    public Set<String> keys() {
        return values.keySet();
    }

    public boolean has(String key) {
        return values.containsKey(key) && values.get(key) != null;
    }

    /** The raw values, unmodifiable. */
    public Map<String, Object> asMap() {
        return values;
    }

    /**
     * Fails when a key is not in {@code allowed}, naming every such key with the closest allowed
     * one (one {@link ZeroscaleException#problems() problem} per key).
     *
     * @throws ZeroscaleException {@code CONFIG_INVALID}
     */
    public Config requireOnlyKeys(Set<String> allowed) {
        List<String> problems = new ArrayList<>();
        for (String key : values.keySet()) {
            if (!allowed.contains(key)) {
                problems.add(pathOf(key) + ": unknown key; " + suggestion(key, allowed));
            }
        }
        if (!problems.isEmpty()) {
            throw new ZeroscaleException(CONFIG_INVALID, problems, null);
        }
        return this;
    }

    /**
     * "did you mean 'x'?" for the closest of {@code candidates}, or "valid keys are [a, b]". Any
     * thread; pure.
     */
    public static String suggestion(String given, Set<String> candidates) {
        return suggestion(given, candidates, "valid keys are");
    }

    /**
     * "did you mean 'x'?" for the closest of {@code candidates}; when none is close, {@code
     * listIntro} followed by every candidate, sorted: {@code suggestion("lru", names, "use one of")}
     * gives "use one of [least-requests, round-robin]". The one wording of every did-you-mean of
     * Zeroscale. Any thread; pure.
     */
    public static String suggestion(String given, Set<String> candidates, String listIntro) {
        return didYouMean(given, candidates).orElseGet(() -> listIntro + " " + new TreeSet<>(candidates));
    }

    /**
     * "did you mean 'x'?" when one of {@code candidates} is within a few typos of {@code given}
     * (a swap of two neighbours is one), else empty: for messages that list the choices their own
     * way. Any thread; pure.
     */
    public static Optional<String> didYouMean(String given, Set<String> candidates) {
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        for (String candidate : new TreeSet<>(candidates)) {
            int distance = editDistance(given, candidate);
            if (distance < bestDistance) {
                best = candidate;
                bestDistance = distance;
            }
        }
        if (best != null && bestDistance <= Math.max(2, given.length() / 3)) {
            return Optional.of("did you mean '" + best + "'?");
        }
        return Optional.empty();
    }

    public String requireString(String key) {
        return string(key).orElseThrow(() -> missing(key, "a string"));
    }

    public Optional<String> string(String key) {
        Object value = values.get(key);
        if (value == null) {
            return Optional.empty();
        }
        if (value instanceof String || value instanceof Number || value instanceof Boolean) {
            return Optional.of(value.toString());
        }
        throw invalid(key, "expected a string, got " + describe(value));
    }

    public String string(String key, String defaultValue) {
        return string(key).orElse(defaultValue);
    }

    public Optional<Long> longValue(String key) {
        Object value = values.get(key);
        if (value == null) {
            return Optional.empty();
        }
        if (value instanceof Number number && number.doubleValue() == Math.rint(number.doubleValue())) {
            return Optional.of(number.longValue());
        }
        if (value instanceof String text) {
            try {
                return Optional.of(Long.parseLong(text.trim()));
            } catch (NumberFormatException e) {
                // fall through to the error below
            }
        }
        throw invalid(key, "expected a whole number, got " + describe(value));
    }

    public int integer(String key, int defaultValue) {
        return longValue(key).map(Config::toInt).orElse(defaultValue);
    }

    public int requireInteger(String key) {
        return longValue(key).map(Config::toInt).orElseThrow(() -> missing(key, "a whole number"));
    }

    public Optional<Double> doubleValue(String key) {
        Object value = values.get(key);
        if (value == null) {
            return Optional.empty();
        }
        if (value instanceof Number number) {
            return Optional.of(number.doubleValue());
        }
        if (value instanceof String text) {
            try {
                return Optional.of(Double.parseDouble(text.trim()));
            } catch (NumberFormatException e) {
                // fall through to the error below
            }
        }
        throw invalid(key, "expected a number, got " + describe(value));
    }

    public double doubleValue(String key, double defaultValue) {
        return doubleValue(key).orElse(defaultValue);
    }

    public boolean bool(String key, boolean defaultValue) {
        Object value = values.get(key);
        if (value == null) {
            return defaultValue;
        }
        if (value instanceof Boolean flag) {
            return flag;
        }
        if (value instanceof String text && (text.equals("true") || text.equals("false"))) {
            return Boolean.parseBoolean(text);
        }
        throw invalid(key, "expected true or false, got " + describe(value));
    }

    /** A duration such as {@code 30s} or {@code 5m} (see {@link Durations}); must not be negative. */
    public Optional<Duration> duration(String key) {
        Optional<String> text = string(key);
        if (text.isEmpty()) {
            return Optional.empty();
        }
        try {
            return Optional.of(Durations.parse(text.get()));
        } catch (IllegalArgumentException e) {
            // Durations.parse always says what is wrong; the fallback only keeps a message if it did not.
            throw invalid(key, requireNonNullElse(e.getMessage(), "'" + text.get() + "' is not a duration"));
        }
    }

    public Duration duration(String key, Duration defaultValue) {
        return duration(key).orElse(defaultValue);
    }

    public Duration requireDuration(String key) {
        return duration(key).orElseThrow(() -> missing(key, "a duration such as 30s or 5m"));
    }

    /** A list of strings; a single string is read as a one-element list. */
    public List<String> stringList(String key) {
        Object value = values.get(key);
        if (value == null) {
            return List.of();
        }
        if (value instanceof String text) {
            return List.of(text);
        }
        if (value instanceof List<?> list) {
            List<String> out = new ArrayList<>(list.size());
            for (int i = 0; i < list.size(); i++) {
                Object item = list.get(i);
                if (!(item instanceof String || item instanceof Number || item instanceof Boolean)) {
                    throw invalid(key + "[" + i + "]", "expected a string, got " + describe(item));
                }
                out.add(item.toString());
            }
            return List.copyOf(out);
        }
        throw invalid(key, "expected a list of strings, got " + describe(value));
    }

    /** A map of string values (e.g. environment variables or labels). */
    public Map<String, String> stringMap(String key) {
        Config child = child(key);
        Map<String, String> out = new LinkedHashMap<>();
        for (String name : child.keys()) {
            out.put(name, child.requireString(name));
        }
        return Collections.unmodifiableMap(out);
    }

    /** The child node at {@code key}, or an empty node when the key is absent. */
    public Config child(String key) {
        return optionalChild(key).orElseGet(() -> empty(pathOf(key)));
    }

    public Config requireChild(String key) {
        return optionalChild(key).orElseThrow(() -> missing(key, "a mapping"));
    }

    public Optional<Config> optionalChild(String key) {
        Object value = values.get(key);
        if (value == null) {
            return Optional.empty();
        }
        if (value instanceof Map<?, ?> map) {
            return Optional.of(of(pathOf(key), stringKeys(key, map)));
        }
        throw invalid(key, "expected a mapping of keys to values, got " + describe(value));
    }

    /** Every value of this node as a child node, by key, e.g. the entries of {@code targets}. */
    public Map<String, Config> children() {
        Map<String, Config> out = new LinkedHashMap<>();
        for (String key : values.keySet()) {
            out.put(key, requireChild(key));
        }
        return Collections.unmodifiableMap(out);
    }

    /** An error about {@code key} of this node: "path.key: problem". */
    public ZeroscaleException invalid(String key, String problem) {
        return new ZeroscaleException(CONFIG_INVALID, pathOf(key) + ": " + problem);
    }

    /** An error about this node as a whole. */
    public ZeroscaleException invalid(String problem) {
        return new ZeroscaleException(CONFIG_INVALID, (path.isEmpty() ? "config" : path) + ": " + problem);
    }

    private ZeroscaleException missing(String key, String what) {
        return invalid(key, "required key is missing; add " + what);
    }

    private Map<String, Object> stringKeys(String key, Map<?, ?> map) {
        Map<String, Object> out = new LinkedHashMap<>();
        for (Map.Entry<?, ?> entry : map.entrySet()) {
            if (!(entry.getKey() instanceof String name)) {
                throw invalid(key, "keys must be strings, got " + describe(entry.getKey()));
            }
            out.put(name, entry.getValue());
        }
        return out;
    }

    private static int toInt(long value) {
        return Math.toIntExact(value);
    }

    private static String describe(@Nullable Object value) {
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

    /** Optimal string alignment distance: a swap of two neighbours counts as one typo. */
    private static int editDistance(String a, String b) {
        int[][] d = new int[a.length() + 1][b.length() + 1];
        for (int i = 0; i <= a.length(); i++) {
            d[i][0] = i;
        }
        for (int j = 0; j <= b.length(); j++) {
            d[0][j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                d[i][j] = Math.min(Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1), d[i - 1][j - 1] + cost);
                if (i > 1 && j > 1 && a.charAt(i - 1) == b.charAt(j - 2) && a.charAt(i - 2) == b.charAt(j - 1)) {
                    d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
                }
            }
        }
        return d[a.length()][b.length()];
    }

    /**
     * Equal when the path and every value are equal (maps compared as maps, so key order does not
     * matter): how a reload tells a changed target from an unchanged one.
     */
    @Override
    public boolean equals(@Nullable Object other) {
        return other instanceof Config that && path.equals(that.path) && values.equals(that.values);
    }

    @Override
    public int hashCode() {
        return 31 * path.hashCode() + values.hashCode();
    }

    @Override
    public String toString() {
        return (path.isEmpty() ? "<root>" : path) + "=" + values;
    }
}
