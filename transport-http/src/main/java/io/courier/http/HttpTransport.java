package io.courier.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.courier.CourierException;
import io.courier.Message;
import io.courier.PayloadTooLargeException;
import io.courier.TransportUnavailableException;
import io.courier.spi.Capabilities;
import io.courier.spi.Receiver;
import io.courier.spi.ReceiverSpec;
import io.courier.spi.Transport;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A client of a Courier hub. Sends are queued and merged: a few sender threads ({@code senders}) each take what is
 * queued (up to the hub's body limit) and post it as one {@code /v1/send}; the hub answers after its fsync, so a
 * send completes only once durable (C1). While the hub is unreachable a request is retried with backoff for
 * {@code retry-for}, then fails with {@link TransportUnavailableException} (C12); resending is safe because the hub
 * deduplicates unacked messages by group and id.
 */
final class HttpTransport implements Transport {
    private static final Logger log = LoggerFactory.getLogger(HttpTransport.class);

    private record PendingSend(List<Message> messages, long bytes, CompletableFuture<Void> done) {}

    private final HubClient client;
    private final Capabilities capabilities;
    private final long bodyBudget;
    private final long sessionTimeoutMillis;
    private final LinkedBlockingQueue<PendingSend> queue = new LinkedBlockingQueue<>();
    private final List<Thread> senders = new ArrayList<>();
    private final Set<HttpReceiver> receivers = ConcurrentHashMap.newKeySet();
    private final Set<PushReceiver> pushReceivers = ConcurrentHashMap.newKeySet();
    private volatile PushServer pushServer;
    private final AtomicBoolean closed = new AtomicBoolean();

    private HttpTransport(HubClient client, JsonNode health) {
        this.client = client;
        long maxPayload = health.path("maxPayloadBytes").asLong(1 << 20);
        long maxBody = health.path("maxBodyBytes").asLong(16 << 20);
        this.bodyBudget = Math.max(64 << 10, maxBody - (maxBody >> 3));
        this.sessionTimeoutMillis = health.path("sessionTimeoutMs").asLong(30_000);
        this.capabilities = new Capabilities(Math.min(maxPayload, bodyBudget * 3 / 4 - 4096), true, true, Duration.ofMillis(50), Map.of());
        for (int i = 0; i < client.settings().senders; i++) {
            senders.add(Thread.ofVirtual().name("courier-http-sender-" + i).start(this::sendLoop));
        }
    }

    /** Connects: the hub must answer {@code /v1/health} (and accept the token) within {@code retry-for}, at most 10 s. */
    static HttpTransport open(HttpSettings s) {
        HubClient client = new HubClient(s);
        try {
            long bound = Math.min(s.retryFor.toMillis(), 10_000);
            JsonNode health = client.callRetrying("/v1/health", null, Duration.ofSeconds(10), System.currentTimeMillis() + bound);
            log.info("connected to hub transport=http hub={}", s.hostPort);
            return new HttpTransport(client, health);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            client.close();
            throw new TransportUnavailableException("interrupted while connecting to the hub at " + s.hostPort, e);
        } catch (RuntimeException e) {
            client.close();
            throw e;
        }
    }

    @Override
    public Capabilities capabilities() { return capabilities; }

    @Override
    public java.util.Optional<io.courier.spi.Admin> admin() { return java.util.Optional.of(new HttpAdmin(client)); }

    @Override
    public CompletableFuture<Void> send(List<Message> batch) {
        if (closed.get()) return CompletableFuture.failedFuture(new CourierException("this http transport is closed: connect again to send"));
        List<CompletableFuture<Void>> parts = new ArrayList<>();
        List<Message> chunk = new ArrayList<>();
        long bytes = 0;
        for (Message m : batch) {
            long b = Wire.estimate(m);
            if (!chunk.isEmpty() && bytes + b > bodyBudget) {
                parts.add(enqueue(chunk, bytes));
                chunk = new ArrayList<>();
                bytes = 0;
            }
            chunk.add(m);
            bytes += b;
        }
        if (!chunk.isEmpty()) parts.add(enqueue(chunk, bytes));
        return parts.size() == 1 ? parts.get(0) : CompletableFuture.allOf(parts.toArray(CompletableFuture[]::new));
    }

    private CompletableFuture<Void> enqueue(List<Message> messages, long bytes) {
        PendingSend p = new PendingSend(List.copyOf(messages), bytes, new CompletableFuture<>());
        queue.add(p);
        return p.done;
    }

    private void sendLoop() {
        List<PendingSend> group = new ArrayList<>();
        while (true) {
            PendingSend first;
            try {
                first = queue.poll(100, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                first = null;
            }
            if (first == null) {
                if (closed.get() && queue.isEmpty()) return;
                continue;
            }
            group.add(first);
            long bytes = first.bytes;
            PendingSend next;
            while ((next = queue.peek()) != null && bytes + next.bytes <= bodyBudget && group.size() < 2_000) {
                if (queue.remove(next)) {
                    group.add(next);
                    bytes += next.bytes;
                }
            }
            post(group);
            group.clear();
        }
    }

    private void post(List<PendingSend> group) {
        ObjectNode body = HubClient.JSON.createObjectNode();
        ArrayNode list = body.putArray("messages");
        for (PendingSend p : group) for (Message m : p.messages) list.add(Wire.encode(m));
        try {
            client.callRetrying("/v1/send", body, Duration.ofSeconds(60), System.currentTimeMillis() + client.settings().retryFor.toMillis());
            for (PendingSend p : group) p.done.complete(null);
        } catch (HubRefusal r) {
            for (PendingSend p : group) p.done.completeExceptionally(r.status == 413 ? tooLarge(p.messages, r) : r);
        } catch (RuntimeException e) {
            log.warn("send failed transport=http hub={} messages={} first={}: {}", client.settings().hostPort, list.size(),
                    group.get(0).messages.get(0).id(), e.getMessage());
            for (PendingSend p : group) p.done.completeExceptionally(e);
        } catch (InterruptedException e) {
            for (PendingSend p : group) p.done.completeExceptionally(new TransportUnavailableException("send interrupted (transport closing)", e));
        }
    }

    private PayloadTooLargeException tooLarge(List<Message> messages, HubRefusal r) {
        Message biggest = messages.get(0);
        for (Message m : messages) if (io.courier.Courier.sizeOf(m) > io.courier.Courier.sizeOf(biggest)) biggest = m;
        return new PayloadTooLargeException(biggest.id(), io.courier.Courier.sizeOf(biggest), capabilities.maxPayloadBytes(), r.getMessage());
    }

    @Override
    public Receiver openReceiver(ReceiverSpec spec) {
        if (closed.get()) throw new CourierException("this http transport is closed: connect again to receive");
        if (client.settings().push != null) {
            synchronized (this) {
                if (pushServer == null) pushServer = new PushServer(client.settings().push);
            }
            PushReceiver[] self = new PushReceiver[1];
            try {
                self[0] = new PushReceiver(client, spec, pushServer, () -> pushReceivers.remove(self[0]));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new CourierException("interrupted while registering the push subscription");
            }
            pushReceivers.add(self[0]);
            return self[0];
        }
        HttpReceiver r = new HttpReceiver(client, spec, sessionTimeoutMillis, receivers::remove);
        receivers.add(r);
        return r;
    }

    /** Whether the hub answered this transport's last request (a send, receive, settle or health call). */
    @Override
    public java.util.Optional<Boolean> reachable() { return java.util.Optional.of(!closed.get() && client.reached()); }

    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) return;
        for (HttpReceiver r : List.copyOf(receivers)) r.close();
        for (PushReceiver r : List.copyOf(pushReceivers)) r.close();
        for (Thread t : senders) {
            try {
                t.join(30_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        PendingSend p;
        while ((p = queue.poll()) != null) p.done.completeExceptionally(new CourierException("the http transport was closed before this send was made"));
        client.close();
        log.info("disconnected transport=http hub={}", client.settings().hostPort);
    }
}
