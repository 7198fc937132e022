package io.courier.http.hub;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The journal's size limit ({@code --max-journal-bytes}): past it a send is refused with 503 {@code hub_full} naming
 * the limit and the fix, nothing of it stored and nothing accepted before lost; acks bring the journal back under
 * (compaction deletes acked segments, and past the limit relocates half-garbage ones), and sends are accepted again.
 */
class HubJournalLimitTest {
    private static final long SEGMENT = 32 << 10;
    private static final long LIMIT = 256 << 10;
    private static final String PAYLOAD = Base64.getEncoder().encodeToString(new byte[4 << 10]);

    @TempDir
    Path tmp;

    private CourierHub start() {
        return CourierHub.start(HubOptions.defaults(0, tmp.resolve("hub")).withSegmentBytes(SEGMENT).withMaxJournalBytes(LIMIT));
    }

    private static HttpResponse<String> send(CourierHub hub, String group, List<String> ids) throws Exception {
        StringBuilder b = new StringBuilder("{\"messages\":[");
        for (int i = 0; i < ids.size(); i++) {
            b.append(i > 0 ? "," : "").append("{\"destination\":\"any@").append(group).append("\",\"id\":\"").append(ids.get(i))
                    .append("\",\"payload\":\"").append(PAYLOAD).append("\"}");
        }
        return DiskTestSupport.post(hub, "/v1/send", b.append("]}").toString());
    }

    /** Sends batches of 4 messages of 4 KiB until one is refused; answers the accepted ids and the refusal. */
    private static List<String> fill(CourierHub hub, String group, HttpResponse<String>[] refusal) throws Exception {
        List<String> accepted = new ArrayList<>();
        for (int b = 0; b < 1_000; b++) {
            List<String> ids = List.of("m" + b + "-0", "m" + b + "-1", "m" + b + "-2", "m" + b + "-3");
            HttpResponse<String> r = send(hub, group, ids);
            if (r.statusCode() != 200) {
                refusal[0] = r;
                return accepted;
            }
            accepted.addAll(ids);
        }
        throw new AssertionError("4,000 messages of 4 KiB accepted under a journal limit of " + LIMIT + " bytes");
    }

    /**
     * Sends until the hub accepts, as a client does on 503 with {@code Retry-After} (here every 20 ms, for at most 5 s):
     * an ack is answered before the compaction that it allows has run.
     */
    private static HttpResponse<String> sendUntilAccepted(CourierHub hub, String group, List<String> ids) throws Exception {
        long deadline = System.currentTimeMillis() + 5_000;
        HttpResponse<String> r;
        while ((r = send(hub, group, ids)).statusCode() == 503 && System.currentTimeMillis() < deadline) Thread.sleep(20);
        return r;
    }

    /** Receives (50 a poll) and acks until the group is empty; answers the ids received. */
    private static Set<String> drain(CourierHub hub, String session, String group) throws Exception {
        Set<String> got = new HashSet<>();
        for (JsonNode d; !(d = DiskTestSupport.receive(hub, session, group, 50, 30_000)).isEmpty(); ) {
            List<String> leases = new ArrayList<>();
            for (JsonNode one : d) {
                got.add(one.get("id").asText());
                leases.add(one.get("lease").asText());
            }
            DiskTestSupport.ack(hub, session, leases);
        }
        return got;
    }

    private static long diskBytes(CourierHub hub) throws Exception {
        return DiskTestSupport.get(hub, "/v1/stats").path("journal").path("diskBytes").asLong(-1);
    }

    @SuppressWarnings("unchecked")
    private static HttpResponse<String>[] oneAnswer() { return new HttpResponse[1]; }

    @Test
    void pastTheLimitASendIsRefusedHubFullNamingItAndAcceptedAgainOnceConsumersAck() throws Exception {
        String g = "jlimit-" + UUID.randomUUID().toString().substring(0, 8);
        try (CourierHub hub = start()) {
            HttpResponse<String>[] refusal = oneAnswer();
            List<String> accepted = fill(hub, g, refusal);
            JsonNode body = DiskTestSupport.JSON.readTree(refusal[0].body());
            String message = body.path("message").asText();
            long disk = diskBytes(hub);
            System.out.printf("journal limit %d bytes, segments of %d: %d messages of 4 KiB accepted, journal %d bytes on disk, then %d %s: %s%n",
                    LIMIT, SEGMENT, accepted.size(), disk, refusal[0].statusCode(), body.path("error").asText(), message);
            assertEquals(503, refusal[0].statusCode());
            assertEquals("hub_full", body.path("error").asText());
            assertEquals("1", refusal[0].headers().firstValue("retry-after").orElse(null), "a refusal tells when to retry");
            assertTrue(message.contains("hub full") && message.contains("journal") && message.contains("0.25 MiB")
                    && message.contains("--max-journal-bytes") && message.contains("Fix:"), message);
            assertTrue(disk <= LIMIT, "the journal stayed under its limit: " + disk);
            assertTrue(accepted.size() >= 40, "only " + accepted.size() + " accepted under " + LIMIT + " bytes");

            String session = "drain-" + UUID.randomUUID();
            Set<String> got = drain(hub, session, g);
            assertEquals(new HashSet<>(accepted), got, "every accepted message is delivered after the refusal");
            long t = System.nanoTime();
            HttpResponse<String> again = sendUntilAccepted(hub, g, List.of("after"));
            System.out.printf("drained: journal %d bytes on disk; a send accepted %d ms after the last ack%n", diskBytes(hub),
                    (System.nanoTime() - t) / 1_000_000);
            assertEquals(200, again.statusCode(), again.body());
        }
    }

    @Test
    void ackingHalfOfAFullJournalIsEnoughToAcceptAgain() throws Exception {
        String g = "jhalf-" + UUID.randomUUID().toString().substring(0, 8);
        try (CourierHub hub = start()) {
            List<String> accepted = fill(hub, g, oneAnswer());
            String session = "half-" + UUID.randomUUID();
            List<JsonNode> all = new ArrayList<>();
            for (JsonNode d; all.size() < accepted.size() && !(d = DiskTestSupport.receive(hub, session, g, 50, 60_000)).isEmpty(); ) d.forEach(all::add);
            assertEquals(accepted.size(), all.size());
            List<String> even = new ArrayList<>(), odd = new ArrayList<>();
            for (int i = 0; i < all.size(); i++) (i % 2 == 0 ? even : odd).add(all.get(i).get("lease").asText());
            List<String> next = List.of("after-0", "after-1", "after-2", "after-3");
            long received = diskBytes(hub);
            HttpResponse<String> full = send(hub, g, next);
            assertEquals(503, full.statusCode(), "full (" + received + " bytes on disk): the batch that fill could not send is refused: " + full.body());
            long before = diskBytes(hub);
            DiskTestSupport.ack(hub, session, even); // every other message: each segment is half garbage, none is empty
            long t = System.nanoTime();
            HttpResponse<String> again = sendUntilAccepted(hub, g, next);
            System.out.printf("half acked: journal %d → %d bytes (limit %d); the refused batch of 4 accepted %d ms after the ack%n", before,
                    diskBytes(hub), LIMIT, (System.nanoTime() - t) / 1_000_000);
            assertEquals(200, again.statusCode(), again.body());
            DiskTestSupport.ack(hub, session, odd);
            Set<String> rest = drain(hub, session, g);
            assertEquals(new HashSet<>(next), rest, "the odd half was acked, the new ones are delivered");
        }
    }

    @Test
    void aLimitBelowTwoSegmentsIsRefusedNamingTheFix() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> HubOptions.defaults(0, tmp).withSegmentBytes(SEGMENT).withMaxJournalBytes(SEGMENT));
        assertTrue(e.getMessage().contains("--max-journal-bytes") && e.getMessage().contains("--segment-bytes"), e.getMessage());
        assertEquals(LIMIT, HubMain.parse(new String[] {"--data", tmp.toString(), "--segment-bytes", "" + SEGMENT, "--max-journal-bytes", "" + LIMIT})
                .maxJournalBytes());
        assertEquals(0, HubOptions.defaults(0, tmp).maxJournalBytes(), "no limit of its own by default");
    }
}
