package io.zeroscale.gateway;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Sizes as users write them in config: a whole number of bytes, optionally followed by a unit:
 * {@code B}, {@code KiB}/{@code MiB}/{@code GiB} (powers of 1024) or {@code KB}/{@code MB}/{@code GB}
 * (powers of 1000), e.g. {@code 8KiB}, {@code 10MiB}, {@code 65536}.
 */
final class ByteSizes {
    private static final Pattern SIZE = Pattern.compile("(\\d+)\\s*([kmg]i?b|b)?");

    private ByteSizes() {}

    static long parse(String text) {
        Matcher matcher = SIZE.matcher(text.trim().toLowerCase(Locale.ROOT));
        if (!matcher.matches()) {
            throw new IllegalArgumentException("'" + text + "' is not a size; write a whole number of bytes,"
                    + " optionally with a unit (B, KiB, MiB, GiB, KB, MB, GB), e.g. 8KiB or 10MiB");
        }
        long amount;
        try {
            amount = Long.parseLong(matcher.group(1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + text + "' is too large", e);
        }
        String unit = matcher.group(2) == null ? "b" : matcher.group(2);
        long factor = switch (unit) {
            case "b" -> 1L;
            case "kb" -> 1000L;
            case "kib" -> 1024L;
            case "mb" -> 1000L * 1000;
            case "mib" -> 1024L * 1024;
            case "gb" -> 1000L * 1000 * 1000;
            case "gib" -> 1024L * 1024 * 1024;
            default -> throw new IllegalStateException("unit " + unit);
        };
        try {
            return Math.multiplyExact(amount, factor);
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException("'" + text + "' is too large", e);
        }
    }

    /** The shortest exact spelling, e.g. {@code 8KiB}, for messages and docs. */
    static String format(long bytes) {
        if (bytes > 0 && bytes % (1024L * 1024 * 1024) == 0) {
            return bytes / (1024L * 1024 * 1024) + "GiB";
        }
        if (bytes > 0 && bytes % (1024L * 1024) == 0) {
            return bytes / (1024L * 1024) + "MiB";
        }
        if (bytes > 0 && bytes % 1024 == 0) {
            return bytes / 1024 + "KiB";
        }
        return bytes + "B";
    }
}
