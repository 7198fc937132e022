package io.courier.rabbitmq;

import com.rabbitmq.client.AMQP;
import io.courier.Message;
import io.courier.spi.Received;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One delivery from a queue: the message, its attempt number, and what settling it needs (the delivery tag on the
 * receiver's channel, the channel generation it came on, its lease deadline). Settled at most once.
 */
final class RabbitDelivery implements Received {
    private final Message message;
    private final int attempt;
    final long tag;
    final long generation;
    final String queue;
    final AMQP.BasicProperties properties;
    final byte[] body;
    private final AtomicBoolean settled = new AtomicBoolean();
    /** System.nanoTime() after which the delivery is released for redelivery (C6). */
    volatile long leaseEndNanos;
    /** System.nanoTime() of its arrival in the receiver's buffer. */
    final long arrivalNanos = System.nanoTime();
    /** True once {@code receive} returned it: only then does releasing it count as an attempt. */
    volatile boolean handedOut;

    RabbitDelivery(Message message, int attempt, long tag, long generation, String queue, AMQP.BasicProperties properties,
                   byte[] body, long leaseEndNanos) {
        this.message = message;
        this.attempt = attempt;
        this.tag = tag;
        this.generation = generation;
        this.queue = queue;
        this.properties = properties;
        this.body = body;
        this.leaseEndNanos = leaseEndNanos;
    }

    @Override public Message message() { return message; }

    @Override public int attempt() { return attempt; }

    /** True for the one caller that settles it; false when it was already settled (or released). */
    boolean settle() { return settled.compareAndSet(false, true); }

    boolean isSettled() { return settled.get(); }

    @Override
    public String toString() { return "RabbitDelivery[id=" + message.id() + ", queue=" + queue + ", attempt=" + attempt + ", tag=" + tag + "]"; }
}
