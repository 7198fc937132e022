package io.courier.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.UUID;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** What the hub's memory tests do to a hub over HTTP and to its JVM: plain JSON posts, a drain that acks, the heap after a full GC. */
final class HubProbe {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpClient http = HttpClient.newHttpClient();

    /** An answer: status, the Retry-After header, the body (as JSON, or its first 300 characters as text: e.g. Jetty's page for an OutOfMemoryError). */
    record Answer(int status, String retryAfter, JsonNode body) {}

    Answer post(String url, String path, String body) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url + path)).POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
        String b = r.body();
        JsonNode json = b.startsWith("{") ? JSON.readTree(b) : JSON.getNodeFactory().textNode(b.substring(0, Math.min(300, b.length())));
        return new Answer(r.statusCode(), r.headers().firstValue("retry-after").orElse(null), json);
    }

    /**
     * Receives ({@code max} a poll) and acks until {@code expected} deliveries came, or the group stays empty for 5 s;
     * tells {@code each} every delivery (a redelivered message twice).
     */
    int drain(String url, String group, int expected, int max, Consumer<JsonNode> each) throws Exception {
        int got = 0;
        String session = "drain-" + UUID.randomUUID();
        while (got < expected) {
            JsonNode d = post(url, "/v1/receive", "{\"session\":\"" + session + "\",\"group\":\"" + group + "\",\"max\":" + max + ",\"waitMs\":5000}")
                    .body().get("deliveries");
            if (d.isEmpty()) break;
            StringBuilder acks = new StringBuilder("{\"session\":\"" + session + "\",\"ack\":[");
            for (int i = 0; i < d.size(); i++) {
                each.accept(d.get(i));
                acks.append(i > 0 ? "," : "").append('"').append(d.get(i).get("lease").asText()).append('"');
            }
            got += d.size();
            assertEquals(200, post(url, "/v1/settle", acks.append("]}").toString()).status());
        }
        return got;
    }

    /** The heap in use after a full GC of process {@code pid} (jcmd GC.run, then GC.heap_info: the generations' "used", SerialGC's format), in bytes. */
    static long heapUsedAfterGc(long pid) throws Exception {
        String jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd").toString();
        new ProcessBuilder(jcmd, Long.toString(pid), "GC.run").redirectErrorStream(true).start().waitFor();
        Process p = new ProcessBuilder(jcmd, Long.toString(pid), "GC.heap_info").redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor();
        long kib = 0;
        Matcher m = Pattern.compile("(?m)^\\s*\\S+\\s+total \\d+K, used (\\d+)K").matcher(out);
        while (m.find()) kib += Long.parseLong(m.group(1));
        assertTrue(kib > 0, "jcmd GC.heap_info printed no generation: " + out);
        return kib << 10;
    }
}
