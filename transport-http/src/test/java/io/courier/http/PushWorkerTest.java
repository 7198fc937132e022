package io.courier.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.courier.Courier;
import io.courier.Message;
import io.courier.RetryPolicy;
import io.courier.Subscription;
import io.courier.SubscriptionOptions;
import io.courier.http.hub.CourierHub;
import io.courier.http.hub.HubOptions;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;

/** A Courier worker as a push endpoint: {@code http://hub?push=http://127.0.0.1:PORT/}, through the same runtime. */
class PushWorkerTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpClient http = HttpClient.newHttpClient();

    private static void await(String what, Duration max, BooleanSupplier cond) throws InterruptedException {
        long end = System.nanoTime() + max.toNanos();
        while (!cond.getAsBoolean()) {
            if (System.nanoTime() > end) throw new AssertionError("timed out after " + max + " waiting for: " + what);
            Thread.sleep(10);
        }
    }

    private JsonNode get(CourierHub hub, String path) {
        try {
            return JSON.readTree(http.send(HttpRequest.newBuilder(URI.create(hub.url() + path)).build(), HttpResponse.BodyHandlers.ofString()).body());
        } catch (Exception e) {
            throw new RuntimeException(e);
        }
    }

    @Test
    void aCourierWorkerReceivesByPushAcksRetriesDeadLettersAndRefusesBadSignatures() throws Exception {
        String g = "pw-" + UUID.randomUUID().toString().substring(0, 8);
        try (CourierHub hub = CourierHub.start(HubOptions.defaults(0, Path.of("target", "hub-data", "pushworker-" + UUID.randomUUID())))) {
            Set<String> handled = ConcurrentHashMap.newKeySet();
            AtomicInteger failRuns = new AtomicInteger();
            try (Courier c = Courier.connect(hub.url() + "?push=http://127.0.0.1:18611/")) {
                Subscription sub = c.subscribe(SubscriptionOptions.group(g).concurrency(4)
                        .retry(RetryPolicy.exponential(3, Duration.ofMillis(20), Duration.ofMillis(50))).build(), d -> {
                            String body = new String(d.message().payload(), StandardCharsets.UTF_8);
                            if (body.equals("fail")) {
                                failRuns.incrementAndGet();
                                throw new IllegalStateException("always fails");
                            }
                            handled.add(d.message().id() + "=" + body + "/" + d.message().headers().get("x-app"));
                        });
                JsonNode subs = get(hub, "/v1/push").get("subscriptions");
                assertEquals(1, subs.size(), subs.toString());
                String endpoint = subs.get(0).get("url").asText();
                assertTrue(endpoint.startsWith("http://127.0.0.1:18611/courier-push/"), endpoint);
                for (int i = 0; i < 20; i++) c.send(Message.to("any@" + g).id("m" + i).header("x-app", "v" + i).payload(("p" + i).getBytes(StandardCharsets.UTF_8)).build()).join();
                c.send(Message.to("any@" + g).id("bad").payload("fail".getBytes(StandardCharsets.UTF_8)).build()).join();
                await("20 handled", Duration.ofSeconds(20), () -> handled.size() == 20);
                assertTrue(handled.contains("m7=p7/v7"), handled.toString());
                await("dead-lettered after 3 runs", Duration.ofSeconds(20), () -> {
                    for (JsonNode n : get(hub, "/v1/stats").get("groups")) if (n.get("group").asText().equals(g + ".dlq") && n.get("depth").asInt() == 1) return true;
                    return false;
                });
                assertEquals(3, failRuns.get(), "retries never multiply: the runtime's attempts and the hub's pushes share one counter");
                // a push with a bad signature (or none) is refused by the Courier endpoint
                long ts = Instant.now().getEpochSecond();
                HttpResponse<String> bad = http.send(HttpRequest.newBuilder(URI.create(endpoint)).header("webhook-id", "x").header("webhook-timestamp", String.valueOf(ts))
                        .header("webhook-signature", WebhookVerifier.sign("whsec_d3Jvbmc=", "x", ts, new byte[0])).header("courier-destination", "any@" + g)
                        .header("courier-message-id", "forged").header("courier-attempt", "1").header("courier-lease", "x:1:1:" + g)
                        .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
                assertEquals(401, bad.statusCode(), bad.body());
                sub.close();
            }
            await("subscription removed at close", Duration.ofSeconds(10), () -> get(hub, "/v1/push").get("subscriptions").isEmpty());
        }
    }
}
