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
 * Group and member names are escaped so that distinct destinations never share a topic or a consumer group (C17):
 * {@code .} becomes {@code _2e} and {@code _} becomes {@code _5f}, so an escaped name holds no {@code .} (the
 * separator) and {@code _} only before two hex digits — {@code x.retry} is not the retry topic of {@code x},
 * {@code g.member.b} is not member {@code b} of {@code g}, and {@code p.q} and {@code p_q} (which Kafka would refuse
 * side by side: they collide in its metric names) map to {@code courier.p_2eq} and {@code courier.p_5fq}. Names
 * made only of letters, digits and {@code -} are unchanged. A name longer than Kafka's 249 characters keeps its
 * first 231 and ends with {@code _h} and 16 hex digits of its SHA-256 ({@code _h} is no escape, so it cannot collide).
 */
final class Topics {
    static final String RETRY_SUFFIX = ".retry";
    static final String MEMBER_INFIX = ".member.";

    /** Kafka's longest topic name. */
    static final int MAX_NAME = 249;

    private final String prefix;

    Topics(String prefix) { this.prefix = prefix; }

    /** One queue: the topic messages are sent to, where its redeliveries go, and the consumer group reading both. */
    record Queue(String topic, String retryTopic, String consumerGroup) {
        boolean hasRetryTopic() { return !retryTopic.equals(topic); }
    }

    Queue group(String group) {
        String t = prefix + escape(group);
        return new Queue(bounded(t), bounded(t + RETRY_SUFFIX), bounded(t));
    }

    Queue member(String group, String member) {
        String t = bounded(prefix + escape(group) + MEMBER_INFIX + escape(member));
        return new Queue(t, t, t);
    }

    /** A Courier name ({@code [A-Za-z0-9._-]}) as a name part that holds no {@code .} and no bare {@code _}. */
    static String escape(String name) {
        if (name.indexOf('.') < 0 && name.indexOf('_') < 0) return name;
        StringBuilder b = new StringBuilder(name.length() + 8);
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (c == '.') b.append("_2e");
            else if (c == '_') b.append("_5f");
            else b.append(c);
        }
        return b.toString();
    }

    /** {@code name}, or its first characters and a hash of the whole when it is longer than Kafka allows. */
    static String bounded(String name) {
        if (name.length() <= MAX_NAME) return name;
        try {
            byte[] h = java.security.MessageDigest.getInstance("SHA-256").digest(name.getBytes(java.nio.charset.StandardCharsets.UTF_8));
            return name.substring(0, MAX_NAME - 18) + "_h" + java.util.HexFormat.of().formatHex(h, 0, 8);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }

    /** The queue a message to this destination goes to ({@code any@g/m} is not sticky: it goes to the group). */
    Queue of(Destination d) { return d.isDirect() ? member(d.group(), d.member()) : group(d.group()); }
}
