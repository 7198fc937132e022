package io.courier.nats;

import io.nats.client.Connection;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The JetStream acknowledgement protocol, published to a delivery's ack subject: {@code +ACK} (done), {@code -NAK}
 * with an optional {@code {"delay": ns}} (redeliver, not before the delay), {@code +WPI} (in progress: the server
 * restarts the ack timer). Fire-and-forget like jnats' own {@code ack()}: a lost ack only means a redelivery, which
 * the contract allows (C5). A closed connection makes them no-ops.
 */
final class Acks {
    private static final Logger log = LoggerFactory.getLogger(Acks.class);
    private static final byte[] ACK = "+ACK".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] NAK = "-NAK".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] WPI = "+WPI".getBytes(StandardCharsets.US_ASCII);

    private Acks() {}

    static void ack(Connection nc, String ackSubject) { send(nc, ackSubject, ACK); }

    static void inProgress(Connection nc, String ackSubject) { send(nc, ackSubject, WPI); }

    static void nak(Connection nc, String ackSubject, Duration delay) {
        if (delay == null || delay.isZero() || delay.isNegative()) {
            send(nc, ackSubject, NAK);
        } else {
            send(nc, ackSubject, ("-NAK {\"delay\": " + delay.toNanos() + "}").getBytes(StandardCharsets.US_ASCII));
        }
    }

    private static void send(Connection nc, String subject, byte[] body) {
        try {
            nc.publish(subject, body);
        } catch (RuntimeException e) {
            log.debug("settlement not sent to {} ({}): the server redelivers after the ack wait", subject, e.toString());
        }
    }
}
