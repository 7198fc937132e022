package io.courier.http.hub;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.courier.Destination;
import io.courier.Message;
import java.io.IOException;
import java.net.URI;
import java.util.UUID;

/**
 * A push subscription: the hub posts the deliveries of {@code group} (and of {@code member}'s own queue, when given)
 * to {@code url}. Journaled as a PUSH record (destination = the group and member, payload = this as JSON), so it
 * survives a restart; {@link #describe()} is what {@code /v1/stats} and {@code /v1/push} show: no secret, no token,
 * and the URL without its user info and query.
 */
record PushSubscription(String id, String group, String member, URI url, String secret, String token, int concurrency,
                        long timeoutMs, int maxAttempts, long retryInitialMs, long retryMaxMs, long leaseMs, long ttlMs,
                        boolean jsonEnvelope) {
    private static final ObjectMapper JSON = new ObjectMapper();

    static String newId() { return "push-" + UUID.randomUUID().toString().substring(0, 12); }

    /** The URL with no user info and no query or fragment (safe to show and log). */
    static String redact(URI u) {
        return u.getScheme() + "://" + u.getHost() + (u.getPort() < 0 ? "" : ":" + u.getPort()) + (u.getRawPath() == null ? "" : u.getRawPath());
    }

    String safeUrl() { return redact(url); }

    Destination destination() { return member == null ? Destination.any(group) : Destination.uni(group, member); }

    ObjectNode describe() {
        ObjectNode o = JSON.createObjectNode();
        o.put("id", id);
        o.put("group", group);
        if (member != null) o.put("member", member);
        o.put("url", safeUrl());
        o.put("signed", secret != null);
        o.put("bearer", token != null);
        o.put("concurrency", concurrency);
        o.put("timeoutMs", timeoutMs);
        o.put("maxAttempts", maxAttempts);
        o.put("leaseMs", leaseMs);
        if (ttlMs > 0) o.put("ttlMs", ttlMs);
        o.put("envelope", jsonEnvelope ? "json" : "raw");
        return o;
    }

    /** The journal form (holds the secret: the journal is the hub's own disk, like the messages). */
    Message toMessage() {
        ObjectNode o = describe();
        o.put("url", url.toString());
        if (secret != null) o.put("secret", secret);
        if (token != null) o.put("token", token);
        o.put("retryInitialMs", retryInitialMs);
        o.put("retryMaxMs", retryMaxMs);
        try {
            return Message.to(destination()).id(id).payload(JSON.writeValueAsBytes(o)).build();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    static PushSubscription fromMessage(Message m) throws IOException {
        JsonNode o = JSON.readTree(m.payload());
        return new PushSubscription(m.id(), m.destination().group(), m.destination().member(), URI.create(o.get("url").asText()),
                text(o, "secret"), text(o, "token"), o.get("concurrency").asInt(), o.get("timeoutMs").asLong(),
                o.get("maxAttempts").asInt(), o.path("retryInitialMs").asLong(200), o.path("retryMaxMs").asLong(30_000),
                o.get("leaseMs").asLong(), o.path("ttlMs").asLong(0), o.path("envelope").asText("raw").equals("json"));
    }

    private static String text(JsonNode o, String f) { return o.hasNonNull(f) ? o.get(f).asText() : null; }
}
