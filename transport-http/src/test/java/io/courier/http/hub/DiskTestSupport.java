package io.courier.http.hub;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.courier.Courier;
import io.courier.RetryPolicy;
import io.courier.Subscription;
import io.courier.SubscriptionOptions;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/** What the disk-fault tests share: raw HTTP to a hub, its health, and draining a group to count lost and duplicates. */
final class DiskTestSupport {
    private DiskTestSupport() {}

    static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    static HttpResponse<String> post(CourierHub hub, String path, String body) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(hub.url() + path)).POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /** One {@code /v1/receive} of up to {@code max} deliveries of {@code group} (waiting up to 500 ms), leased for {@code leaseMs}. */
    static JsonNode receive(CourierHub hub, String session, String group, int max, long leaseMs) throws Exception {
        HttpResponse<String> r = post(hub, "/v1/receive", "{\"session\":\"" + session + "\",\"group\":\"" + group + "\",\"max\":" + max
                + ",\"waitMs\":500,\"leaseMs\":" + leaseMs + "}");
        if (r.statusCode() != 200) throw new AssertionError("receive answered " + r.statusCode() + ": " + r.body());
        return JSON.readTree(r.body()).get("deliveries");
    }

    /** Acks {@code leases} in one {@code /v1/settle}; fails unless it is answered 200. */
    static void ack(CourierHub hub, String session, java.util.List<String> leases) throws Exception {
        StringBuilder b = new StringBuilder("{\"session\":\"" + session + "\",\"ack\":[");
        for (int i = 0; i < leases.size(); i++) b.append(i > 0 ? "," : "").append('"').append(leases.get(i)).append('"');
        HttpResponse<String> r = post(hub, "/v1/settle", b.append("]}").toString());
        if (r.statusCode() != 200) throw new AssertionError("settle answered " + r.statusCode() + ": " + r.body());
    }

    static JsonNode health(CourierHub hub) throws Exception { return get(hub, "/v1/health"); }

    /** The JSON answer of {@code GET path}. */
    static JsonNode get(CourierHub hub, String path) throws Exception {
        return JSON.readTree(HTTP.send(HttpRequest.newBuilder(URI.create(hub.url() + path)).build(), HttpResponse.BodyHandlers.ofString()).body());
    }

    /**
     * A group's drain from a hub started again on the same journal: the distinct ids received, the number of deliveries,
     * how long the start took and the journal's state after it.
     */
    record Drained(Set<String> received, int deliveries, long startMillis, String journalState) {
        Set<String> lostOf(Set<String> accepted) {
            Set<String> lost = new HashSet<>(accepted);
            lost.removeAll(received);
            return lost;
        }

        /** Ids delivered that were never answered 200 (refused sends that were stored after all). */
        Set<String> unansweredOf(Set<String> accepted) {
            Set<String> extra = new HashSet<>(received);
            extra.removeAll(accepted);
            return extra;
        }

        int duplicates() { return deliveries - received.size(); }
    }

    /** Starts a hub with {@code options} (on the journal a closed hub left) and drains {@code group} of it. */
    static Drained restartAndDrain(HubOptions options, String group, Set<String> expected) throws Exception {
        long t = System.nanoTime();
        CourierHub hub = CourierHub.start(options);
        long startMillis = (System.nanoTime() - t) / 1_000_000;
        try {
            String state = health(hub).get("journal").get("state").asText();
            Drained d = drain(hub.url(), group, expected);
            return new Drained(d.received, d.deliveries, startMillis, state);
        } finally {
            hub.close();
        }
    }

    /** Receives from {@code group} of the hub at {@code url} until every id of {@code expected} came, or 60 s passed. */
    static Drained drain(String url, String group, Set<String> expected) throws Exception {
        Set<String> received = ConcurrentHashMap.newKeySet();
        AtomicInteger deliveries = new AtomicInteger();
        try (Courier c = Courier.connect(url)) {
            Subscription sub = c.subscribe(SubscriptionOptions.group(group).concurrency(4).pollWait(Duration.ofMillis(200))
                    .retry(RetryPolicy.immediate(1000)).build(), d -> {
                        received.add(d.message().id());
                        deliveries.incrementAndGet();
                    });
            long deadline = System.currentTimeMillis() + 60_000;
            while (!received.containsAll(expected) && System.currentTimeMillis() < deadline) Thread.sleep(50);
            Thread.sleep(300); // anything more that the journal held comes now
            sub.close();
        }
        return new Drained(Set.copyOf(received), deliveries.get(), 0, null);
    }
}
