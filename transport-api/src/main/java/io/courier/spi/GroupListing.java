package io.courier.spi;

import java.util.List;

/**
 * What {@link Admin#groups(String)} found on the broker.
 *
 * @param groups the Courier names of the groups that have at least one resource on the broker, each once, sorted;
 *               a dead-letter group ({@code g.dlq}) is a group of its own here
 * @param opaque broker resources that carry Courier's naming but whose group name cannot be read back from them
 *               (a name the adapter shortened with a hash because the broker limits its length), by their broker
 *               name, sorted: shown to operators so that nothing on the broker is silently left out; {@code stats}
 *               and {@code deleteGroup} still work on them given the full group name
 */
public record GroupListing(List<String> groups, List<String> opaque) {
    public GroupListing {
        groups = List.copyOf(groups);
        opaque = List.copyOf(opaque);
    }

    /** A listing where every name could be read back. */
    public static GroupListing of(java.util.Collection<String> groups) {
        return new GroupListing(new java.util.TreeSet<>(groups).stream().toList(), List.of());
    }
}
