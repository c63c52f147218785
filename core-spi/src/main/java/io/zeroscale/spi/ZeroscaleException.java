package io.zeroscale.spi;

import static java.util.Objects.requireNonNull;

import org.jspecify.annotations.Nullable;

/**
 * The one unchecked exception of Zeroscale. The message is written for the user: it names what was
 * wrong (for config, the path of the key) and how to fix it.
 */
public class ZeroscaleException extends RuntimeException {
    private final ErrorCode errorCode;

    public ZeroscaleException(ErrorCode errorCode, String message) {
        this(errorCode, message, null);
    }

    public ZeroscaleException(ErrorCode errorCode, String message, @Nullable Throwable cause) {
        super(requireNonNull(message, "message is null"), cause);
        this.errorCode = requireNonNull(errorCode, "errorCode is null");
    }

    /** The code, whose {@link ErrorCode#type()} says whether retrying can help. */
    public ErrorCode errorCode() {
        return errorCode;
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
