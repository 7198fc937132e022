package io.courier.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpExchange;
import io.courier.Destination;
import io.courier.Message;
import io.courier.spi.Received;
import io.courier.spi.Receiver;
import io.courier.spi.ReceiverSpec;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A receiver fed by the hub's pushes ({@code http://hub:8080?push=http://127.0.0.1:9000/}): at open it registers a
 * push subscription for its group (and member) with a fresh secret, pointing at its own path on the transport's
 * {@link PushServer}; each push is verified ({@link WebhookVerifier}, else 401), then held until the runtime's
 * {@link #receive} takes it, answered 202 (the receiver holds the lease), and settled through {@code /v1/settle}
 * like a long-poll delivery (ack, nack with delay, lease extension). The hub's {@code concurrency} is the prefetch,
 * so at most that many pushes wait here (C11). A push that no receive takes within {@link #TAKE_WITHIN_MS} (the
 * runtime is full) is answered 503 with {@link PushProtocol#NOT_TAKEN}: the hub gives its lease back uncounted, so an
 * idle member takes it at once and the attempt does not count (C3, C15). {@link #close()} posts the queued settlements, removes the
 * subscription, which releases its unsettled leases (C13), then answers the waiting pushes 503.
 */
final class PushReceiver implements Receiver {
    private static final Logger log = LoggerFactory.getLogger(PushReceiver.class);
    private static final SecureRandom RANDOM = new SecureRandom();
    static final long MAX_PUSH_TIMEOUT_MS = 30_000;
    static final long TTL_MS = 30_000;
    /** How long a push waits for the runtime's receive: a runtime with room asks at once, so longer means it is full. */
    static final long TAKE_WITHIN_MS = 1_000;

    private record Held(HttpDelivery delivery, CompletableFuture<Integer> answer) {}


    private final HubClient client;
    private final ReceiverSpec spec;
    private final PushServer server;
    private final String path;
    private final WebhookVerifier verifier;
    private final String subscription;
    private final LinkedBlockingQueue<Held> held = new LinkedBlockingQueue<>();
    private final AtomicBoolean closed = new AtomicBoolean();
    private final SettlementFlusher flusher;
    private long renewed = System.currentTimeMillis();
    private final Runnable onClose;
    /** How long a push may wait here for the runtime: below the ack deadline, so that the hub's lease is the runtime's. */
    private final long pushTimeoutMs;

    PushReceiver(HubClient client, ReceiverSpec spec, PushServer server, Runnable onClose) throws InterruptedException {
        this.client = client;
        this.spec = spec;
        this.server = server;
        this.onClose = onClose;
        this.pushTimeoutMs = Math.max(100, Math.min(MAX_PUSH_TIMEOUT_MS, spec.ackDeadline().toMillis() - 1_000));
        byte[] key = new byte[24];
        RANDOM.nextBytes(key);
        String secret = "whsec_" + Base64.getEncoder().encodeToString(key);
        this.verifier = new WebhookVerifier(secret);
        this.path = server.register(this::handle);
        ObjectNode body = HubClient.JSON.createObjectNode();
        body.put("group", spec.group());
        if (spec.member() != null) body.put("member", spec.member());
        body.put("url", server.url(path));
        body.put("secret", secret);
        body.put("concurrency", Math.min(256, spec.window())); // the window it starts with: a slow handler must not get a whole adaptive cap pushed
        body.put("timeoutMs", pushTimeoutMs);
        body.put("leaseMs", Math.max(spec.ackDeadline().toMillis(), pushTimeoutMs + 1_000));
        body.put("maxAttempts", 1_000); // the runtime dead-letters at its maxAttempts; the hub only past this
        body.put("ttlMs", TTL_MS); // renewed by the flusher: a worker that dies without closing loses its subscription
        JsonNode answer;
        try {
            answer = client.callRetrying("/v1/push", body, Duration.ofSeconds(30), System.currentTimeMillis() + client.settings().retryFor.toMillis());
        } catch (RuntimeException | InterruptedException e) {
            server.unregister(path);
            throw e;
        }
        this.subscription = answer.get("id").asText();
        this.flusher = new SettlementFlusher(client, "push", spec.group(), () -> null, this::renewDue).start();
        log.info("push receiver group={} member={} at {} (subscription {})", spec.group(), spec.member(), server.url(path), subscription);
    }

    /** One push from the hub (on the server's virtual thread). */
    private void handle(HttpExchange ex) throws IOException {
        int status;
        if (!ex.getRequestMethod().equals("POST")) {
            status = 405;
        } else {
            byte[] body;
            try (InputStream in = ex.getRequestBody()) {
                body = in.readNBytes(64 << 20);
            }
            Headers h = ex.getRequestHeaders();
            HttpDelivery d;
            try {
                verifier.verify(h.getFirst(WebhookVerifier.ID), h.getFirst(WebhookVerifier.TIMESTAMP), h.getFirst(WebhookVerifier.SIGNATURE), body);
                d = decode(h, body);
            } catch (WebhookVerifier.Refused e) {
                log.warn("push refused group={}: {}", spec.group(), e.getMessage());
                byte[] m = ("{\"error\":\"bad_signature\",\"message\":\"" + e.getMessage().replace("\"", "'") + "\"}").getBytes(StandardCharsets.UTF_8);
                ex.getResponseHeaders().add("Content-Type", "application/json");
                ex.sendResponseHeaders(401, m.length);
                ex.getResponseBody().write(m);
                ex.close();
                return;
            } catch (RuntimeException e) {
                ex.sendResponseHeaders(400, -1);
                ex.close();
                return;
            }
            status = closed.get() ? 503 : offer(new Held(d, new CompletableFuture<>()));
            if (status == 503) { // not taken: the hub gives the lease back uncounted and offers it to other members
                ex.getResponseHeaders().add(PushProtocol.NOT_TAKEN, "true");
                ex.getResponseHeaders().add("Retry-After", "1");
            }
        }
        ex.sendResponseHeaders(status, -1);
        ex.close();
    }

    /** Holds a push for the runtime's receive: 202 once taken, 503 (not taken) when no receive took it in time. */
    private int offer(Held p) {
        held.add(p);
        try {
            return p.answer.get(Math.max(50, Math.min(TAKE_WITHIN_MS, pushTimeoutMs - 200)), TimeUnit.MILLISECONDS);
        } catch (TimeoutException | ExecutionException | InterruptedException e) {
            if (e instanceof InterruptedException) Thread.currentThread().interrupt();
            if (p.answer.complete(503)) held.remove(p); // else taken meanwhile: 202
            return p.answer.join();
        }
    }

    /** The hub's push envelope (module README) back into a message. */
    static HttpDelivery decode(Headers h, byte[] body) {
        Message.Builder b = Message.to(Destination.parse(h.getFirst("courier-destination")));
        String id = h.getFirst("courier-message-id");
        if (id.startsWith("b64:")) id = new String(Base64.getDecoder().decode(id.substring(4)), StandardCharsets.UTF_8);
        b.id(id);
        for (var e : h.entrySet()) {
            String name = e.getKey().toLowerCase(java.util.Locale.ROOT);
            if (name.startsWith("courier-header-b64-")) {
                b.header(name.substring(19), new String(Base64.getDecoder().decode(e.getValue().get(0)), StandardCharsets.UTF_8));
            } else if (name.startsWith("courier-header-")) {
                b.header(name.substring(15), e.getValue().get(0));
            }
        }
        if (h.getFirst("courier-key") != null) b.orderingKey(h.getFirst("courier-key"));
        b.payload(body);
        return new HttpDelivery(b.build(), Integer.parseInt(h.getFirst("courier-attempt")), h.getFirst("courier-lease"));
    }

    @Override
    public List<? extends Received> receive(int max, Duration wait) throws InterruptedException {
        List<HttpDelivery> out = new ArrayList<>();
        if (closed.get()) return out;
        Held first = held.poll(Math.max(0, wait.toMillis()), TimeUnit.MILLISECONDS);
        List<Held> got = new ArrayList<>();
        if (first != null) {
            got.add(first);
            held.drainTo(got, max - 1);
        }
        for (Held p : got) {
            if (p.answer.complete(202)) out.add(p.delivery); // else the push timed out meanwhile: the hub retries it
        }
        return out;
    }

    @Override
    public void ack(List<? extends Received> deliveries) { queue("ack", deliveries, 0); }

    @Override
    public void nack(List<? extends Received> deliveries, Duration delay) { queue("nack", deliveries, delay.toMillis()); }

    /** Gives back deliveries no handler saw: the hub requeues them at once without counting an attempt (C15). */
    @Override
    public void release(List<? extends Received> deliveries) { queue("release", deliveries, 0); }

    @Override
    public void extendLease(List<? extends Received> deliveries, Duration extension) { queue("extend", deliveries, extension.toMillis()); }

    private void queue(String kind, List<? extends Received> deliveries, long millis) { flusher.queue(kind, deliveries, millis); }

    /** On the flusher's thread: renews the subscription every third of its ttl. */
    private void renewDue() {
        if (System.currentTimeMillis() - renewed <= TTL_MS / 3) return;
        renewed = System.currentTimeMillis();
        try {
            JsonNode a = client.call("/v1/push/" + subscription + "/renew", HubClient.JSON.createObjectNode(), Duration.ofSeconds(10));
            if (!a.path("renewed").asBoolean()) log.warn("push subscription {} is gone at the hub (expired or removed): this receiver gets no more pushes", subscription);
        } catch (HubClient.Unreachable | RuntimeException e) {
            log.debug("renewing push subscription {} failed: {}", subscription, e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Posts the queued settlements, then removes the subscription (its unsettled leases, those of the pushes waiting
     * here included, go back at once), and only then answers the waiting pushes (503 not taken, on leases already
     * released). Answering them before the removal would make the hub push them again to this closing receiver.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) return;
        flusher.close();
        try {
            client.call("DELETE", "/v1/push/" + subscription, null, Duration.ofSeconds(10));
        } catch (HubClient.Unreachable | RuntimeException e) {
            log.warn("removing push subscription {} failed: {} (remove it with DELETE /v1/push/{})", subscription, e.getMessage(), subscription);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        Held p;
        while ((p = held.poll()) != null) p.answer.complete(503);
        server.unregister(path);
        onClose.run();
    }
}
