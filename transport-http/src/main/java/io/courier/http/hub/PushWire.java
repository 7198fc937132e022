package io.courier.http.hub;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.courier.Message;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Base64;

/** What a push puts on the wire and reads back from it: the JSON envelope, header-safe ids and values, Retry-After. */
final class PushWire {
    private static final ObjectMapper JSON = new ObjectMapper();

    private PushWire() {}

    /**
     * The JSON envelope of a delivery (subscriptions with {@code "envelope":"json"}): everything the raw envelope
     * carries in HTTP headers, with the payload in base64, so that binary payloads and any header value travel in
     * one document that every language parses.
     */
    static byte[] jsonEnvelope(DurableQueues.Lease l, PushSubscription sub) {
        ObjectNode o = HubApi.delivery(l);
        o.put("maxAttempts", sub.maxAttempts());
        o.put("leaseMs", sub.leaseMs());
        try {
            return JSON.writeValueAsBytes(o);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The message id when it is a plain token (the same on every attempt, for the receiver's idempotency), else a hash of it. */
    static String webhookId(Message m) {
        String id = m.id();
        if (id.length() <= 200 && id.matches("[A-Za-z0-9._:~-]+")) return id;
        return "msg_" + hash(m.destination().group() + "\u0000" + id);
    }

    static String encodedOrHash(String id) {
        return id.length() <= 1000 && printable(id) ? id : "b64:" + Base64.getEncoder().encodeToString(id.getBytes(StandardCharsets.UTF_8));
    }

    private static String hash(String s) {
        try {
            byte[] h = MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
            return Base64.getUrlEncoder().withoutPadding().encodeToString(h).substring(0, 32);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static boolean printable(String v) {
        for (int i = 0; i < v.length(); i++) {
            char c = v.charAt(i);
            if (c < 0x20 || c > 0x7e) return false;
        }
        return true;
    }

    /** Retry-After as delay-seconds or an HTTP date, in ms; -1 when unreadable. */
    static long retryAfterMillis(String v) {
        String t = v.trim();
        try {
            return Math.max(0, (long) (Double.parseDouble(t) * 1000));
        } catch (NumberFormatException e) {
            try {
                return Math.max(0, ZonedDateTime.parse(t, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant().toEpochMilli() - System.currentTimeMillis());
            } catch (RuntimeException e2) {
                return -1;
            }
        }
    }
}
