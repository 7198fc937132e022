package io.courier.rabbitmq;

import io.courier.Destination;
import java.time.Duration;

/**
 * Queue and exchange names. Group and member names are {@code [A-Za-z0-9._-]}, so the separators {@code /} and
 * {@code ~} used here can never make two destinations share a queue:
 * <ul>
 *   <li>{@code <prefix><group>}: the group's queue ({@code any@group});</li>
 *   <li>{@code <prefix><group>/<member>}: the member's queue ({@code uni@group/member});</li>
 *   <li>{@code <prefix><group>/<member>~sticky}: the member's sticky queue ({@code any@group/member}); what its
 *       member does not take within the sticky fallback time expires into the group's queue;</li>
 *   <li>{@code <prefix><group>~key-<i>}: ordering sub-queue {@code i} (single active consumer, C9);</li>
 *   <li>{@code <prefix><group>~members}: the group's member registry, a classic queue holding one message per
 *       member queue declared (the member's name), so that operators can find the member queues (AMQP cannot list
 *       queues);</li>
 *   <li>{@code <prefix>~groups}: the vhost's group registry, a classic queue holding one message per group a
 *       connection used (the group's name), so that operators can list the groups (AMQP cannot list queues);</li>
 *   <li>{@code <prefix>~delay-<ms>}: a delay bucket, a queue and a fanout exchange of the same name, shared by
 *       every destination of the vhost (C6 nack delay, C10 not-before).</li>
 * </ul>
 */
final class Names {
    /** The shortest delay bucket; shorter delays wait this long. */
    static final long MIN_DELAY_MS = 100;

    final String prefix;

    Names(String prefix) { this.prefix = prefix; }

    String group(String group) { return prefix + group; }

    String member(String group, String member) { return prefix + group + "/" + member; }

    String sticky(String group, String member) { return prefix + group + "/" + member + "~sticky"; }

    String ordered(String group, int index) { return prefix + group + "~key-" + index; }

    /** Whether {@code queue} is a registry (group or member names), a classic queue. */
    boolean isRegistry(String queue) { return queue.startsWith(prefix) && (queue.endsWith("~groups") || queue.endsWith("~members")); }

    String members(String group) { return prefix + group + "~members"; }

    String groups() { return prefix + "~groups"; }

    String delay(long bucketMs) { return prefix + "~delay-" + bucketMs; }

    /** The queue a message to {@code d} goes to. */
    String target(Destination d, String orderingKey, int orderingQueues) {
        if (d.isDirect()) return member(d.group(), d.member());
        if (d.isSticky()) return sticky(d.group(), d.member());
        if (orderingKey != null && orderingQueues > 0) return ordered(d.group(), Math.floorMod(orderingKey.hashCode(), orderingQueues));
        return group(d.group());
    }

    /**
     * The delay bucket for {@code delay}: the smallest of the ladder {@code m·2^k} ({@code m} in 16..31, at least
     * {@link #MIN_DELAY_MS}) not shorter than it, so a delayed message is never early and at most 1/16 (6.25 %) late,
     * with a few dozen buckets for any range of delays.
     */
    static long bucket(Duration delay) {
        long ms = Math.max(MIN_DELAY_MS, delay.toMillis() + (delay.toNanosPart() % 1_000_000 == 0 ? 0 : 1));
        int shift = Math.max(0, 63 - Long.numberOfLeadingZeros(ms) - 4);
        long step = 1L << shift;
        return ((ms + step - 1) / step) * step;
    }
}
