package io.courier.kafka;

import io.courier.AuthenticationException;
import io.courier.CourierException;
import io.courier.InvalidUrlException;
import io.courier.PayloadTooLargeException;
import io.courier.TransportUnavailableException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.InvalidProducerEpochException;
import org.apache.kafka.common.errors.OutOfOrderSequenceException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.apache.kafka.common.errors.TimeoutException;

/** Maps kafka-clients exceptions onto Courier's typed errors (C14), naming the problem and the fix. */
final class Errors {
    private Errors() {}

    static Throwable unwrap(Throwable t) {
        while ((t instanceof ExecutionException || t instanceof CompletionException) && t.getCause() != null) t = t.getCause();
        return t;
    }

    /** A send failure of one message. */
    static CourierException send(Throwable failure, KafkaSettings s, String messageId, String topic, long size, long limit) {
        Throwable t = unwrap(failure);
        if (t instanceof CourierException ce) return ce;
        if (t instanceof RecordTooLargeException) {
            return new PayloadTooLargeException(messageId, size, limit,
                    "Kafka record size: producer max.request.size=" + s.maxRequestSize + " (parameter max-request-size) and the broker's message.max.bytes / topic max.message.bytes");
        }
        if (t instanceof OutOfOrderSequenceException || t instanceof InvalidProducerEpochException) {
            // the idempotent producer's batch was refused after a leader change (its sequence or epoch no longer
            // matches the new leader's state); the producer resets itself, and sending again is safe (at worst a duplicate)
            return new TransportUnavailableException("send of message " + messageId + " to topic " + topic + " was refused by Kafka at "
                    + s.bootstrap + " after a partition leader change (" + t.getClass().getSimpleName() + ": " + t.getMessage()
                    + "); send it again (at worst a duplicate)", t);
        }
        return general(t, s, "send of message " + messageId + " to topic " + topic);
    }

    /**
     * The creation of {@code topic} refused because fewer brokers than the replication factor are registered: with an
     * explicit {@code replication-factor} larger than the cluster, a URL to fix; otherwise brokers are missing for now.
     */
    static CourierException replication(Throwable t, KafkaSettings s, int rf, int brokers, String topic) {
        String why = "topic " + topic + " cannot be created with " + rf + " replicas at Kafka at " + s.bootstrap + " (" + t.getMessage() + ")";
        if (s.replicationFactor > 0 && s.replicationFactor > brokers) {
            return new InvalidUrlException("replication-factor=" + rf + " is more than the " + brokers + " brokers of the cluster: " + why
                    + "; write replication-factor=" + brokers + " or fewer, or leave it out (the smaller of 3 and the number of brokers)");
        }
        return new TransportUnavailableException(why + ": fewer brokers are alive than when Courier connected; bring them back, then send again", t);
    }

    /** Any other failure while talking to the cluster. */
    static CourierException general(Throwable failure, KafkaSettings s, String what) {
        Throwable t = unwrap(failure);
        if (t instanceof CourierException ce) return ce;
        String where = "Kafka at " + s.bootstrap;
        if (t instanceof SaslAuthenticationException || t instanceof org.apache.kafka.common.errors.AuthenticationException) {
            return new AuthenticationException(where + " refused the credentials of user '" + s.url.user() + "' ("
                    + s.securityProtocol() + "): check the user and password in the URL and the sasl-mechanism parameter", t);
        }
        if (t instanceof AuthorizationException) {
            return new CourierException(what + " was not authorised by " + where + ": grant the user '" + s.url.user()
                    + "' the ACLs for Courier's topics and consumer groups (prefix '" + s.topicPrefix + "')", t);
        }
        if (t instanceof TimeoutException || t instanceof RetriableException) {
            return new TransportUnavailableException(what + " failed: " + where + " did not answer in time ("
                    + t.getClass().getSimpleName() + ": " + t.getMessage() + "); is the broker running and reachable?", t);
        }
        return new CourierException(what + " failed at " + where + ": " + t, t);
    }
}
