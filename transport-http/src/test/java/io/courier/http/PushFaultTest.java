package io.courier.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import io.courier.Courier;
import io.courier.Message;
import io.courier.http.hub.CourierHub;
import io.courier.http.hub.HubOptions;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;

/**
 * Push under faults (issue #16): the hub killed with SIGKILL twice during a 10,000-message push run, and an endpoint
 * that is down for 10 s in the middle. Nothing accepted is lost; duplicates are counted and reported.
 */
class PushFaultTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String SECRET = "whsec_" + Base64.getEncoder().encodeToString("push-fault-secret-0123456789".getBytes(StandardCharsets.UTF_8));
    private final HttpClient http = HttpClient.newHttpClient();

    /** A plain webhook endpoint: verifies each push, records its message id and attempt, answers 200. */
    private static final class Endpoint implements AutoCloseable {
        final Map<String, Integer> attempts = new ConcurrentHashMap<>();
        final AtomicInteger deliveries = new AtomicInteger(), badSignatures = new AtomicInteger();
        private final WebhookVerifier verifier = new WebhookVerifier(SECRET);
        private int port;
        private HttpServer server;

        /** Listens on {@code port} (0: a free one, kept for later starts). */
        synchronized Endpoint start(int port) throws IOException {
            server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 256);
            server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
            server.createContext("/hook", ex -> {
                try (ex) {
                    byte[] body = ex.getRequestBody().readAllBytes();
                    var h = ex.getRequestHeaders();
                    try {
                        verifier.verify(h.getFirst(WebhookVerifier.ID), h.getFirst(WebhookVerifier.TIMESTAMP), h.getFirst(WebhookVerifier.SIGNATURE), body);
                    } catch (WebhookVerifier.Refused e) {
                        badSignatures.incrementAndGet();
                        ex.sendResponseHeaders(401, -1);
                        return;
                    }
                    attempts.merge(h.getFirst("courier-message-id"), Integer.parseInt(h.getFirst("courier-attempt")), Math::max);
                    deliveries.incrementAndGet();
                    ex.sendResponseHeaders(200, -1);
                }
            });
            server.start();
            this.port = server.getAddress().getPort();
            return this;
        }

        synchronized void stop() { server.stop(0); }

        synchronized void restart() throws IOException { start(port); }

        String url() { return "http://127.0.0.1:" + port + "/hook"; }

        int duplicates() { return deliveries.get() - attempts.size(); }

        @Override public synchronized void close() { server.stop(0); }
    }

    private JsonNode call(String hubUrl, String path, String body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(hubUrl + path));
        if (body != null) b.POST(HttpRequest.BodyPublishers.ofString(body));
        HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), path + ": " + r.body());
        return JSON.readTree(r.body());
    }

    private void subscribe(String hubUrl, String group, String url, String extra) throws Exception {
        call(hubUrl, "/v1/push", "{\"group\":\"" + group + "\",\"url\":\"" + url + "\",\"secret\":\"" + SECRET + "\"" + extra + "}");
    }

    private static void await(String what, Duration max, BooleanSupplier cond) throws InterruptedException {
        long end = System.nanoTime() + max.toNanos();
        while (!cond.getAsBoolean()) {
            if (System.nanoTime() > end) throw new AssertionError("timed out after " + max + " waiting for: " + what);
            Thread.sleep(20);
        }
    }

    @Test
    void aKillMinus9OfTheHubTwiceDuringA10000MessagePushRunLosesNothing() throws Exception {
        String g = "push-crash-" + UUID.randomUUID().toString().substring(0, 8);
        int n = Integer.getInteger("courier.crash.messages", 10_000);
        Set<String> accepted = ConcurrentHashMap.newKeySet();
        AtomicInteger failedSends = new AtomicInteger();
        HubFixture hub = new HubFixture("push-crash");
        try (Endpoint endpoint = new Endpoint().start(0); Courier c = Courier.connect(hub.url() + "?retry-for=2s")) {
            subscribe(hub.url(), g, endpoint.url(), ",\"concurrency\":16,\"maxAttempts\":1000,\"retryInitialMs\":50,\"retryMaxMs\":1000");
            CompletableFuture<Void> running = CarefulSenders.start(c, g, n, 8, 256, accepted, failedSends);
            for (int kill = 1; kill <= 2; kill++) {
                int at = n * kill / 3;
                await(at + " accepted sends", Duration.ofMinutes(3), () -> accepted.size() >= at);
                int delivered = endpoint.attempts.size();
                hub.kill();
                System.out.printf("push crash run: kill -9 #%d after %d accepted sends, %d delivered%n", kill, at, delivered);
                Thread.sleep(500);
                hub.start(); // same port and journal: the subscription and every unacked message come back
            }
            running.get(5, TimeUnit.MINUTES);
            long deadline = System.nanoTime() + Duration.ofMinutes(3).toNanos();
            while (!endpoint.attempts.keySet().containsAll(accepted) && System.nanoTime() < deadline) Thread.sleep(100);
            Set<String> lost = new HashSet<>(accepted);
            lost.removeAll(endpoint.attempts.keySet());
            System.out.printf("push crash run: %d accepted (%d failed send attempts during the outages), lost %d, %d duplicate deliveries, %d bad signatures%n",
                    accepted.size(), failedSends.get(), lost.size(), endpoint.duplicates(), endpoint.badSignatures.get());
            assertEquals(n, accepted.size(), "every send was eventually accepted");
            assertTrue(lost.isEmpty(), "lost " + lost.size() + " accepted messages, e.g. " + lost.stream().limit(5).toList());
            assertEquals(0, endpoint.badSignatures.get(), "every push is signed with the subscription's secret, across restarts");
        } finally {
            hub.close();
        }
    }

    @Test
    void anEndpointDownFor10SecondsGetsEveryMessageAfterwardsUncountedAndWithoutAHotLoop() throws Exception {
        String g = "push-down-" + UUID.randomUUID().toString().substring(0, 8);
        try (CourierHub hub = CourierHub.start(HubOptions.defaults(0, Path.of("target", "hub-data", "push-down-" + UUID.randomUUID())));
             Endpoint endpoint = new Endpoint().start(0)) {
            subscribe(hub.url(), g, endpoint.url(), ",\"concurrency\":4,\"maxAttempts\":30,\"retryInitialMs\":200,\"retryMaxMs\":2000,\"timeoutMs\":2000");
            List<String> before = send(hub, g, "before", 100);
            await("the first 100 delivered", Duration.ofSeconds(30), () -> endpoint.attempts.keySet().containsAll(before));
            endpoint.stop();
            long down = System.nanoTime();
            List<String> during = send(hub, g, "during", 100);
            Thread.sleep(10_000); // the outage itself
            long refused = pushStat(hub, "unreachable");
            endpoint.restart();
            System.out.printf("endpoint down for %.1f s: %d pushes refused meanwhile%n", (System.nanoTime() - down) / 1e9, refused);
            List<String> after = send(hub, g, "after", 100);
            Set<String> all = new HashSet<>(before);
            all.addAll(during);
            all.addAll(after);
            await("all 300 delivered after the endpoint came back", Duration.ofSeconds(60), () -> endpoint.attempts.keySet().containsAll(all));
            int maxAttempt = during.stream().mapToInt(id -> endpoint.attempts.get(id)).max().orElse(0);
            System.out.printf("endpoint down: all 300 delivered, highest attempt of the messages sent during the outage %d, %d duplicates, dead letters %d%n",
                    maxAttempt, endpoint.duplicates(), pushStat(hub, "deadLettered"));
            assertTrue(refused > 0, "no push was refused while the endpoint was down: the test did not exercise the outage");
            // 4 request slots, each idle 100 ms doubling to 30 s after a refusal: about 7 tries each in 10 s
            assertTrue(refused <= 200, refused + " pushes refused in 10 s: expected a backoff, not a hot loop");
            assertEquals(0, pushStat(hub, "deadLettered"), "a message was dead-lettered during a 10 s outage");
            assertEquals(1, maxAttempt, "a refused connection is no attempt: the messages sent during the outage arrive on attempt 1");
        }
    }

    private static List<String> send(CourierHub hub, String g, String prefix, int n) {
        List<Message> batch = new ArrayList<>();
        for (int i = 0; i < n; i++) batch.add(Message.to("any@" + g).id(prefix + i).payload(new byte[64]).build());
        hub.send(batch).join();
        return batch.stream().map(Message::id).toList();
    }

    private long pushStat(CourierHub hub, String field) throws Exception {
        long sum = 0;
        for (JsonNode s : call(hub.url(), "/v1/push", null).get("subscriptions")) sum += s.get(field).asLong();
        return sum;
    }
}
