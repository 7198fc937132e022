package io.courier.rabbitmq;

import com.rabbitmq.client.AMQP;
import io.courier.Message;
import io.courier.spi.Received;

/**
 * One delivery from a queue: the message, its attempt number, and what settling it needs (the delivery tag on the
 * receiver's channel, the channel generation it came on). Its lease is in the receiver's lease table.
 */
final class RabbitDelivery implements Received {
    private final Message message;
    private final int attempt;
    final long tag;
    final long generation;
    final String queue;
    final AMQP.BasicProperties properties;
    final byte[] body;
    /** True once {@code receive} returned it: only then does releasing it count as an attempt. */
    volatile boolean handedOut;

    RabbitDelivery(Message message, int attempt, long tag, long generation, String queue, AMQP.BasicProperties properties,
                   byte[] body) {
        this.message = message;
        this.attempt = attempt;
        this.tag = tag;
        this.generation = generation;
        this.queue = queue;
        this.properties = properties;
        this.body = body;
    }

    @Override public Message message() { return message; }

    @Override public int attempt() { return attempt; }

    @Override
    public String toString() { return "RabbitDelivery[id=" + message.id() + ", queue=" + queue + ", attempt=" + attempt + ", tag=" + tag + "]"; }
}
