package io.courier.mem;

import static io.courier.spi.GroupStats.known;

import io.courier.spi.Admin;
import io.courier.spi.GroupListing;
import io.courier.spi.GroupStats;

/** {@link Admin} of {@code mem://}: exact counts read from the engine; delete forgets the group and its dead letters. */
final class MemAdmin implements Admin {
    private final MemEngine engine;

    MemAdmin(MemEngine engine) { this.engine = engine; }

    @Override
    public GroupStats stats(String group, String deadLetterGroup) {
        MemEngine.GroupStats g = engine.stats(group);
        MemEngine.GroupStats dead = engine.stats(deadLetterGroup);
        return new GroupStats(group, known(g.depth() - g.delayed()), known(g.inFlight()), known(g.delayed()),
                known(dead.depth()), GroupStats.unknown()); // the engine counts live members, not anonymous consumers
    }

    /** The groups the engine holds (a group stays known, with its members, until deleted), read under its lock. */
    @Override
    public GroupListing groups(String prefix) {
        return GroupListing.of(engine.stats().stream().map(MemEngine.GroupStats::group).filter(g -> g.startsWith(prefix)).toList());
    }

    @Override
    public boolean deleteGroup(String group) {
        boolean main = engine.deleteGroup(group);
        boolean dead = engine.deleteGroup(group + ".dlq");
        return main || dead;
    }
}
