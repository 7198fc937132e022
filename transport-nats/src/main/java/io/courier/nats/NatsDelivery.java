package io.courier.nats;

import io.courier.Message;
import io.courier.spi.Received;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One JetStream delivery: the message, its attempt (the consumer's {@code deliveredCount}, C15), the ack subject
 * that settles it, and its lease as this receiver sees it (C6, C16). Settles at most once.
 */
final class NatsDelivery implements Received {
    final Message message;
    final int attempt;
    final String ackSubject;
    final PullSource source;
    final AtomicBoolean settled = new AtomicBoolean();
    /** End of the lease (nanoTime): unsettled by then, the delivery is released for redelivery. */
    volatile long leaseEndNanos;
    /** Last time the server's ack timer was reset (delivery or +WPI), nanoTime. */
    volatile long touchedNanos;

    NatsDelivery(Message message, int attempt, String ackSubject, PullSource source, Duration lease) {
        this.message = message;
        this.attempt = attempt;
        this.ackSubject = ackSubject;
        this.source = source;
        long now = System.nanoTime();
        this.touchedNanos = now;
        this.leaseEndNanos = now + lease.toNanos();
    }

    @Override public Message message() { return message; }

    @Override public int attempt() { return attempt; }

    @Override
    public String toString() { return "NatsDelivery[" + message.id() + ", attempt=" + attempt + "]"; }
}
