package io.courier.spi;

/**
 * Operator tooling a {@link Transport} may offer ({@link Transport#admin()}): counts of a group, the list of the
 * groups on the broker, and removal of a group's broker resources. Optional: a transport without it returns an empty {@code admin()}, and the CLI says so
 * in one line.
 *
 * <p>An implementation must guarantee:
 * <ul>
 *   <li>{@link #stats} reads only: it creates no broker resource and changes no message. A count the broker cannot
 *       tell, or tells only approximately beyond the broker's own precision, is unknown, never a fake 0. A group
 *       that has no resource on the broker has every count 0 where that is knowable.</li>
 *   <li>{@link #deleteGroup} removes <em>every</em> broker resource of the group and nothing else: the group's
 *       queue, its member, key and retry queues, its dead-letter destination (default {@code group.dlq}),
 *       topics, streams, consumers and table rows. Groups whose names differ only in {@code .}, {@code _} or
 *       {@code -} are other groups (C17) and are untouched. Idempotent: deleting an absent group succeeds and
 *       returns false. Messages are lost by design: it is for operators, never called by the runtime.</li>
 *   <li>Both are safe to call while other processes send and receive; credentials never appear in their errors.</li>
 * </ul>
 */
public interface Admin {

    /**
     * The groups that have at least one resource on the broker (a queue, topic, stream, consumer group or row made by
     * Courier), whose names start with {@code prefix} ({@code ""}: all), read back from the broker's own names.
     *
     * <p>An implementation must guarantee:
     * <ul>
     *   <li>It reads only: it creates no resource, changes no message and no consumer offset.</li>
     *   <li>Each group is listed once, under its Courier name, and only as a group: the adapter's internal resources
     *       of a group (retry topics, member, key, sticky, FIFO and delay queues, registries, consumers, consumer
     *       groups) are folded into it and never appear as entries of their own. Groups whose names differ only in
     *       {@code .}, {@code _} or {@code -} are distinct entries (C17): the reverse of the adapter's escaping is
     *       exact.</li>
     *   <li>A dead-letter group is listed as the group it is ({@code g.dlq}), not folded into {@code g}: any group
     *       may be configured as another's dead-letter destination, so the broker's names cannot tell a dead-letter
     *       group from a group, and a dead-letter group is subscribed, tailed and replayed like one. Operators expect
     *       this too: RabbitMQ lists {@code courier.g.dlq} as a queue and Kafka a topic of its own. Presentation may
     *       fold it ({@code courier groups list} shows {@code g.dlq} as the dead-letters column of {@code g}, which
     *       {@link #stats(String)} and {@link #deleteGroup} already treat as part of {@code g}).</li>
     *   <li>A broker name that carries Courier's naming but cannot be read back (shortened with a hash) is returned
     *       in {@link GroupListing#opaque()}, never dropped silently and never guessed.</li>
     *   <li>Groups created or deleted while it runs may or may not be listed; a group whose last resource was deleted
     *       before the call started is not.</li>
     * </ul>
     * Optional within the {@code Admin}: a transport that cannot enumerate throws {@link GroupsNotListableException}
     * saying why and what to do instead; {@link #stats} and {@link #deleteGroup} work without it.
     *
     * @param prefix the start of the Courier group names to list ({@code ""} for every group)
     * @throws GroupsNotListableException when the transport cannot enumerate its groups
     * @throws io.courier.CourierException (or its subtypes) when the broker cannot be reached or refuses
     */
    default GroupListing groups(String prefix) {
        throw new GroupsNotListableException("this transport cannot list its groups: give the group names (courier stats URL GROUP…)");
    }

    /** The counts of {@code group} (and of its dead-letter destination {@code deadLetterGroup}). */
    GroupStats stats(String group, String deadLetterGroup);

    /** The counts of {@code group}, its dead letters read from the default {@code group.dlq}. */
    default GroupStats stats(String group) { return stats(group, group + ".dlq"); }

    /**
     * Removes every broker resource of {@code group} and of its default dead-letter destination.
     *
     * @return true when something was removed, false when the group had no resource
     */
    boolean deleteGroup(String group);

    /** One step of {@link #deleteGroup}: removes the resources of one group, true when there were any. */
    @FunctionalInterface
    interface GroupRemoval<E extends Exception> {
        boolean remove(String group) throws E;
    }

    /**
     * For implementations: runs {@code removal} on {@code group} and on its default dead-letter group
     * {@code group.dlq}, both always; true when either removed something.
     */
    static <E extends Exception> boolean removeWithDeadLetters(String group, GroupRemoval<E> removal) throws E {
        boolean main = removal.remove(group);
        boolean dead = removal.remove(group + ".dlq");
        return main || dead;
    }
}
