package io.courier.rabbitmq;

import com.rabbitmq.client.AuthenticationFailureException;
import com.rabbitmq.client.PossibleAuthenticationFailureException;
import com.rabbitmq.client.ShutdownSignalException;
import io.courier.AuthenticationException;
import io.courier.CourierException;
import io.courier.InvalidUrlException;
import io.courier.TransportUnavailableException;
import java.io.IOException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;

/** Maps amqp-client failures onto Courier's typed errors (C14), naming the problem and the fix, never the password. */
final class Errors {
    private Errors() {}

    static Throwable unwrap(Throwable t) {
        while ((t instanceof ExecutionException || t instanceof CompletionException) && t.getCause() != null) t = t.getCause();
        return t;
    }

    /** The broker's reason text of a connection or channel close found in {@code t}'s causes, or null. */
    static String closeReason(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof ShutdownSignalException s && s.getReason() instanceof com.rabbitmq.client.Method m) {
                if (m instanceof com.rabbitmq.client.AMQP.Connection.Close cc) return cc.getReplyCode() + " " + cc.getReplyText();
                if (m instanceof com.rabbitmq.client.AMQP.Channel.Close ch) return ch.getReplyCode() + " " + ch.getReplyText();
            }
        }
        return null;
    }

    private static final java.util.regex.Pattern OVERSIZED =
            java.util.regex.Pattern.compile("message size (\\d+) is larger than configured max size (\\d+)");

    /**
     * The body size and the broker's limit from a channel closed for an oversized message
     * ({@code PRECONDITION_FAILED - message size N is larger than configured max size M}), or null.
     */
    static long[] oversized(String closeReason) {
        if (closeReason == null) return null;
        java.util.regex.Matcher m = OVERSIZED.matcher(closeReason);
        return m.find() ? new long[] {Long.parseLong(m.group(1)), Long.parseLong(m.group(2))} : null;
    }

    /** A failure to open the connection. */
    static CourierException open(Throwable failure, RabbitSettings s) {
        Throwable t = unwrap(failure);
        if (t instanceof CourierException ce) return ce;
        String reason = closeReason(t);
        if (t instanceof AuthenticationFailureException || t instanceof PossibleAuthenticationFailureException
                || (reason != null && reason.contains("ACCESS_REFUSED"))) {
            return new AuthenticationException(s.where() + " refused the credentials of user '" + s.user
                    + "': check the user and password in the URL (amqp://user:password@host:port/vhost)", t);
        }
        if (reason != null && reason.contains("NOT_ALLOWED")) {
            if (reason.contains("not found")) {
                return new InvalidUrlException("vhost '" + s.vhost + "' does not exist on " + s.where()
                        + ": create it (rabbitmqctl add_vhost " + s.vhost + ") or fix the URL's path (no path or /%2F is the default vhost /)");
            }
            return new AuthenticationException("user '" + s.user + "' may not use vhost '" + s.vhost + "' on " + s.where()
                    + ": grant access (rabbitmqctl set_permissions -p " + s.vhost + " " + s.user + " '.*' '.*' '.*')", t);
        }
        return unavailable("connecting", t, s);
    }

    /** The broker cannot be reached or the connection is gone. */
    static TransportUnavailableException unavailable(String what, Throwable t, RabbitSettings s) {
        String reason = closeReason(t);
        return new TransportUnavailableException(what + " failed: " + s.where() + " is not reachable ("
                + (reason != null ? reason : t.getClass().getSimpleName() + (t.getMessage() == null ? "" : ": " + t.getMessage()))
                + "); is the broker running and reachable?", t);
    }

    /** A refused queue or exchange declaration. */
    static CourierException declaration(Throwable failure, RabbitSettings s, String name) {
        Throwable t = unwrap(failure);
        if (t instanceof CourierException ce) return ce;
        String reason = closeReason(t);
        if (reason != null && reason.contains("PRECONDITION_FAILED")) {
            return new CourierException("RabbitMQ refused to declare '" + name + "' (" + reason + "): a queue or exchange of that name "
                    + "exists with other arguments; Courier needs a durable quorum queue: delete it or use another queue-prefix", t);
        }
        if (reason != null && reason.contains("ACCESS_REFUSED")) {
            return new AuthenticationException("user '" + s.user + "' may not declare '" + name + "' in vhost '" + s.vhost
                    + "' (" + reason + "): grant configure permission on '" + s.names.prefix + ".*'", t);
        }
        return general(t, s, "declaring '" + name + "'");
    }

    /** Any other failure while talking to the broker. */
    static CourierException general(Throwable failure, RabbitSettings s, String what) {
        Throwable t = unwrap(failure);
        if (t instanceof CourierException ce) return ce;
        if (t instanceof IOException || t instanceof ShutdownSignalException || t instanceof TimeoutException) {
            return unavailable(what, t, s);
        }
        return new CourierException(what + " failed at " + s.where() + ": " + t, t);
    }
}
