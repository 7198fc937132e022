package io.courier.kafka;

import io.courier.Destination;

/**
 * How Courier's groups and members map to Kafka names. With the default prefix {@code courier.}:
 * <ul>
 *   <li>{@code any@g} and {@code any@g/m}: topic {@code courier.g}, consumer group {@code courier.g};</li>
 *   <li>redeliveries (nack, expired lease) of the group: topic {@code courier.g.retry}, same consumer group;</li>
 *   <li>{@code uni@g/m}: topic {@code courier.g.member.m}, consumer group {@code courier.g.member.m}; its
 *       redeliveries go back to the same topic.</li>
 * </ul>
 */
final class Topics {
    static final String RETRY_SUFFIX = ".retry";
    static final String MEMBER_INFIX = ".member.";

    private final String prefix;

    Topics(String prefix) { this.prefix = prefix; }

    /** One queue: the topic messages are sent to, where its redeliveries go, and the consumer group reading both. */
    record Queue(String topic, String retryTopic, String consumerGroup) {
        boolean hasRetryTopic() { return !retryTopic.equals(topic); }
    }

    Queue group(String group) {
        String t = prefix + group;
        return new Queue(t, t + RETRY_SUFFIX, t);
    }

    Queue member(String group, String member) {
        String t = prefix + group + MEMBER_INFIX + member;
        return new Queue(t, t, t);
    }

    /** The queue a message to this destination goes to ({@code any@g/m} is not sticky: it goes to the group). */
    Queue of(Destination d) { return d.isDirect() ? member(d.group(), d.member()) : group(d.group()); }
}
