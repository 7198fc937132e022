package io.courier.http;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Signs and verifies pushes the way the <a href="https://www.standardwebhooks.com/">Standard Webhooks</a> spec says:
 * {@code webhook-signature: v1,<base64 of HMAC-SHA256(key, webhook-id + "." + webhook-timestamp + "." + body)>}.
 * The key is the secret's bytes: a secret written {@code whsec_<base64>} (the spec's form) is base64-decoded, any
 * other secret is taken as its UTF-8 bytes. The header may hold several space-separated signatures (key rotation):
 * one matching is enough.
 *
 * <p>The receiving side: {@code new WebhookVerifier(secret).verify(id, timestamp, signature, body)} throws
 * {@link Refused} for a missing header, a bad signature, or a timestamp more than the tolerance (5 minutes by
 * default) away from now (a replay). It never puts the secret in a message.
 */
public final class WebhookVerifier {
    /** The header names of the spec. */
    public static final String ID = "webhook-id", TIMESTAMP = "webhook-timestamp", SIGNATURE = "webhook-signature";

    /** Why a push was refused (answer it with 401). */
    public static final class Refused extends Exception {
        public Refused(String message) { super(message, null, false, false); }
    }

    private final byte[] key;
    private final Duration tolerance;
    private final Clock clock;

    public WebhookVerifier(String secret) { this(secret, Duration.ofMinutes(5), Clock.systemUTC()); }

    public WebhookVerifier(String secret, Duration tolerance, Clock clock) {
        if (secret == null || secret.isEmpty()) throw new IllegalArgumentException("a webhook secret is required to verify pushes");
        this.key = keyOf(secret);
        this.tolerance = tolerance;
        this.clock = clock;
    }

    /** The HMAC key of a secret: {@code whsec_<base64>} decoded, else the UTF-8 bytes. */
    static byte[] keyOf(String secret) {
        if (secret.startsWith("whsec_")) {
            try {
                return Base64.getDecoder().decode(secret.substring(6));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("a secret starting with whsec_ must be base64 after the prefix");
            }
        }
        return secret.getBytes(StandardCharsets.UTF_8);
    }

    /** The {@code webhook-signature} value for this push: {@code v1,<base64>}. */
    public static String sign(String secret, String id, long timestampSeconds, byte[] body) {
        return "v1," + Base64.getEncoder().encodeToString(hmac(keyOf(secret), id, timestampSeconds, body));
    }

    private static byte[] hmac(byte[] key, String id, long ts, byte[] body) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key.length == 0 ? new byte[1] : key, "HmacSHA256"));
            mac.update((id + "." + ts + ".").getBytes(StandardCharsets.UTF_8));
            return mac.doFinal(body);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is part of every JDK", e);
        }
    }

    /** Checks one push; throws {@link Refused} naming what is wrong (never the secret). */
    public void verify(String id, String timestamp, String signatures, byte[] body) throws Refused {
        if (id == null || id.isEmpty()) throw new Refused("missing " + ID + " header");
        if (timestamp == null) throw new Refused("missing " + TIMESTAMP + " header");
        if (signatures == null || signatures.isBlank()) throw new Refused("missing " + SIGNATURE + " header");
        long ts;
        try {
            ts = Long.parseLong(timestamp.trim());
        } catch (NumberFormatException e) {
            throw new Refused(TIMESTAMP + " is not a number of seconds");
        }
        long now = clock.instant().getEpochSecond();
        if (Math.abs(now - ts) > tolerance.toSeconds()) {
            throw new Refused(TIMESTAMP + " is " + (now - ts) + " s away from now, beyond the tolerance of " + tolerance.toSeconds() + " s (an old push replayed, or a clock off)");
        }
        byte[] expected = hmac(key, id, ts, body);
        for (String s : signatures.trim().split(" +")) {
            int comma = s.indexOf(',');
            if (comma < 0 || !s.substring(0, comma).equals("v1")) continue;
            byte[] given;
            try {
                given = Base64.getDecoder().decode(s.substring(comma + 1));
            } catch (IllegalArgumentException e) {
                continue;
            }
            if (MessageDigest.isEqual(given, expected)) return;
        }
        throw new Refused("no valid v1 signature in " + SIGNATURE + " (wrong secret or a changed body)");
    }
}
