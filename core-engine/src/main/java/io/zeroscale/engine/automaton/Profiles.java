package io.zeroscale.engine.automaton;

import static io.zeroscale.engine.automaton.CustomAutomatonDefinition.invalid;
import static java.util.Objects.requireNonNull;

import io.zeroscale.spi.Config;
import io.zeroscale.spi.orchestrator.ResourceProfile;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Reads {@code profile: { name, cpus, memory, gpus }} into a {@link ResourceProfile}. */
final class Profiles {
    private static final Set<String> KEYS = Set.of("name", "cpus", "memory", "gpus");
    private static final Pattern MEMORY = Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*(Ki|Mi|Gi|Ti|k|M|G|T)?");
    private static final Map<String, Long> UNITS = Map.of(
            "Ki", 1L << 10,
            "Mi", 1L << 20,
            "Gi", 1L << 30,
            "Ti", 1L << 40,
            "k", 1_000L,
            "M", 1_000_000L,
            "G", 1_000_000_000L,
            "T", 1_000_000_000_000L);

    private Profiles() {}

    /** {@code defaultName} names the profile when the config does not. */
    static ResourceProfile read(Config node, String defaultName) {
        node.requireOnlyKeys(KEYS);
        String name = node.string("name", defaultName);
        Double cpus = node.doubleValue("cpus").orElse(null);
        if (cpus != null && !(cpus > 0)) {
            throw invalid(node.pathOf("cpus"), "must be a positive number of cores, e.g. 0.5 or 2, got " + cpus);
        }
        Long memory = node.string("memory").map(text -> memoryBytes(node.pathOf("memory"), text)).orElse(null);
        Integer gpus = node.longValue("gpus").map(Math::toIntExact).orElse(null);
        if (gpus != null && gpus < 0) {
            throw invalid(node.pathOf("gpus"), "must not be negative, got " + gpus);
        }
        if (cpus == null && memory == null && gpus == null) {
            throw invalid(node.path(), "a profile sets at least one of cpus, memory, gpus; add one, e.g."
                    + " { cpus: 0.5, memory: 512Mi }");
        }
        return new ResourceProfile(name, cpus, memory, gpus);
    }

    /** Bytes of a Kubernetes-style quantity: 512Mi, 2Gi, 1.5G, or plain bytes. */
    static long memoryBytes(String path, String text) {
        Matcher matcher = MEMORY.matcher(text.trim());
        String fix = "; write bytes or a number with a unit: Ki, Mi, Gi, Ti (powers of 1024) or k, M, G, T"
                + " (powers of 1000), e.g. 512Mi or 2Gi";
        if (!matcher.matches()) {
            throw invalid(path, "'" + text + "' is not a memory size" + fix);
        }
        String unitText = matcher.group(2);
        // The pattern's unit group only matches keys of UNITS.
        long unit = unitText == null ? 1 : requireNonNull(UNITS.get(unitText), unitText);
        try {
            long bytes = new BigDecimal(matcher.group(1))
                    .multiply(BigDecimal.valueOf(unit))
                    .setScale(0, RoundingMode.CEILING)
                    .longValueExact();
            if (bytes <= 0) {
                throw invalid(path, "'" + text + "' is not a positive memory size" + fix);
            }
            return bytes;
        } catch (ArithmeticException e) {
            throw invalid(path, "'" + text + "' is too large a memory size" + fix);
        }
    }
}
