package io.courier.http.hub;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.courier.AuthenticationException;
import io.courier.Courier;
import io.courier.Message;
import io.courier.spi.Received;
import io.courier.spi.Receiver;
import io.courier.spi.ReceiverSpec;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/** The hub's HTTP API as a plain client sees it: auth, limits, validation, health, stats, sessions. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class HubApiTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String TOKEN = "t0ken-" + UUID.randomUUID();
    private final HttpClient http = HttpClient.newHttpClient();
    private CourierHub hub;

    @BeforeAll
    void start() {
        Path dir = Path.of("target", "hub-data", "api-" + UUID.randomUUID());
        hub = CourierHub.start(HubOptions.defaults(0, dir).withToken(TOKEN).withLimits(1_000, 64_000).withSessionTimeout(Duration.ofSeconds(3)));
    }

    @AfterAll
    void stop() { hub.close(); }

    private record Answer(int status, JsonNode body) {}

    private Answer call(String method, String path, String body, String token) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(hub.url() + path));
        if (token != null) b.header("Authorization", "Bearer " + token);
        b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        return new Answer(r.statusCode(), r.body().isEmpty() ? null : JSON.readTree(r.body()));
    }

    private Answer post(String path, String body) throws Exception { return call("POST", path, body, TOKEN); }

    private static String group() { return "api-" + UUID.randomUUID().toString().substring(0, 8); }

    @Test
    void aMissingOrWrongTokenGets401WithAJsonError() throws Exception {
        Answer none = call("GET", "/v1/health", null, null);
        assertEquals(401, none.status);
        assertEquals("unauthorized", none.body.get("error").asText());
        assertTrue(none.body.get("message").asText().contains("missing bearer token"));
        Answer wrong = call("POST", "/v1/send", "{}", "nope");
        assertEquals(401, wrong.status);
        assertFalse(wrong.body.toString().contains(TOKEN), "the token must never be echoed");
        assertEquals(200, call("GET", "/v1/health", null, TOKEN).status);
    }

    @Test
    void theClientMapsA401ToAuthenticationException() {
        AuthenticationException e = assertThrows(AuthenticationException.class, () -> Courier.connect(hub.url() + "?token=wrong"));
        assertTrue(e.getMessage().contains("401"), e.getMessage());
        assertFalse(e.getMessage().contains("wrong") && e.getMessage().contains("token=wrong"), e.getMessage());
        try (Courier ok = Courier.connect("http://courier:" + TOKEN + "@127.0.0.1:" + hub.port())) {
            assertFalse(ok.url().contains(TOKEN), "the URL shown must hide the token");
        }
    }

    @Test
    void anOversizedBodyOrMessageGets413NamingTheLimit() throws Exception {
        String big = "{\"messages\":[{\"destination\":\"any@g\",\"payload\":\"" + "A".repeat(70_000) + "\"}]}";
        Answer body = post("/v1/send", big);
        assertEquals(413, body.status);
        assertTrue(body.body.get("message").asText().contains("64000"), body.body.toString());
        String msg = "{\"messages\":[{\"destination\":\"any@g\",\"payload\":\"" + "A".repeat(2_000) + "\"}]}";
        Answer one = post("/v1/send", msg);
        assertEquals(413, one.status);
        assertTrue(one.body.get("message").asText().contains("1000 bytes (max-payload)"), one.body.toString());
    }

    /** Found by HubFuzzTest: after a route that does not read its body (renew, GET), the next request on the connection went unanswered. */
    @Test
    void aRequestWhoseBodyTheRouteDoesNotReadIsStillAnswered() throws Exception {
        String big = "{\"session\":\"" + "z".repeat(70_000) + "\"}";
        for (int i = 0; i < 50; i++) {
            assertEquals(200, call("GET", "/v1/stats", null, TOKEN).status);
            assertEquals(200, post("/v1/push/nothing-here/renew", big).status, "renew " + i);
            assertEquals(200, call("GET", "/v1/stats", big, TOKEN).status, "stats with a body " + i);
        }
    }

    @Test
    void malformedJsonAndBadFieldsGet400NamingTheField() throws Exception {
        Answer syntax = post("/v1/send", "{\"messages\": [");
        assertEquals(400, syntax.status);
        assertTrue(syntax.body.get("message").asText().contains("malformed JSON"));
        Answer missing = post("/v1/send", "{}");
        assertEquals(400, missing.status);
        assertTrue(missing.body.get("message").asText().contains("'messages'"));
        Answer dest = post("/v1/send", "{\"messages\":[{\"destination\":\"any@ok\"},{\"destination\":\"any@bad group\"}]}");
        assertEquals(400, dest.status);
        assertTrue(dest.body.get("message").asText().contains("messages[1].destination"), dest.body.toString());
        Answer header = post("/v1/send", "{\"messages\":[{\"destination\":\"any@g\",\"headers\":{\"bad name!\":\"x\"}}]}");
        assertEquals(400, header.status);
        assertTrue(header.body.get("message").asText().contains("messages[0].headers"));
        Answer b64 = post("/v1/send", "{\"messages\":[{\"destination\":\"any@g\",\"payload\":\"***\"}]}");
        assertEquals(400, b64.status);
        assertTrue(b64.body.get("message").asText().contains("messages[0].payload"));
        Answer max = post("/v1/receive", "{\"session\":\"s\",\"group\":\"g\",\"max\":\"ten\"}");
        assertEquals(400, max.status);
        assertTrue(max.body.get("message").asText().contains("'max'"));
        Answer group = post("/v1/receive", "{\"session\":\"s\",\"group\":\"no/slash\"}");
        assertEquals(400, group.status);
        assertTrue(group.body.get("message").asText().contains("no/slash"));
        Answer lease = post("/v1/settle", "{\"ack\":[\"not-a-lease\"]}");
        assertEquals(400, lease.status);
        assertTrue(lease.body.get("message").asText().contains("ack[0]"));
        assertEquals(404, post("/v1/nothing", "{}").status);
        assertEquals(405, call("GET", "/v1/send", null, TOKEN).status);
        assertEquals(400, post("/v1/send", "[1,2]").status);
        assertEquals(400, post("/v1/send", "").status);
        assertEquals(200, call("GET", "/v1/health", null, TOKEN).status, "the hub is still healthy after bad requests");
    }

    @Test
    void healthAndStatsReportLimitsDepthsAndDeadLetters() throws Exception {
        String g = group();
        Answer health = call("GET", "/v1/health", null, TOKEN);
        assertEquals("up", health.body.get("status").asText());
        assertEquals("reachable", health.body.get("reachable").asText());
        assertEquals(1_000, health.body.get("maxPayloadBytes").asLong());
        assertEquals(200, post("/v1/send", "{\"messages\":[{\"destination\":\"any@" + g + "\",\"id\":\"a\"},{\"destination\":\"any@" + g + "\",\"id\":\"b\"}]}").status);
        Answer got = post("/v1/receive", "{\"session\":\"" + UUID.randomUUID() + "\",\"group\":\"" + g + "\",\"max\":1,\"waitMs\":1000}");
        String lease = got.body.get("deliveries").get(0).get("lease").asText();
        Answer dead = post("/v1/settle", "{\"deadLetter\":[{\"lease\":\"" + lease + "\",\"reason\":\"poison\"}]}");
        assertEquals(1, dead.body.get("deadLettered").asInt(), dead.body.toString());
        JsonNode stats = call("GET", "/v1/stats", null, TOKEN).body;
        JsonNode mine = null;
        for (JsonNode n : stats.get("groups")) if (n.get("group").asText().equals(g)) mine = n;
        assertEquals(1, mine.get("depth").asInt(), stats.toString());
        assertEquals(0, mine.get("inFlight").asInt());
        assertEquals(1, mine.get("deadLetters").asInt());
        assertTrue(stats.get("journal").get("fsyncs").asLong() > 0);
    }

    @Test
    void aSettleWithOneBadEntryIsRefusedWholeAndChangesNothing() throws Exception {
        String g = group();
        post("/v1/send", "{\"messages\":[{\"destination\":\"any@" + g + "\",\"id\":\"x\"}]}");
        Answer got = post("/v1/receive", "{\"session\":\"" + UUID.randomUUID() + "\",\"group\":\"" + g + "\",\"waitMs\":1000,\"leaseMs\":600000}");
        String lease = got.body.get("deliveries").get(0).get("lease").asText();
        // a valid nack, then an extend whose ms is out of range: before the fix the nack was applied, then 400
        Answer bad = post("/v1/settle", "{\"nack\":[{\"lease\":\"" + lease + "\"}],\"extend\":[{\"lease\":\"" + lease + "\",\"ms\":0}]}");
        assertEquals(400, bad.status, bad.body.toString());
        assertTrue(bad.body.toString().contains("extend[0].ms"), bad.body.toString());
        Answer again = post("/v1/receive", "{\"session\":\"" + UUID.randomUUID() + "\",\"group\":\"" + g + "\",\"waitMs\":300}");
        assertEquals(0, again.body.get("deliveries").size(), "the refused request must not have nacked the lease");
        Answer ok = post("/v1/settle", "{\"ack\":[\"" + lease + "\"]}");
        assertEquals(1, ok.body.get("acked").asInt(), ok.body.toString());
    }

    @Test
    void aReconnectingMemberReplacesItsOldSessionAndTakesItsLeases() throws Exception {
        String g = group();
        post("/v1/send", "{\"messages\":[{\"destination\":\"uni@" + g + "/w1\",\"id\":\"x\"}]}");
        Answer first = post("/v1/receive", "{\"session\":\"old-" + g + "\",\"group\":\"" + g + "\",\"member\":\"w1\",\"max\":5,\"waitMs\":1000,\"leaseMs\":600000}");
        assertEquals(1, first.body.get("deliveries").size());
        Answer second = post("/v1/receive", "{\"session\":\"new-" + g + "\",\"group\":\"" + g + "\",\"member\":\"w1\",\"max\":5,\"waitMs\":2000}");
        assertEquals(1, second.body.get("deliveries").size(), "the old session's lease was not released by the new session of the same member");
        assertEquals(2, second.body.get("deliveries").get(0).get("attempt").asInt());
        Answer stale = post("/v1/settle", "{\"ack\":[\"" + first.body.get("deliveries").get(0).get("lease").asText() + "\"]}");
        assertEquals(0, stale.body.get("acked").asInt(), "a lease of the replaced session must be stale");
    }

    @Test
    void closingOrAbandoningASessionReleasesItsLeasesAtOnce() throws Exception {
        String g = group();
        post("/v1/send", "{\"messages\":[{\"destination\":\"any@" + g + "\",\"id\":\"x\"}]}");
        String s = UUID.randomUUID().toString();
        assertEquals(1, post("/v1/receive", "{\"session\":\"" + s + "\",\"group\":\"" + g + "\",\"waitMs\":1000,\"leaseMs\":600000}").body.get("deliveries").size());
        assertTrue(post("/v1/close", "{\"session\":\"" + s + "\"}").body.get("closed").asBoolean());
        Answer again = post("/v1/receive", "{\"session\":\"" + UUID.randomUUID() + "\",\"group\":\"" + g + "\",\"waitMs\":1000,\"leaseMs\":600000}");
        assertEquals(1, again.body.get("deliveries").size(), "close did not release the lease");
        long t0 = System.currentTimeMillis();
        Answer afterExpiry = post("/v1/receive", "{\"session\":\"" + UUID.randomUUID() + "\",\"group\":\"" + g + "\",\"waitMs\":10000}");
        assertEquals(1, afterExpiry.body.get("deliveries").size(), "an abandoned session's lease was not released");
        assertTrue(System.currentTimeMillis() - t0 < 8_000, "released by the session timeout (3 s), not the lease (10 min)");
    }

    @Test
    void theClientTransportRoundTripsThroughTheApi() throws Exception {
        String g = group();
        try (Courier c = Courier.connect(hub.url() + "?token=" + TOKEN)) {
            assertFalse(c.url().contains(TOKEN), "a token parameter must be hidden in the URL shown: " + c.url());
            c.send(Message.to("any@" + g).id("m1").header("k", "v").payload(new byte[] {0, 1, (byte) 255}).build()).get();
            Receiver r = c.transport().openReceiver(new ReceiverSpec(g, null, 10, Duration.ofSeconds(30)));
            List<? extends Received> got = r.receive(10, Duration.ofSeconds(5));
            assertEquals(1, got.size());
            assertEquals("v", got.get(0).message().headers().get("k"));
            assertEquals(3, got.get(0).message().payload().length);
            r.ack(got);
            r.close();
        }
    }

    /**
     * A receiver gives back deliveries no handler saw (the runtime closing with prefetched ones): they come again at
     * once with the same attempt number. Before, the hub receiver had no release and nacked them, which counted.
     */
    @Test
    void aReleasedDeliveryComesBackWithoutAnAttemptCounted() throws Exception {
        String g = group();
        try (Courier c = Courier.connect(hub.url() + "?token=" + TOKEN)) {
            c.send(Message.to("any@" + g).id("r1").build()).get();
            Receiver r = c.transport().openReceiver(new ReceiverSpec(g, null, 10, Duration.ofSeconds(30)));
            List<? extends Received> got = r.receive(10, Duration.ofSeconds(5));
            assertEquals(1, got.size());
            assertEquals(1, got.get(0).attempt());
            r.release(got);
            List<? extends Received> again = r.receive(10, Duration.ofSeconds(5));
            assertEquals(1, again.size(), "a released delivery is delivered again at once");
            assertEquals(1, again.get(0).attempt(), "a release is no attempt (C15)");
            r.ack(again);
            r.close();
        }
        String s = UUID.randomUUID().toString();
        post("/v1/send", "{\"messages\":[{\"destination\":\"any@" + g + "\",\"id\":\"r2\"}]}");
        Answer first = post("/v1/receive", "{\"session\":\"" + s + "\",\"group\":\"" + g + "\",\"waitMs\":1000}");
        String lease = first.body.get("deliveries").get(0).get("lease").asText();
        Answer released = post("/v1/settle", "{\"session\":\"" + s + "\",\"release\":[\"" + lease + "\"]}");
        assertEquals(1, released.body.get("released").asInt(), released.body.toString());
        Answer again = post("/v1/receive", "{\"session\":\"" + s + "\",\"group\":\"" + g + "\",\"waitMs\":1000}");
        assertEquals(1, again.body.get("deliveries").get(0).get("attempt").asInt(), again.body.toString());
        assertEquals(400, post("/v1/settle", "{\"release\":[\"not-a-lease\"]}").status, "a malformed lease in release is refused");
    }
}
