package io.zeroscale.engine;

import static io.zeroscale.spi.StandardErrorCode.CONFIG_INVALID;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.zeroscale.spi.Config;
import io.zeroscale.spi.ZeroscaleException;
import java.util.Map;

/** Reads YAML text into a {@link Config} tree with Jackson. */
public final class YamlConfig {
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    private YamlConfig() {}

    /**
     * Parses {@code text} (a YAML mapping) as the config node at {@code path}.
     *
     * @param source where the text came from, for error messages (a file name)
     * @throws ZeroscaleException {@code CONFIG_INVALID} with the line and column of a syntax error
     */
    public static Config parse(String text, String source, String path) {
        try {
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
}
