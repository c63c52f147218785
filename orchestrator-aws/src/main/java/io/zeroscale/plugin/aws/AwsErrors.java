package io.zeroscale.plugin.aws;

import io.zeroscale.spi.ZeroscaleException;
import java.util.Locale;
import java.util.Set;
import java.util.function.Supplier;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.exception.SdkException;

/**
 * Turns the SDK's exceptions into {@link ZeroscaleException}s whose type says whether retrying can
 * help: throttling and outages are {@code EXTERNAL} (the engine retries them), invalid values,
 * missing permissions and bad credentials are {@code USER_ERROR} and say what to fix. Stateless.
 */
final class AwsErrors {
    /** Error codes AWS uses for throttling across services (Auto Scaling, EC2, JSON APIs). */
    static final Set<String> THROTTLING = Set.of("Throttling", "ThrottlingException", "RequestLimitExceeded",
            "TooManyRequestsException", "RequestThrottled", "RequestThrottledException", "SlowDown");
    static final Set<String> ACCESS = Set.of("AccessDenied", "AccessDeniedException", "UnauthorizedOperation");
    static final Set<String> CREDENTIALS = Set.of("InvalidClientTokenId", "UnrecognizedClientException",
            "SignatureDoesNotMatch", "ExpiredToken", "ExpiredTokenException", "AuthFailure", "MissingAuthenticationToken");
    static final Set<String> VALIDATION = Set.of("ValidationError", "ValidationException", "InvalidParameterValue",
            "InvalidParameterCombination", "InvalidParameter", "MissingParameter",
            // ECS: a bad value, or a cluster or service that does not exist (or no longer does).
            "InvalidParameterException", "ClientException", "ClusterNotFoundException", "ServiceNotFoundException",
            "ServiceNotActiveException",
            // ELBv2: a target group (target-group-arn) that does not exist.
            "TargetGroupNotFound");
    static final Set<String> PASSING = Set.of("ScalingActivityInProgress", "ResourceContention", "ServiceLinkedRoleFailure");

    private AwsErrors() {}

    /**
     * Runs one SDK call described as {@code what} ("SetDesiredCapacity of group web"); on a
     * validation error the message points at {@code fix} (the config key to check).
     */
    static <T> T call(String what, String fix, Supplier<T> call) {
        try {
            return call.get();
        } catch (SdkException e) {
            throw map(what, fix, e);
        }
    }

    static ZeroscaleException map(String what, String fix, SdkException e) {
        if (e instanceof AwsServiceException service) {
            String code = service.awsErrorDetails() == null ? "" : String.valueOf(service.awsErrorDetails().errorCode());
            String message = service.awsErrorDetails() == null ? String.valueOf(e.getMessage())
                    : String.valueOf(service.awsErrorDetails().errorMessage());
            if (THROTTLING.contains(code) || service.isThrottlingException()) {
                return new ZeroscaleException(AwsErrorCode.THROTTLED,
                        what + ": AWS throttled the call (" + code + "); the engine retries it with backoff", e);
            }
            if (ACCESS.contains(code)) {
                return new ZeroscaleException(AwsErrorCode.ACCESS_DENIED, what + ": access denied (" + message
                        + "); grant the daemon's role the actions in deploy/aws/iam-policy.json", e);
            }
            if (CREDENTIALS.contains(code)) {
                return new ZeroscaleException(AwsErrorCode.BAD_CREDENTIALS, what + ": AWS refused the credentials (" + code
                        + ": " + message + "); check the SDK's default chain (AWS_ACCESS_KEY_ID, AWS_PROFILE, the instance role)", e);
            }
            if (VALIDATION.contains(code)) {
                return new ZeroscaleException(AwsErrorCode.INVALID_REQUEST,
                        what + ": AWS refused it as invalid (" + message + "); check " + fix, e);
            }
            if (PASSING.contains(code)) {
                return new ZeroscaleException(AwsErrorCode.AWS_REJECTED, what + ": " + code + ": " + message, e);
            }
            if (service.statusCode() >= 500) {
                return new ZeroscaleException(AwsErrorCode.AWS_UNAVAILABLE,
                        what + ": AWS answered " + service.statusCode() + " (" + code + ": " + message + ")", e);
            }
            return new ZeroscaleException(AwsErrorCode.AWS_REJECTED,
                    what + ": AWS answered " + service.statusCode() + " (" + code + ": " + message + ")", e);
        }
        if (e instanceof SdkClientException && String.valueOf(e.getMessage()).toLowerCase(Locale.ROOT).contains("credentials")) {
            return new ZeroscaleException(AwsErrorCode.BAD_CREDENTIALS, what + ": no AWS credentials found (" + e.getMessage()
                    + "); set them up for the SDK's default chain (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE, an instance role)", e);
        }
        return new ZeroscaleException(AwsErrorCode.AWS_UNAVAILABLE, what + ": AWS could not be reached: " + e.getMessage(), e);
    }
}
