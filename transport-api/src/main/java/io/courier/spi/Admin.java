package io.courier.spi;

/**
 * Operator tooling a {@link Transport} may offer ({@link Transport#admin()}): counts of a group and removal of a
 * group's broker resources. Optional: a transport without it returns an empty {@code admin()}, and the CLI says so
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
