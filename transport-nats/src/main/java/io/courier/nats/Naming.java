package io.courier.nats;

import io.courier.Destination;

/**
 * How Courier's groups and members become JetStream names. A group or member name may contain {@code .} and
 * {@code _}, which NATS subjects and stream names cannot carry as such, so each name is escaped into one subject
 * token: {@code _} becomes {@code _5F} and {@code .} becomes {@code _2E} (names of letters, digits and {@code -}
 * are unchanged). The escape is reversible and never produces a {@code .}, so subjects of different groups never
 * overlap.
 *
 * <p>Group {@code g} is the stream {@code COURIER_<g>} with the subjects {@code courier.<g>.>}:
 * {@code courier.<g>.any} (any member), {@code courier.<g>.m.<member>} (that member only), {@code courier.<g>.k.<n>}
 * (ordering partition {@code n}) and {@code courier.<g>.delay} (not yet due).
 */
final class Naming {
    static final String SUBJECT_ROOT = "courier";
    static final String STREAM_PREFIX = "COURIER_";

    private Naming() {}

    /** {@code _} → {@code _5F}, {@code .} → {@code _2E}. */
    private static final io.courier.spi.support.NameEscape ESCAPE = new io.courier.spi.support.NameEscape("_2E", "_5F");

    /** One subject token (and stream / consumer name part) for a group or member name. */
    static String token(String name) { return ESCAPE.escape(name); }

    static String stream(String group) { return STREAM_PREFIX + token(group); }

    /**
     * The group whose stream is {@code stream}, the exact reverse of {@link #stream}; null when {@code stream} is not
     * one Courier names (no {@code COURIER_} prefix, an escape other than {@code _5F}/{@code _2E}, a character a
     * group name cannot hold).
     */
    static String groupOfStream(String stream) {
        return stream.startsWith(STREAM_PREFIX) ? ESCAPE.unescape(stream.substring(STREAM_PREFIX.length())) : null;
    }

    static String groupPrefix(String group) { return SUBJECT_ROOT + "." + token(group); }

    static String streamSubjects(String group) { return groupPrefix(group) + ".>"; }

    static String anySubject(String group) { return groupPrefix(group) + ".any"; }

    static String memberSubject(String group, String member) { return groupPrefix(group) + ".m." + token(member); }

    static String partitionSubject(String group, int partition) { return groupPrefix(group) + ".k." + partition; }

    static String delaySubject(String group) { return groupPrefix(group) + ".delay"; }

    static String memberConsumer(String member) { return "m-" + token(member); }

    static String partitionConsumer(int partition) { return "k" + partition; }

    static final String ANY_CONSUMER = "any";
    static final String DELAY_CONSUMER = "delay";

    /** The ordering partition of a key: stable across processes ({@link String#hashCode()} is specified). */
    static int partition(String orderingKey, int partitions) { return Math.floorMod(orderingKey.hashCode(), partitions); }

    /** The subject a due message goes to. */
    static String subjectOf(Destination d, String orderingKey, int partitions) {
        if (d.isDirect()) return memberSubject(d.group(), d.member());
        if (orderingKey != null) return partitionSubject(d.group(), partition(orderingKey, partitions));
        return anySubject(d.group());
    }
}
