package io.courier.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.courier.AuthenticationException;
import io.courier.TransportUnavailableException;
import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;

/**
 * JSON over HTTP to one hub, with the error mapping of the transport (C14): 401 becomes
 * {@link AuthenticationException}, other 4xx a {@link HubRefusal} naming the problem, and an unreachable hub
 * (connection refused or cut, timeout, 5xx) is retried with exponential backoff until the deadline, then
 * {@link TransportUnavailableException}. The token is sent as {@code Authorization: Bearer} and never logged.
 */
final class HubClient implements AutoCloseable {
    static final ObjectMapper JSON = new ObjectMapper();

    private final HttpSettings settings;
    private final HttpClient http;
    /** Whether the last request got an answer below 500 (for {@link HttpTransport#reachable()}). */
    private volatile boolean reached = true;

    HubClient(HttpSettings settings) {
        this.settings = settings;
        this.http = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(settings.connectTimeout)
                .executor(Executors.newVirtualThreadPerTaskExecutor())
                .build();
    }

    HttpSettings settings() { return settings; }

    /** Whether the hub answered the last request (any status below 500); true before the first. */
    boolean reached() { return reached; }

    /** A retryable failure: the hub did not answer, or answered 5xx. */
    static final class Unreachable extends IOException {
        /** True when the hub answered (5xx, e.g. 503 disk full): its message then names the problem and the fix. */
        final boolean answered;

        Unreachable(String message, Throwable cause) { this(message, cause, false); }

        Unreachable(String message, Throwable cause, boolean answered) {
            super(message, cause);
            this.answered = answered;
        }
    }

    /** One attempt. Body null means GET. */
    JsonNode call(String path, JsonNode body, Duration timeout) throws Unreachable, InterruptedException {
        return call(null, path, body, timeout);
    }

    /** One attempt with this method (null: GET without a body, POST with one). */
    JsonNode call(String method, String path, JsonNode body, Duration timeout) throws Unreachable, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(settings.uri(path)).timeout(timeout).header("Accept", "application/json");
        if (settings.token != null) b.header("Authorization", "Bearer " + settings.token);
        if (method != null) {
            b.method(method, HttpRequest.BodyPublishers.noBody());
        } else if (body == null) {
            b.GET();
        } else {
            try {
                b.header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofByteArray(JSON.writeValueAsBytes(body)));
            } catch (IOException e) {
                throw new IllegalStateException("cannot happen: JSON to memory", e);
            }
        }
        HttpResponse<byte[]> r;
        try {
            r = http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
        } catch (IOException e) {
            reached = false;
            throw new Unreachable("hub at " + settings.hostPort + " did not answer " + path + ": " + e, e);
        }
        JsonNode answer = parse(r.body());
        int status = r.statusCode();
        reached = status < 500;
        if (status == 200) {
            if (answer == null) throw new Unreachable("hub at " + settings.hostPort + " answered " + path + " with a body that is not JSON", null);
            return answer;
        }
        String message = answer != null && answer.hasNonNull("message") ? answer.get("message").asText() : "HTTP " + status;
        if (status == 401) {
            throw new AuthenticationException("hub at " + settings.hostPort + " refused the request (401): " + message
                    + (settings.token == null ? " — no token was given: add ?token=... or http://courier:TOKEN@host:port to the URL" : ""));
        }
        if (status >= 500) throw new Unreachable("hub at " + settings.hostPort + " failed " + path + " (" + status + "): " + message, null, true);
        throw new HubRefusal(status, "hub at " + settings.hostPort + " refused " + path + " (" + status + "): " + message);
    }

    /** Retries {@link #call} while the hub is unreachable, until {@code deadlineMillis}; then TransportUnavailable. */
    JsonNode callRetrying(String path, JsonNode body, Duration timeout, long deadlineMillis) throws InterruptedException {
        return callRetrying(null, path, body, timeout, deadlineMillis);
    }

    /** {@link #callRetrying(String, JsonNode, Duration, long)} with this method (null: GET or POST), for idempotent calls. */
    JsonNode callRetrying(String method, String path, JsonNode body, Duration timeout, long deadlineMillis) throws InterruptedException {
        long backoff = 50;
        while (true) {
            try {
                return call(method, path, body, timeout);
            } catch (Unreachable e) {
                long now = System.currentTimeMillis();
                if (now >= deadlineMillis) {
                    throw new TransportUnavailableException(e.getMessage() + "; gave up after retrying for " + settings.retryFor.toSeconds()
                            + " s (parameter retry-for)" + (e.answered ? "" : ". Is the hub running? Start one with: ./courier hub --port PORT --data DIR"), e);
                }
                Thread.sleep(Math.min(deadlineMillis - now, backoff + ThreadLocalRandom.current().nextLong(backoff / 2 + 1)));
                backoff = Math.min(backoff * 2, 1_000);
            }
        }
    }

    private static JsonNode parse(byte[] body) {
        try {
            return body.length == 0 ? null : JSON.readTree(body);
        } catch (IOException e) {
            return null;
        }
    }

    @Override
    public void close() { http.shutdownNow(); }
}
