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

    /** {@code .} → {@code _2e}, {@code _} → {@code _5f}. */
    private static final io.courier.spi.support.NameEscape ESCAPE = new io.courier.spi.support.NameEscape("_2e", "_5f");

    /** A Courier name ({@code [A-Za-z0-9._-]}) as a name part that holds no {@code .} and no bare {@code _}. */
    static String escape(String name) { return ESCAPE.escape(name); }

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

    /** What a Kafka name of Courier's says of its group: read back, shortened with a hash, or not Courier's. */
    sealed interface Owner {
        /** The name was read back into {@code group}. */
        record Group(String group) implements Owner {}

        /** The name was shortened with a hash before its group name ended: the group cannot be read back. */
        record Hashed(String name) implements Owner {}
    }

    /**
     * The group of a topic or consumer group name ({@link #group}, {@link #member}, their retry topics), the exact
     * reverse of {@link #escape}: the part after the prefix up to the first {@code .} is the escaped group name.
     * {@link Owner.Hashed} when {@link #bounded} cut the name before that part ended; null when the name is not one
     * Courier makes (another prefix, a bare {@code _}, a character a group name cannot hold).
     */
    Owner ownerOf(String name) {
        if (!name.startsWith(prefix) || name.length() == prefix.length()) return null;
        boolean hashed = name.length() == MAX_NAME && name.matches(".*_h[0-9a-f]{16}");
        String rest = name.substring(prefix.length(), hashed ? MAX_NAME - 18 : name.length());
        int dot = rest.indexOf('.');
        if (dot < 0 && hashed) return new Owner.Hashed(name);
        String escaped = dot < 0 ? rest : rest.substring(0, dot);
        if (dot >= 0 && !hashed) {
            String tail = rest.substring(dot);
            if (!tail.equals(RETRY_SUFFIX) && !(tail.startsWith(MEMBER_INFIX) && tail.length() > MEMBER_INFIX.length())) return null;
        }
        String group = ESCAPE.unescape(escaped);
        return group == null ? null : new Owner.Group(group);
    }

    /** The queue a message to this destination goes to ({@code any@g/m} is not sticky: it goes to the group). */
    Queue of(Destination d) { return d.isDirect() ? member(d.group(), d.member()) : group(d.group()); }
}
