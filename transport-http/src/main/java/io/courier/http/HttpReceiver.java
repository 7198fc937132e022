package io.courier.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.courier.TransportUnavailableException;
import io.courier.spi.Received;
import io.courier.spi.Receiver;
import io.courier.spi.ReceiverSpec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A long-polling consumer of one group (and member) of the hub, as one hub session. Settlements are queued and
 * posted in batches by one flusher thread, which also keeps the session alive while the runtime is busy. When a
 * request fails (hub restarted, connection cut) the receiver starts a new session, so that deliveries lost on the
 * broken connection go back to the group at once (the old session is closed, or expires); a member's new session
 * replaces its old one at the hub. {@link #close()} posts the queued settlements, then ends the session, which
 * releases its unsettled leases (C13).
 */
final class HttpReceiver implements Receiver {
    private static final Logger log = LoggerFactory.getLogger(HttpReceiver.class);


    private final HubClient client;
    private final ReceiverSpec spec;
    private final long heartbeatMillis;
    private final Consumer<HttpReceiver> onClose;
    private final AtomicBoolean closed = new AtomicBoolean();
    private final SettlementFlusher flusher;
    private volatile String session = newSession();
    private volatile long lastRequest = System.currentTimeMillis();
    private long outageSince;

    HttpReceiver(HubClient client, ReceiverSpec spec, long sessionTimeoutMillis, Consumer<HttpReceiver> onClose) {
        this.client = client;
        this.spec = spec;
        this.heartbeatMillis = Math.max(200, sessionTimeoutMillis / 3);
        this.onClose = onClose;
        this.flusher = new SettlementFlusher(client, "poll", spec.group(), () -> session, this::heartbeat).start();
    }

    private static String newSession() { return UUID.randomUUID().toString(); }

    @Override
    public List<? extends Received> receive(int max, Duration wait) throws InterruptedException {
        if (closed.get()) return List.of();
        ObjectNode body = HubClient.JSON.createObjectNode();
        String s = session;
        body.put("session", s);
        body.put("group", spec.group());
        if (spec.member() != null) body.put("member", spec.member());
        body.put("max", max);
        long waitMs = Math.max(0, Math.min(wait.toMillis(), 30_000));
        body.put("waitMs", waitMs);
        body.put("leaseMs", spec.ackDeadline().toMillis());
        try {
            JsonNode answer = client.call("/v1/receive", body, Duration.ofMillis(waitMs + 15_000));
            lastRequest = System.currentTimeMillis();
            if (outageSince != 0) {
                log.info("hub reachable again transport=http hub={} group={} member={}", client.settings().hostPort, spec.group(), spec.member());
                outageSince = 0;
            }
            List<HttpDelivery> out = new ArrayList<>();
            for (JsonNode d : answer.path("deliveries")) out.add(new HttpDelivery(Wire.decode(d), d.get("attempt").asInt(), d.get("lease").asText()));
            return out;
        } catch (HubClient.Unreachable e) {
            long now = System.currentTimeMillis();
            if (outageSince == 0) {
                outageSince = now;
                log.warn("receive failed transport=http hub={} group={} member={}: {}; starting a new session and retrying",
                        client.settings().hostPort, spec.group(), spec.member(), e.getMessage());
            }
            rotateSession(s);
            if (now - outageSince > client.settings().retryFor.toMillis()) {
                throw new TransportUnavailableException(e.getMessage() + "; unreachable for " + (now - outageSince) / 1000
                        + " s (parameter retry-for). Is the hub running?", e);
            }
            Thread.sleep(Math.min(Math.max(waitMs, 50), 500));
            return List.of();
        }
    }

    /** Abandons a session whose connection broke: deliveries sent on it may never have arrived. */
    private void rotateSession(String broken) {
        if (!session.equals(broken)) return;
        session = newSession();
        Thread.ofVirtual().start(() -> endSession(broken, 1));
    }

    private void endSession(String s, int attempts) {
        ObjectNode body = HubClient.JSON.createObjectNode();
        body.put("session", s);
        for (int i = 0; i < attempts; i++) {
            try {
                client.call("/v1/close", body, Duration.ofSeconds(5));
                return;
            } catch (HubClient.Unreachable e) {
                log.debug("closing session {} failed: {} (the hub expires it)", s, e.toString());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (RuntimeException e) {
                log.debug("closing session {} failed: {}", s, e.toString());
                return;
            }
        }
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

    private void queue(String kind, List<? extends Received> deliveries, long millis) {
        if (closed.get()) return; // the close released them: a settlement after close changes nothing
        flusher.queue(kind, deliveries, millis);
    }

    /** Keeps the session alive while the runtime neither polls nor settles (an empty settlement). */
    private void heartbeat() {
        if (System.currentTimeMillis() - Math.max(lastRequest, flusher.lastPost()) >= heartbeatMillis) flusher.post(List.of());
    }

    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) return;
        flusher.close();
        endSession(session, 3);
        onClose.accept(this);
    }
}
