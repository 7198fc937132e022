package io.courier.rabbitmq;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.courier.Courier;
import io.courier.RetryPolicy;
import io.courier.Subscription;
import io.courier.SubscriptionOptions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A plain AMQP message (no {@code message-id}) keeps the id of its first delivery when a handler fails and it comes
 * again: nack at once (immediate retry) and nack with a delay (issue #15, defect 4; C8).
 */
class RabbitPlainIdTest {
    @BeforeAll
    static void broker() { RabbitFixture.requireBroker(); }

    @ParameterizedTest
    @ValueSource(longs = {0, 200})
    void aPlainMessageKeepsItsIdAcrossANackAndRedelivery(long retryDelayMs) throws Exception {
        String g = "wtnats-plain-id-" + retryDelayMs + "-" + UUID.randomUUID();
        RetryPolicy retry = retryDelayMs == 0 ? RetryPolicy.immediate(5) : RetryPolicy.linear(5, Duration.ofMillis(retryDelayMs), Duration.ofMillis(retryDelayMs));
        List<String> seen = new CopyOnWriteArrayList<>();
        try (Courier c = Courier.connect("amqp://guest:guest@127.0.0.1:5672/");
             Subscription s = c.subscribe(SubscriptionOptions.group(g).retry(retry).pollWait(Duration.ofMillis(200)).build(), d -> {
                 seen.add(d.attempt() + ":" + d.message().id());
                 if (d.attempt() == 1) throw new IllegalStateException("fail the first attempt");
             })) {
            assertTrue(s.awaitReady(Duration.ofSeconds(30)));
            new RabbitFixture().plainSender().send(g, "plain".getBytes(), Map.of("h", "v"));
            long deadline = System.currentTimeMillis() + 30_000;
            while (seen.size() < 2 && System.currentTimeMillis() < deadline) Thread.sleep(20);
            assertEquals(2, seen.size(), "two deliveries: " + seen);
            String first = seen.get(0).substring(2), second = seen.get(1).substring(2);
            assertEquals("1", seen.get(0).substring(0, 1));
            assertEquals("2", seen.get(1).substring(0, 1));
            assertEquals(first, second, "the redelivery carries the first delivery's id: " + seen);
        }
    }
}
