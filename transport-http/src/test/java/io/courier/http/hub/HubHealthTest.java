package io.courier.http.hub;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.courier.Courier;
import io.courier.Health;
import io.courier.SubscriptionHealth;
import io.courier.SubscriptionHealth.State;
import io.courier.SubscriptionOptions;
import io.courier.conformance.Await;
import io.courier.conformance.TcpProxy;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * Health on the hub: {@code GET /v1/health} lists the hub's pollers in the shape of {@link Health#toJson()}, and a
 * worker whose connection to the hub is cut (the suite's TCP proxy) shows its subscription recovering with the last
 * error and the hub unreachable, then running again once the connection is back.
 */
class HubHealthTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void theHubListsItsPollersAndACutWorkerShowsRecoveringWithTheLastError() throws Exception {
        String g = "obs-health-" + UUID.randomUUID().toString().substring(0, 8);
        CourierHub hub = CourierHub.start(HubOptions.defaults(0, Path.of("target", "hub-data", "health-" + UUID.randomUUID())));
        try (hub; TcpProxy proxy = new TcpProxy(new InetSocketAddress("127.0.0.1", hub.port()), 0);
             Courier worker = Courier.connect("http://127.0.0.1:" + proxy.address().getPort() + "?retry-for=1s&connect-timeout=1s")) {
            worker.subscribe(SubscriptionOptions.group(g).member("w1").pollWait(Duration.ofMillis(200)).build(), d -> { });
            assertTrue(Await.until(() -> worker.health().subscriptions().get(0).sinceLastReceive() != null, Duration.ofSeconds(10)));
            JsonNode fromHub = hubHealth(hub);
            assertEquals("up", fromHub.get("status").asText());
            assertEquals("http", fromHub.get("transport").asText());
            JsonNode poller = null;
            for (JsonNode s : fromHub.get("subscriptions")) if (s.get("group").asText().equals(g)) poller = s;
            assertNotNull(poller, fromHub.toString());
            assertEquals("w1", poller.get("member").asText());
            assertEquals("running", poller.get("state").asText());
            assertTrue(poller.get("sinceLastReceiveMs").asLong() < 5_000, poller.toString());
            assertEquals(fieldNames(JSON.readTree(worker.health().toJson()).get("subscriptions").get(0)), fieldNames(poller),
                    "the hub answers in the shape of Courier.health()");
            assertEquals(Health.Reachability.REACHABLE, worker.health().reachable());

            proxy.block();
            proxy.cut();
            assertTrue(Await.until(() -> worker.health().subscriptions().get(0).state() != State.RUNNING, Duration.ofSeconds(5)),
                    "still running after the cut: " + worker.health());
            // at once "connection lost" (the hub client saw its request fail); past retry-for the receive's own error
            assertTrue(Await.until(() -> String.valueOf(worker.health().subscriptions().get(0).lastError()).startsWith("TransportUnavailableException"),
                    Duration.ofSeconds(20)), "no receive error after the cut: " + worker.health());
            Health cut = worker.health();
            System.out.println("health during the cut: " + cut.toJson());
            SubscriptionHealth s = cut.subscriptions().get(0);
            assertTrue(s.state() == State.RECOVERING || s.state() == State.FAILING, cut.toString());
            assertNotNull(s.lastError());
            assertTrue(s.lastError().startsWith("TransportUnavailableException: hub at 127.0.0.1:"), s.lastError());
            assertEquals(Health.Reachability.UNREACHABLE, cut.reachable());
            assertEquals(Health.Status.DOWN, cut.status());

            proxy.unblock();
            assertTrue(Await.until(() -> worker.health().subscriptions().get(0).state() == State.RUNNING, Duration.ofSeconds(20)),
                    "not running again after the cut healed: " + worker.health());
            assertEquals(Health.Status.UP, worker.health().status());
        }
    }

    private static JsonNode hubHealth(CourierHub hub) throws Exception {
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(hub.url() + "/v1/health")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode());
        return JSON.readTree(r.body());
    }

    private static java.util.List<String> fieldNames(JsonNode n) {
        java.util.List<String> names = new java.util.ArrayList<>();
        n.fieldNames().forEachRemaining(names::add);
        return names;
    }
}
