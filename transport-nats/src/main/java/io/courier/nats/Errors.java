package io.courier.nats;

import io.courier.AuthenticationException;
import io.courier.CourierException;
import io.courier.TransportUnavailableException;
import io.nats.client.JetStreamApiException;
import java.io.IOException;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;

/** Maps jnats exceptions onto Courier's typed errors (C14), naming the problem and the fix, never a secret. */
final class Errors {
    static final String HOW_TO_START = "is nats-server running with JetStream (-js)?";

    private Errors() {}

    /**
     * The failure itself, past the futures' wrappers and past the bare {@code RuntimeException} in which jnats wraps an
     * I/O failure of an asynchronous publish (e.g. "Error Publishing: 503 No Responders" while JetStream restarts).
     */
    static Throwable unwrap(Throwable t) {
        while (t.getCause() != null && (t instanceof ExecutionException || t instanceof CompletionException
                || (t.getClass() == RuntimeException.class && t.getCause() instanceof IOException))) t = t.getCause();
        return t;
    }

    /** A failure of {@code Nats.connect}. */
    static CourierException connect(Throwable failure, NatsSettings s) {
        Throwable t = unwrap(failure);
        if (t instanceof io.nats.client.AuthenticationException || String.valueOf(t.getMessage()).toLowerCase().contains("authorization violation")) {
            String who = s.url.user() == null ? "no credentials" : s.url.password() == null ? "a token" : "user '" + s.url.user() + "'";
            return new AuthenticationException(s.where() + " refused the connection with " + who
                    + ": check the user and password (nats://user:password@host:4222) or token (nats://token@host:4222) in the URL", t);
        }
        return new TransportUnavailableException("cannot connect to " + s.where() + " within connect-timeout=" + s.connectTimeout
                + " (" + t.getClass().getSimpleName() + ": " + t.getMessage() + "); " + HOW_TO_START, t);
    }

    /** The status of a JetStream request that nobody answered (JetStream starting, or down). */
    static final int NO_RESPONDERS = 503;

    /** Any failure while talking to the server about {@code what}. */
    static CourierException general(Throwable failure, NatsSettings s, String what) {
        Throwable t = unwrap(failure);
        if (t instanceof CourierException ce) return ce;
        if (t instanceof TimeoutException || t instanceof CancellationException || t instanceof IOException
                || t instanceof IllegalStateException) {
            return new TransportUnavailableException(what + " failed: " + s.where() + " did not answer ("
                    + t.getClass().getSimpleName() + ": " + t.getMessage() + "); " + HOW_TO_START, t);
        }
        if (t instanceof JetStreamApiException api && api.getErrorCode() == NO_RESPONDERS) {
            // the server is up but JetStream is not (yet) answering: a restart in progress, C12
            return new TransportUnavailableException(what + " failed: JetStream on " + s.where() + " is not answering yet ("
                    + api.getMessage() + "); retry once it is up; " + HOW_TO_START, t);
        }
        if (t instanceof JetStreamApiException api) {
            return new CourierException(what + " was refused by " + s.where() + ": " + api.getMessage()
                    + " (JetStream error " + api.getApiErrorCode() + ")", t);
        }
        return new CourierException(what + " failed at " + s.where() + ": " + t, t);
    }
}
