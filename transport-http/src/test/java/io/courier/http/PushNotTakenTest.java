package io.courier.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.courier.Courier;
import io.courier.Message;
import io.courier.SubscriptionOptions;
import io.courier.http.hub.CourierHub;
import io.courier.http.hub.HubOptions;
import io.courier.spi.Received;
import io.courier.spi.Receiver;
import io.courier.spi.ReceiverSpec;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;

/**
 * C3 on push: pushes that a busy worker's receiver does not take (its runtime is full) are answered "not taken", and
 * the hub gives them to an idle member at once, without counting the attempt.
 */
class PushNotTakenTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void anIdleMemberTakesTheBacklogOfABusyPushWorkerWithinSecondsAndTheBouncesCountNoAttempt() throws Exception {
        String g = "push-nottaken-" + UUID.randomUUID().toString().substring(0, 8);
        try (CourierHub hub = CourierHub.start(HubOptions.defaults(0, Path.of("target", "hub-data", "push-nottaken-" + UUID.randomUUID())));
             Courier c = Courier.connect(hub.url() + "?push=http://127.0.0.1:0/")) {
            List<String> ids = new ArrayList<>();
            List<CompletableFuture<Void>> sends = new ArrayList<>();
            for (int i = 0; i < 60; i++) {
                ids.add("m" + i);
                sends.add(c.send(Message.to("any@" + g).id("m" + i).payload(new byte[] {(byte) i}).build()));
            }
            CompletableFuture.allOf(sends.toArray(CompletableFuture[]::new)).join();
            // the busy member: prefetch 5 (the hub pushes it 5), but it takes one and never asks again
            Receiver busy = c.transport().openReceiver(new ReceiverSpec(g, "busy", 5, Duration.ofSeconds(60)));
            List<Received> held = new ArrayList<>();
            long until = System.currentTimeMillis() + 30_000;
            while (held.isEmpty() && System.currentTimeMillis() < until) held.addAll(busy.receive(1, Duration.ofSeconds(1)));
            assertEquals(1, held.size(), "the busy member took nothing in 30 s");
            Map<String, Integer> attempts = new ConcurrentHashMap<>();
            long t0 = System.nanoTime();
            c.subscribe(SubscriptionOptions.group(g).member("idle").concurrency(4).build(), d -> attempts.merge(d.message().id(), d.attempt(), Math::max));
            Set<String> rest = new HashSet<>(ids);
            rest.remove(held.get(0).message().id());
            long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos(); // the untaken pushes waited ~59 s before
            while (!attempts.keySet().containsAll(rest) && System.nanoTime() < deadline) Thread.sleep(20);
            Set<String> missing = new HashSet<>(rest);
            missing.removeAll(attempts.keySet());
            assertTrue(missing.isEmpty(), missing.size() + " messages stayed with the busy member for 20 s instead of going to the idle one: " + missing);
            System.out.printf("push not taken: the idle member had all %d in %.1f s%n", rest.size(), (System.nanoTime() - t0) / 1e9);
            Map<String, Integer> counted = new java.util.TreeMap<>();
            attempts.forEach((id, a) -> { if (a != 1) counted.put(id, a); });
            assertTrue(counted.isEmpty(), "a push bounced as not taken counted as an attempt (message=attempt): " + counted);
            long notTaken = 0;
            JsonNode subs = JSON.readTree(HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(hub.url() + "/v1/push")).build(),
                    HttpResponse.BodyHandlers.ofString()).body()).get("subscriptions");
            for (JsonNode s : subs) if ("busy".equals(s.path("member").asText())) notTaken += s.get("notTaken").asLong();
            assertFalse(notTaken == 0, "the busy member's endpoint answered no push 'not taken': the test did not exercise it; " + subs);
            busy.ack(held);
            busy.close();
        }
    }
}
