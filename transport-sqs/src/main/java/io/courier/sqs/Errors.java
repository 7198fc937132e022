package io.courier.sqs;

import io.courier.AuthenticationException;
import io.courier.CourierException;
import io.courier.TransportUnavailableException;
import java.util.Set;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.exception.SdkClientException;

/** SDK exceptions as Courier's typed errors (C14), naming the problem and the fix, never the secret key. */
final class Errors {
    private static final Set<String> AUTH = Set.of("InvalidClientTokenId", "SignatureDoesNotMatch", "AccessDenied",
            "AccessDeniedException", "UnrecognizedClientException", "MissingAuthenticationToken", "InvalidAccessKeyId");

    private Errors() {}

    /** Whether {@code t} means SQS could not be reached (worth retrying), rather than a refusal. */
    static boolean unreachable(Throwable t) {
        return t instanceof SdkClientException && !(t instanceof AwsServiceException);
    }

    static CourierException of(Throwable t, SqsSettings s, String what) {
        if (t instanceof CourierException c) return c;
        if (unreachable(t)) {
            return new TransportUnavailableException(what + " failed: " + s.where() + " is not reachable (" + rootMessage(t) + "); " + s.hint(), t);
        }
        if (t instanceof AwsServiceException e) {
            String code = e.awsErrorDetails() != null ? e.awsErrorDetails().errorCode() : String.valueOf(e.statusCode());
            String text = e.awsErrorDetails() != null ? e.awsErrorDetails().errorMessage() : e.getMessage();
            if (AUTH.contains(code) || e.statusCode() == 401 || e.statusCode() == 403) {
                return new AuthenticationException(what + " failed: " + s.where() + " refused the credentials"
                        + (s.accessKey != null ? " of access key " + s.accessKey : " of the default credentials chain") + " (" + code
                        + "): check the URL's user (access key id) and password (secret key), or the credentials chain");
            }
            return new CourierException(what + " failed: " + s.where() + " answered " + code + ": " + text);
        }
        return new CourierException(what + " failed: " + rootMessage(t), t);
    }

    static String rootMessage(Throwable t) {
        Throwable r = t;
        while (r.getCause() != null && r.getCause() != r) r = r.getCause();
        return r.getMessage() != null ? r.getMessage() : r.getClass().getSimpleName();
    }
}
