package io.zeroscale.daemon.api;

/** A request the API refuses, with the status and a message that names the bad part and the fix. */
final class ApiException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final int status;
    private final String error;

    ApiException(int status, String error, String message) {
        super(message);
        this.status = status;
        this.error = error;
    }

    /** Never null: every constructor call passes the message the client reads. */
    @Override
    public String getMessage() {
        return java.util.Objects.requireNonNull(super.getMessage(), "message is null");
    }

    static ApiException badRequest(String message) {
        return new ApiException(400, "bad_request", message);
    }

    static ApiException notFound(String message) {
        return new ApiException(404, "not_found", message);
    }

    int status() {
        return status;
    }

    String error() {
        return error;
    }
}
