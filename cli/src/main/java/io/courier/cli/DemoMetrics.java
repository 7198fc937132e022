package io.courier.cli;

import io.micrometer.core.instrument.search.Search;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.PrintStream;
import java.util.concurrent.TimeUnit;

/**
 * What the runtime's own metrics (README "Metrics") recorded for the demo's group, printed under the demo's table: the
 * same run seen through {@code messaging.*} and {@code courier.*} meters instead of the demo's own counting.
 *
 * @param sent          {@code messaging.client.sent.messages} to the group
 * @param consumed      {@code messaging.client.consumed.messages} of the group (every delivery, redeliveries too)
 * @param redeliveries  {@code courier.redeliveries} of the group
 * @param deadLetters   {@code courier.dead.letters} of the group
 * @param handlerMeanMs mean of {@code messaging.process.duration}
 * @param handlerMaxMs  max of {@code messaging.process.duration}
 */
record DemoMetrics(long sent, long consumed, long redeliveries, long deadLetters, double handlerMeanMs, double handlerMaxMs) {

    static DemoMetrics of(SimpleMeterRegistry registry, String group) {
        String destination = "any@" + group;
        Search process = registry.find("messaging.process.duration").tag("messaging.consumer.group.name", group);
        long runs = process.timers().stream().mapToLong(t -> t.count()).sum();
        double total = process.timers().stream().mapToDouble(t -> t.totalTime(TimeUnit.MILLISECONDS)).sum();
        double max = process.timers().stream().mapToDouble(t -> t.max(TimeUnit.MILLISECONDS)).max().orElse(0);
        return new DemoMetrics(
                count(registry.find("messaging.client.sent.messages").tag("messaging.destination.name", destination).tag("error.type", "")),
                count(registry.find("messaging.client.consumed.messages").tag("messaging.consumer.group.name", group)),
                count(registry.find("courier.redeliveries").tag("messaging.consumer.group.name", group)),
                count(registry.find("courier.dead.letters").tag("messaging.consumer.group.name", group)),
                runs == 0 ? 0 : total / runs, max);
    }

    private static long count(Search s) { return Math.round(s.counters().stream().mapToDouble(c -> c.count()).sum()); }

    void print(PrintStream out) {
        out.printf("metrics (recorded by the runtime): sent %d, consumed %d, redeliveries %d, dead letters %d, handler mean %.1f ms / max %.1f ms%n",
                sent, consumed, redeliveries, deadLetters, handlerMeanMs, handlerMaxMs);
    }
}
