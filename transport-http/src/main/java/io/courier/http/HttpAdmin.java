package io.courier.http;

import static io.courier.spi.GroupStats.known;
import static io.courier.spi.GroupStats.unknown;

import com.fasterxml.jackson.databind.JsonNode;
import io.courier.CourierException;
import io.courier.spi.Admin;
import io.courier.spi.GroupListing;
import io.courier.spi.GroupStats;
import java.time.Duration;

/**
 * {@link Admin} of {@code http://} (a Courier hub): counts from the hub's {@code GET /v1/stats}, which are exact
 * (the hub holds every message): backlog = depth less delayed, in flight = leased, delayed = waiting for their
 * not-before or nack delay, dead letters = held and leased messages of the dead-letter group. The hub counts live
 * members, not anonymous consumers: consumers unknown. Delete is {@code DELETE /v1/groups/{group}}: the hub removes
 * every message of the group and of its dead-letter group (members' included), journaled and forced. Both calls are
 * retried while the hub is unreachable, up to {@code retry-for}.
 */
final class HttpAdmin implements Admin {
    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    private final HubClient client;

    HttpAdmin(HubClient client) { this.client = client; }

    @Override
    public GroupStats stats(String group, String deadLetterGroup) {
        JsonNode groups = call("reading the counts of group " + group, h -> h.callRetrying("/v1/stats", null, TIMEOUT, deadline())).path("groups");
        JsonNode g = find(groups, group);
        JsonNode dead = find(groups, deadLetterGroup);
        long depth = g.path("depth").asLong();
        long delayed = g.path("delayed").asLong();
        return new GroupStats(group, known(depth - delayed), known(g.path("inFlight").asLong()), known(delayed),
                known(dead.path("depth").asLong() + dead.path("inFlight").asLong()), unknown());
    }

    /** The group's entry of {@code /v1/stats}, or an empty node (every count 0) when the hub holds nothing of it. */
    private static JsonNode find(JsonNode groups, String group) {
        for (JsonNode n : groups) if (group.equals(n.path("group").asText())) return n;
        return HubClient.JSON.createObjectNode();
    }

    /** The groups of the hub's {@code GET /v1/stats} (every group its engine holds; members are inside their group). */
    @Override
    public GroupListing groups(String prefix) {
        JsonNode groups = call("listing the groups", h -> h.callRetrying("/v1/stats", null, TIMEOUT, deadline())).path("groups");
        java.util.List<String> names = new java.util.ArrayList<>();
        for (JsonNode n : groups) if (n.path("group").asText().startsWith(prefix)) names.add(n.path("group").asText());
        return GroupListing.of(names);
    }

    @Override
    public boolean deleteGroup(String group) {
        return call("deleting group " + group, h -> h.callRetrying("DELETE", "/v1/groups/" + group, null, TIMEOUT, deadline()))
                .path("deleted").asBoolean();
    }

    private long deadline() { return System.currentTimeMillis() + client.settings().retryFor.toMillis(); }

    private interface HubCall { JsonNode on(HubClient client) throws InterruptedException; }

    private JsonNode call(String what, HubCall work) {
        try {
            return work.on(client);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CourierException("interrupted while " + what, e);
        }
    }
}
