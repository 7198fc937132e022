package io.courier.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.courier.Destination;
import io.courier.Message;
import io.courier.http.hub.CourierHub;
import io.courier.http.hub.HubOptions;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * The hub's heap is bounded (issue #21): past its limit of unacked messages a send is refused with 503
 * {@code hub_full} naming the limit and the fix, never an {@code OutOfMemoryError}, and a hub killed full starts again
 * on its journal with the same heap and loses nothing. Before the limit, a hub with {@code -Xmx128m} answered HTTP 500
 * ({@code OutOfMemoryError}) after about 65,000 messages of 1 KiB and could not start again on its journal.
 */
class HubMemoryTest {
    private static final byte[] KIB = new byte[1024];
    private final HubProbe probe = new HubProbe();

    /** Sends batches of {@code batch} 1 KiB messages until the hub answers 503 hub_full; every other answer must be 200. */
    private List<String> fill(String url, String group, int batch, HubProbe.Answer[] refusal) throws Exception {
        List<String> accepted = new ArrayList<>();
        String payload = Base64.getEncoder().encodeToString(KIB);
        for (int b = 0; ; b++) {
            StringBuilder body = new StringBuilder("{\"messages\":[");
            List<String> ids = new ArrayList<>();
            for (int i = 0; i < batch; i++) {
                String id = "m" + b + "-" + i;
                ids.add(id);
                if (i > 0) body.append(',');
                body.append("{\"destination\":\"any@").append(group).append("\",\"id\":\"").append(id).append("\",\"payload\":\"").append(payload).append("\"}");
            }
            HubProbe.Answer a = probe.post(url, "/v1/send", body.append("]}").toString());
            if (a.status() == 503 && a.body() != null && "hub_full".equals(a.body().path("error").asText())) {
                refusal[0] = a;
                return accepted;
            }
            assertEquals(200, a.status(), "batch " + b + " answered " + a.status() + ": " + a.body());
            accepted.addAll(ids);
        }
    }

    /** Receives and acks until {@code expected} distinct ids came, or the group stays empty for 5 s. */
    private Set<String> drain(String url, String group, int expected) throws Exception {
        Set<String> got = new HashSet<>();
        probe.drain(url, group, expected, 1000, d -> got.add(d.get("id").asText()));
        return got;
    }

    @Test
    void pastItsLimitASendIsRefusedHubFullAndAcceptedAgainOnceConsumersCatchUp() throws Exception {
        String g = "mem-" + UUID.randomUUID().toString().substring(0, 8);
        try (CourierHub hub = CourierHub.start(HubOptions.defaults(0, Path.of("target", "hub-data", "mem-" + UUID.randomUUID()))
                .withMaxHeldBytes(2L << 20))) {
            HubProbe.Answer[] refusal = new HubProbe.Answer[1];
            List<String> accepted = fill(hub.url(), g, 100, refusal);
            String message = refusal[0].body().path("message").asText();
            System.out.printf("hub full after %d messages of 1 KiB with a 2 MiB limit (their metadata; the payloads are in the journal): %s%n", accepted.size(), message);
            assertTrue(accepted.size() >= 1_500 && accepted.size() <= 2_100, accepted.size() + " accepted under a 2 MiB limit of metadata (about 1,050 bytes a message)");
            assertTrue(message.contains("hub full") && message.contains("2.0 MiB") && message.contains("--max-held-bytes"), message);
            assertEquals("1", refusal[0].retryAfter(), "a refusal tells when to retry");
            Set<String> got = drain(hub.url(), g, accepted.size());
            assertEquals(new HashSet<>(accepted), got, "every accepted message is delivered");
            hub.send(List.of(Message.to(Destination.any(g)).id("after").payload(KIB).build())).join(); // room again
            assertEquals(Set.of("after"), drain(hub.url(), g, 1));
        }
    }

    @Test
    void aHubWith128MiBOfHeapFillsUpWithoutRunningOutAndStartsAgainOnItsJournal() throws Exception {
        String g = "mem128-" + UUID.randomUUID().toString().substring(0, 8);
        try (HubFixture hub = HubFixture.withHeap("mem128", "-Xmx128m")) {
            HubProbe.Answer[] refusal = new HubProbe.Answer[1];
            long t0 = System.nanoTime();
            List<String> accepted = fill(hub.url(), g, 500, refusal);
            System.out.printf("hub -Xmx128m: %d messages of 1 KiB accepted in %.1f s, then: %s%n", accepted.size(), (System.nanoTime() - t0) / 1e9,
                    refusal[0].body().path("message").asText());
            assertTrue(accepted.size() >= 10_000, "only " + accepted.size() + " accepted: the default limit is 40% of the heap");
            long used = HubProbe.heapUsedAfterGc(hub.pid());
            System.out.printf("hub -Xmx128m full: %d KiB of heap used after a GC, %d bytes per queued message of 1 KiB%n",
                    used >> 10, used / accepted.size());
            hub.kill();
            long t1 = System.nanoTime();
            hub.start(); // the same heap, the same journal: it must start
            System.out.printf("hub -Xmx128m restarted on %d unacked messages in %.1f s%n", accepted.size(), (System.nanoTime() - t1) / 1e9);
            Set<String> got = drain(hub.url(), g, accepted.size());
            Set<String> lost = new HashSet<>(accepted);
            lost.removeAll(got);
            System.out.printf("hub -Xmx128m: sent %d, lost %d after the restart%n", accepted.size(), lost.size());
            assertTrue(lost.isEmpty(), "lost " + lost.size() + " accepted messages");
        }
    }
}
