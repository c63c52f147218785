package io.zeroscale.daemon.config;

import static io.zeroscale.spi.StandardErrorCode.CONFIG_INVALID;
import static java.util.Objects.requireNonNull;

import io.zeroscale.spi.ZeroscaleException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Replaces {@code ${NAME}} and {@code ${NAME:-default}} in every string value of a parsed config
 * tree, so secrets stay out of the file. <code>$${</code> writes a literal <code>${</code>. Values stay
 * strings; a key without a value counts as absent. Substituting in the parsed tree (not the raw text) means a secret full of YAML
 * punctuation cannot change the document's structure.
 */
final class EnvSubstitution {
    private static final Pattern REFERENCE = Pattern.compile("\\$\\$\\{|\\$\\{([^}]*)}");
    private static final Pattern NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_.]*");

    private final Function<String, String> lookup;

    /** @param lookup the variables, e.g. {@code System::getenv}; returns null for an unset one */
    EnvSubstitution(Function<String, String> lookup) {
        this.lookup = requireNonNull(lookup, "lookup is null");
    }

    /** A copy of {@code tree} with every reference replaced. */
    Map<String, Object> apply(Map<String, Object> tree) {
        return map("", tree);
    }

    private Map<String, Object> map(String path, Map<?, ?> node) {
        Map<String, Object> out = new LinkedHashMap<>();
        for (Map.Entry<?, ?> entry : node.entrySet()) {
            String key = String.valueOf(entry.getKey());
            // "metrics:" with every entry commented out is an empty section, not an error.
            if (entry.getValue() != null) {
                out.put(key, value(path.isEmpty() ? key : path + "." + key, entry.getValue()));
            }
        }
        return out;
    }

    private Object value(String path, Object value) {
        if (value instanceof Map<?, ?> map) {
            return map(path, map);
        }
        if (value instanceof List<?> list) {
            List<Object> out = new ArrayList<>(list.size());
            for (int i = 0; i < list.size(); i++) {
                out.add(value(path + "[" + i + "]", list.get(i)));
            }
            return out;
        }
        if (value instanceof String text) {
            return substitute(path, text);
        }
        return value;
    }

    String substitute(String path, String text) {
        if (!text.contains("${")) {
            return text;
        }
        Matcher matcher = REFERENCE.matcher(text);
        StringBuilder out = new StringBuilder();
        while (matcher.find()) {
            String replacement;
            if (matcher.group().equals("$${")) {
                replacement = "${";
            } else {
                replacement = resolve(path, matcher.group(1));
            }
            matcher.appendReplacement(out, Matcher.quoteReplacement(replacement));
        }
        matcher.appendTail(out);
        return out.toString();
    }

    private String resolve(String path, String reference) {
        int separator = reference.indexOf(":-");
        String name = separator < 0 ? reference : reference.substring(0, separator);
        if (!NAME.matcher(name).matches()) {
            throw new ZeroscaleException(CONFIG_INVALID, path + ": '${" + reference + "}' is not a variable reference;"
                    + " write ${NAME} or ${NAME:-default} (names are letters, digits and _), or $${ for a literal ${");
        }
        String value = lookup.apply(name);
        if (value != null && !value.isEmpty()) {
            return value;
        }
        if (separator >= 0) {
            return reference.substring(separator + 2);
        }
        throw new ZeroscaleException(CONFIG_INVALID, path + ": environment variable " + name
                + " is not set; export " + name + "=... before starting, or give a default: ${" + name + ":-value}");
    }
}
