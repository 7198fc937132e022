package io.courier.http;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.courier.Courier;
import io.courier.RetryPolicy;
import io.courier.Subscription;
import io.courier.SubscriptionOptions;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * SIGKILL during a 10,000-message run: 8 concurrent senders (each send waits for its fsync), the hub process is
 * killed twice and restarted on the same data directory; every send that was answered must be delivered.
 */
class HubCrashTest {

    @Test
    void everyAcceptedMessageSurvivesKillMinus9() throws Exception {
        HubFixture hub = new HubFixture("crash");
        String g = "crash-" + UUID.randomUUID().toString().substring(0, 8);
        int n = Integer.getInteger("courier.crash.messages", 10_000);
        Set<String> accepted = ConcurrentHashMap.newKeySet();
        AtomicInteger failures = new AtomicInteger();
        Set<String> received = ConcurrentHashMap.newKeySet();
        AtomicInteger deliveries = new AtomicInteger();
        try (Courier c = Courier.connect(hub.url() + "?retry-for=2s")) {
            Subscription sub = c.subscribe(SubscriptionOptions.group(g).concurrency(8).pollWait(Duration.ofMillis(200))
                    .retry(RetryPolicy.immediate(1000)).build(), d -> {
                        received.add(d.message().id());
                        deliveries.incrementAndGet();
                    });
            CompletableFuture<Void> running = CarefulSenders.start(c, g, n, 8, 1024, accepted, failures);
            for (int kill = 1; kill <= 2; kill++) {
                while (accepted.size() < n * kill / 3) Thread.sleep(10);
                int before = accepted.size();
                hub.kill();
                System.out.printf("kill -9 #%d after %d accepted sends%n", kill, before);
                Thread.sleep(500);
                hub.start();
            }
            running.get(5, TimeUnit.MINUTES);
            long deadline = System.currentTimeMillis() + 120_000;
            while (!received.containsAll(accepted) && System.currentTimeMillis() < deadline) Thread.sleep(100);
            sub.close();
        } finally {
            hub.close();
        }
        Set<String> lost = new HashSet<>(accepted);
        lost.removeAll(received);
        System.out.printf("crash run: %d accepted, %d failed send attempts during outages, lost %d, duplicate deliveries %d%n",
                accepted.size(), failures.get(), lost.size(), deliveries.get() - received.size());
        assertTrue(lost.isEmpty(), "lost " + lost.size() + " accepted messages, e.g. " + lost.stream().limit(5).toList());
    }
}
