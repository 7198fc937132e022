package io.courier.http.hub;

import io.courier.mem.MemEngine;
import io.courier.runtime.Telemetry;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The hub's {@code GET /metrics}: the counters {@link DurableQueues} records (messages accepted, delivered,
 * redelivered, dead-lettered, under the names of the README's "Metrics" table, {@code messaging.system=http}), and,
 * read from the engine at each scrape, a backlog and an in-flight gauge per group. Prometheus text format.
 */
final class HubMetrics {
    private final DurableQueues queues;
    private final Telemetry telemetry;
    private final Map<String, AtomicInteger> inFlight = new ConcurrentHashMap<>();

    HubMetrics(DurableQueues queues, Telemetry telemetry) {
        this.queues = queues;
        this.telemetry = telemetry;
        queues.telemetry(telemetry);
    }

    /** The text a Prometheus scrape gets. */
    String scrape() {
        for (MemEngine.GroupStats g : queues.stats()) {
            telemetry.backlog(g.group(), OptionalLong.of(g.depth()));
            inFlight.computeIfAbsent(g.group(), group -> {
                AtomicInteger n = new AtomicInteger();
                telemetry.inFlight(group, n::get);
                return n;
            }).set(g.inFlight());
        }
        return telemetry.prometheusText();
    }
}
