package io.courier.nats;

import io.courier.Message;
import io.courier.spi.Received;

/**
 * One JetStream delivery: the message, its attempt (the consumer's {@code deliveredCount}, C15), the ack subject
 * that settles it, and when the server's ack timer was last reset. Its lease is in the receiver's lease table.
 */
final class NatsDelivery implements Received {
    final Message message;
    final int attempt;
    final String ackSubject;
    final PullSource source;
    /** Last time the server's ack timer was reset (delivery or +WPI), nanoTime. */
    volatile long touchedNanos;

    NatsDelivery(Message message, int attempt, String ackSubject, PullSource source) {
        this.message = message;
        this.attempt = attempt;
        this.ackSubject = ackSubject;
        this.source = source;
        this.touchedNanos = System.nanoTime();
    }

    @Override public Message message() { return message; }

    @Override public int attempt() { return attempt; }

    @Override
    public String toString() { return "NatsDelivery[" + message.id() + ", attempt=" + attempt + "]"; }
}
