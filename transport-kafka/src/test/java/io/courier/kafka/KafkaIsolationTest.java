package io.courier.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.courier.Courier;
import io.courier.Message;
import io.courier.Subscription;
import io.courier.SubscriptionOptions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** C17 on a real broker: groups whose names differ only in '.' and '_', or look like internal suffixes, are isolated. */
class KafkaIsolationTest {
    @BeforeAll
    static void broker() { KafkaFixture.requireBroker(); }

    @Test
    void c17_groupsThatDifferInPunctuationOrLookLikeARetryTopicAreIsolated() throws Exception {
        String r = "iso" + UUID.randomUUID().toString().substring(0, 6);
        List<String> groups = List.of(r + ".x", r + "_x", r + "y", r + "y.retry");
        Map<String, List<String>> got = new ConcurrentHashMap<>();
        try (Courier c = Courier.connect(new KafkaFixture().url())) {
            for (String g : groups) {
                List<String> mine = new CopyOnWriteArrayList<>();
                got.put(g, mine);
                Subscription s = c.subscribe(SubscriptionOptions.group(g).pollWait(Duration.ofMillis(200)).build(), d -> {
                    mine.add(d.message().id() + "#" + d.attempt());
                    if (d.message().id().endsWith("-fails-once") && d.attempt() == 1) throw new IllegalStateException("once");
                });
                assertTrue(s.awaitReady(Duration.ofSeconds(30)), g + " not consuming");
            }
            for (String g : groups) {
                String id = g + (g.equals(r + "y") ? "-fails-once" : "-only");
                c.send(Message.to("any@" + g).id(id).payload("x").build()).join();
            }
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (System.nanoTime() < deadline && !(got.get(r + "y").size() == 2 && groups.stream().allMatch(g -> !got.get(g).isEmpty()))) {
                Thread.sleep(20);
            }
            Thread.sleep(1_000); // anything misrouted would arrive within this
        }
        assertEquals(List.of(r + ".x-only#1"), got.get(r + ".x"));
        assertEquals(List.of(r + "_x-only#1"), got.get(r + "_x"));
        assertEquals(List.of(r + "y-fails-once#1", r + "y-fails-once#2"), got.get(r + "y"));
        assertEquals(List.of(r + "y.retry-only#1"), got.get(r + "y.retry"), "y.retry must not consume y's redeliveries");
    }
}
