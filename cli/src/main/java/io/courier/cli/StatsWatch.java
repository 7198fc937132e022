package io.courier.cli;

import io.courier.spi.Admin;
import io.courier.spi.GroupStats;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The loop of {@code courier stats --watch}: every interval it reads the counts of each group and prints them with
 * their {@link StatsChange change} since the previous tick, until {@code ticks} ticks are printed (0: no limit) or the
 * {@link Pause} says stop (Ctrl-C). The clock and the pause are given, so that a test can drive the ticks.
 */
final class StatsWatch {
    /** Waits {@code interval} between two ticks; true when the watch is to stop instead. */
    @FunctionalInterface
    interface Pause {
        boolean stop(Duration interval) throws InterruptedException;
    }

    private final Admin admin;
    private final List<String> groups;
    private final Duration interval;
    private final int ticks;
    private final StatsTable table;
    private final Clock clock;
    private final Pause pause;
    private final Map<String, StatsChange.Sample> previous = new HashMap<>();

    StatsWatch(Admin admin, List<String> groups, Duration interval, int ticks, StatsTable table, Clock clock, Pause pause) {
        this.admin = admin;
        this.groups = List.copyOf(groups);
        this.interval = interval;
        this.ticks = ticks;
        this.table = table;
        this.clock = clock;
        this.pause = pause;
    }

    /** Prints ticks until the limit or the stop; returns how many were printed. */
    int run() throws InterruptedException {
        int tick = 0;
        while (ticks == 0 || tick < ticks) {
            if (tick > 0 && pause.stop(interval)) break;
            tick++;
            table.tickHeader(tick, clock.instant(), interval);
            for (String group : groups) {
                GroupStats stats = admin.stats(group);
                StatsChange.Sample now = new StatsChange.Sample(stats, clock.instant());
                table.row(tick, now.at(), stats, StatsChange.between(previous.put(group, now), now));
            }
        }
        return tick;
    }
}
