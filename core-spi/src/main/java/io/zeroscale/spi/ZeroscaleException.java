package io.zeroscale.spi;

import static java.util.Objects.requireNonNull;

import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The one unchecked exception of Zeroscale. The message is written for the user: it names what was
 * wrong (for config, the path of the key) and how to fix it.
 *
 * <p>One exception may carry several problems (a config file with four mistakes is reported as
 * one exception with four {@link #problems()}); its message is then the problems, one a line.
 */
public class ZeroscaleException extends RuntimeException {
    private final ErrorCode errorCode;
    private final List<String> problems;

    public ZeroscaleException(ErrorCode errorCode, String message) {
        this(errorCode, message, null);
    }

    public ZeroscaleException(ErrorCode errorCode, String message, @Nullable Throwable cause) {
        this(errorCode, List.of(requireNonNull(message, "message is null")), cause);
    }

    /**
     * An exception reporting every one of {@code problems} (each "path: problem; fix").
     *
     * @throws IllegalArgumentException when {@code problems} is empty
     */
    public ZeroscaleException(ErrorCode errorCode, List<String> problems, @Nullable Throwable cause) {
        super(String.join("\n", nonEmpty(problems)), cause);
        this.errorCode = requireNonNull(errorCode, "errorCode is null");
        this.problems = List.copyOf(problems);
    }

    private static List<String> nonEmpty(List<String> problems) {
        if (requireNonNull(problems, "problems is null").isEmpty()) {
            throw new IllegalArgumentException("an exception reports at least one problem");
        }
        return problems;
    }

    /** The code, whose {@link ErrorCode#type()} says whether retrying can help. */
    public ErrorCode errorCode() {
        return errorCode;
    }

    /** Each problem this exception reports, in order; one element unless several were collected. */
    public List<String> problems() {
        return problems;
    }

    /**
     * The message for the user, as given to the constructor. Never null: the constructors refuse a
     * null message, so callers need no null check. Thread-safe, no side effects.
     */
    @Override
    public String getMessage() {
        return requireNonNull(super.getMessage(), "message is null");
    }
}
