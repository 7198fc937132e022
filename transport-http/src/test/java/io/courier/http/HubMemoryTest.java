package io.courier.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.courier.Destination;
import io.courier.Message;
import io.courier.http.hub.CourierHub;
import io.courier.http.hub.HubOptions;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
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
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final byte[] KIB = new byte[1024];
    private final HttpClient http = HttpClient.newHttpClient();

    private record Answer(int status, String retryAfter, JsonNode body) {}

    private Answer post(String url, String path, String body) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url + path)).POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
        String b = r.body();
        JsonNode json = b.startsWith("{") ? JSON.readTree(b) : JSON.getNodeFactory().textNode(b.substring(0, Math.min(300, b.length())));
        return new Answer(r.statusCode(), r.headers().firstValue("retry-after").orElse(null), json); // not JSON: e.g. Jetty's page for an OutOfMemoryError
    }

    /** Sends batches of {@code batch} 1 KiB messages until the hub answers 503 hub_full; every other answer must be 200. */
    private List<String> fill(String url, String group, int batch, Answer[] refusal) throws Exception {
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
            Answer a = post(url, "/v1/send", body.append("]}").toString());
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
        String session = "drain-" + UUID.randomUUID();
        while (got.size() < expected) {
            JsonNode d = post(url, "/v1/receive", "{\"session\":\"" + session + "\",\"group\":\"" + group + "\",\"max\":1000,\"waitMs\":5000}")
                    .body().get("deliveries");
            if (d.isEmpty()) break;
            StringBuilder acks = new StringBuilder("{\"session\":\"" + session + "\",\"ack\":[");
            for (int i = 0; i < d.size(); i++) {
                got.add(d.get(i).get("id").asText());
                acks.append(i > 0 ? "," : "").append('"').append(d.get(i).get("lease").asText()).append('"');
            }
            assertEquals(200, post(url, "/v1/settle", acks.append("]}").toString()).status());
        }
        return got;
    }

    /** The heap in use after a full GC of process {@code pid} (jcmd GC.run, then GC.heap_info: the generations' "used", SerialGC's format), in bytes. */
    private static long heapUsedAfterGc(long pid) throws Exception {
        String jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd").toString();
        new ProcessBuilder(jcmd, Long.toString(pid), "GC.run").redirectErrorStream(true).start().waitFor();
        Process p = new ProcessBuilder(jcmd, Long.toString(pid), "GC.heap_info").redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        p.waitFor();
        long kib = 0;
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(?m)^\\s*\\S+\\s+total \\d+K, used (\\d+)K").matcher(out);
        while (m.find()) kib += Long.parseLong(m.group(1));
        assertTrue(kib > 0, "jcmd GC.heap_info printed no generation: " + out);
        return kib << 10;
    }

    @Test
    void pastItsLimitASendIsRefusedHubFullAndAcceptedAgainOnceConsumersCatchUp() throws Exception {
        String g = "mem-" + UUID.randomUUID().toString().substring(0, 8);
        try (CourierHub hub = CourierHub.start(HubOptions.defaults(0, Path.of("target", "hub-data", "mem-" + UUID.randomUUID()))
                .withMaxHeldBytes(2L << 20))) {
            Answer[] refusal = new Answer[1];
            List<String> accepted = fill(hub.url(), g, 100, refusal);
            String message = refusal[0].body().path("message").asText();
            System.out.printf("hub full after %d messages of 1 KiB with a 2 MiB limit: %s%n", accepted.size(), message);
            assertTrue(accepted.size() >= 700 && accepted.size() <= 1_400, accepted.size() + " accepted under a 2 MiB limit");
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
            Answer[] refusal = new Answer[1];
            long t0 = System.nanoTime();
            List<String> accepted = fill(hub.url(), g, 500, refusal);
            System.out.printf("hub -Xmx128m: %d messages of 1 KiB accepted in %.1f s, then: %s%n", accepted.size(), (System.nanoTime() - t0) / 1e9,
                    refusal[0].body().path("message").asText());
            assertTrue(accepted.size() >= 10_000, "only " + accepted.size() + " accepted: the default limit is 40% of the heap");
            long used = heapUsedAfterGc(hub.pid());
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
