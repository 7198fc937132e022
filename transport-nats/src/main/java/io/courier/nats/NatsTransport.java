package io.courier.nats;

import io.courier.CourierException;
import io.courier.Destination;
import io.courier.Message;
import io.courier.PayloadTooLargeException;
import io.courier.TransportUnavailableException;
import io.courier.spi.Capabilities;
import io.courier.spi.Receiver;
import io.courier.spi.ReceiverSpec;
import io.courier.spi.Transport;
import io.nats.client.Connection;
import io.nats.client.JetStream;
import io.nats.client.JetStreamOptions;
import io.nats.client.Nats;
import io.nats.client.Options;
import io.nats.client.api.PublishAck;
import io.nats.client.impl.NatsMessage;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code nats://} transport: one jnats connection (reconnecting forever by itself, C12), JetStream publishes
 * that complete on the PubAck (C1), and {@link NatsReceiver}s on durable pull consumers. See the module README for
 * the mapping of every clause.
 */
final class NatsTransport implements Transport {
    private static final Logger log = LoggerFactory.getLogger(NatsTransport.class);
    /** Room kept under the server's max_payload for Courier's own headers and the header framing. */
    static final int HEADER_RESERVE = 1024;
    private static final Duration DELAY_ACK_WAIT = Duration.ofSeconds(30);
    private static final int DELAY_MAX_ACK_PENDING = 1_000_000;

    private final NatsSettings settings;
    private final Connection nc;
    private final JetStream js;
    private final Streams streams;
    private final long maxPayload;
    private final Capabilities capabilities;
    private final Set<CompletableFuture<?>> pendingSends = ConcurrentHashMap.newKeySet();
    private final Set<NatsReceiver> receivers = ConcurrentHashMap.newKeySet();
    private final Map<String, RedeliveryGuard> guards = new ConcurrentHashMap<>();
    private final AtomicBoolean closed = new AtomicBoolean();

    private NatsTransport(NatsSettings settings, Connection nc) throws java.io.IOException {
        this.settings = settings;
        this.nc = nc;
        this.js = nc.jetStream(JetStreamOptions.builder().requestTimeout(settings.sendTimeout).build());
        this.streams = new Streams(nc.jetStreamManagement(), settings);
        this.maxPayload = nc.getServerInfo().getMaxPayload();
        this.capabilities = new Capabilities(maxPayload - HEADER_RESERVE, true, false, Duration.ofSeconds(1), Map.of());
    }

    /** Connects, checks that JetStream is enabled, and reads the server's max_payload. */
    static NatsTransport open(NatsSettings s) {
        ConnectionEvents events = new ConnectionEvents(s.where());
        Options.Builder o = new Options.Builder().servers(s.serverUrls()).connectionName("courier")
                .connectionTimeout(s.connectTimeout).maxReconnects(-1).reconnectWait(s.reconnectWait)
                .reconnectBufferSize(s.reconnectBuffer).ignoreDiscoveredServers()
                .connectionListener(events).errorListener(events);
        if (s.url.user() != null && s.url.password() != null) o.userInfo(s.url.user(), s.url.password());
        else if (s.url.user() != null) o.token(s.url.user().toCharArray());
        Connection nc;
        try {
            nc = Nats.connect(o.build());
        } catch (java.io.IOException e) {
            throw Errors.connect(e, s);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new TransportUnavailableException("interrupted while connecting to " + s.where(), e);
        }
        try {
            if (!nc.getServerInfo().isJetStreamAvailable()) {
                throw new CourierException("JetStream is not enabled on " + s.where() + " (server " + nc.getServerInfo().getVersion()
                        + "): start nats-server with -js (or a jetstream {} block in its configuration); Courier needs JetStream for durable queues");
            }
            try {
                nc.jetStreamManagement().getAccountStatistics();
            } catch (Exception e) {
                throw new CourierException("JetStream is not enabled for this account on " + s.where()
                        + ": enable JetStream for the account in the server configuration (" + Errors.unwrap(e).getMessage() + ")", e);
            }
            return new NatsTransport(s, nc);
        } catch (CourierException e) {
            closeQuietly(nc);
            throw e;
        } catch (Exception e) {
            closeQuietly(nc);
            throw Errors.general(e, s, "opening JetStream");
        }
    }

    Connection connection() { return nc; }

    NatsSettings settings() { return settings; }

    @Override
    public Capabilities capabilities() { return capabilities; }

    // ------------------------------------------------------------------------------------------------ send (C1)

    @Override
    public CompletableFuture<Void> send(List<Message> batch) {
        if (closed.get()) return CompletableFuture.failedFuture(new CourierException("this nats transport is closed: connect again to send"));
        long now = System.currentTimeMillis();
        List<NatsMessage> wire = new ArrayList<>(batch.size());
        for (Message m : batch) {
            boolean delayed = m.notBefore() != null && m.notBefore().toEpochMilli() > now;
            Destination d = m.destination();
            String subject = delayed ? Naming.delaySubject(d.group()) : Naming.subjectOf(d, m.orderingKey(), settings.partitions);
            NatsMessage nm = WireFormat.toNats(m, subject, dedupId(m), delayed || d.isSticky());
            long size = WireFormat.wireSize(nm);
            if (size > maxPayload) { // checked for the whole batch before any of it is sent
                return CompletableFuture.failedFuture(new PayloadTooLargeException(m.id(), size, maxPayload,
                        "the NATS server's max_payload, counting payload and headers; raise max_payload in the server configuration"));
            }
            wire.add(nm);
        }
        if (batch.size() == 1) return publish(batch.get(0).destination().group(), wire.get(0), batch.get(0).id());
        List<CompletableFuture<?>> all = new ArrayList<>(batch.size());
        for (int i = 0; i < batch.size(); i++) all.add(publish(batch.get(i).destination().group(), wire.get(i), batch.get(i).id()));
        return CompletableFuture.allOf(all.toArray(CompletableFuture[]::new));
    }

    /** Publishes a due delayed message to its real subject (with a new {@code Nats-Msg-Id}: the id plus {@code :due}). */
    CompletableFuture<Void> relayDue(Message m) {
        Message due = m.toBuilder().notBefore(null).build();
        String subject = Naming.subjectOf(due.destination(), due.orderingKey(), settings.partitions);
        return publish(due.destination().group(), WireFormat.toNats(due, subject, dedupId(due) + ":due", due.destination().isSticky()), due.id());
    }

    /**
     * The {@code Nats-Msg-Id}: the message id, scoped to the member for {@code uni@g/m}, so that a resend of a message
     * is dropped by the stream while the same id sent to several members reaches each of them.
     */
    private static String dedupId(Message m) {
        return m.destination().isDirect() ? m.id() + "@" + m.destination().member() : m.id();
    }

    private CompletableFuture<Void> publish(String group, NatsMessage nm, String messageId) {
        CompletableFuture<Void> stream = streams.ensureStream(group);
        CompletableFuture<PublishAck> ack = stream.isDone() && !stream.isCompletedExceptionally()
                ? publishNow(nm) : stream.thenCompose(v -> publishNow(nm));
        // No timer per send: jnats fails a PubAck future after its request timeout (= send-timeout) by itself.
        CompletableFuture<Void> result = ack.handle((pa, e) -> {
                    if (e != null) {
                        if (Errors.unwrap(e) instanceof io.nats.client.JetStreamApiException) streams.forget(group); // deleted meanwhile?
                        throw new java.util.concurrent.CompletionException(sendError(e, nm.getSubject(), messageId));
                    }
                    return (Void) null;
                });
        pendingSends.add(result);
        result.whenComplete((v, e) -> pendingSends.remove(result));
        return result;
    }

    private CompletableFuture<PublishAck> publishNow(NatsMessage nm) {
        try {
            return js.publishAsync(nm);
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    private CourierException sendError(Throwable e, String subject, String messageId) {
        Throwable t = Errors.unwrap(e);
        if (t instanceof CourierException ce) return ce;
        if (nc.getStatus() != Connection.Status.CONNECTED || t instanceof java.util.concurrent.TimeoutException
                || t instanceof java.util.concurrent.CancellationException || t instanceof IllegalStateException) {
            return new TransportUnavailableException("send of message " + messageId + " to " + subject + " was not confirmed by "
                    + settings.where() + " (connection " + nc.getStatus() + ", " + t.getClass().getSimpleName() + ": " + t.getMessage()
                    + "); it may or may not be stored: resend it (the stream drops a duplicate id); " + Errors.HOW_TO_START, t);
        }
        return Errors.general(t, settings, "send of message " + messageId + " to " + subject);
    }

    // ------------------------------------------------------------------------------------------------ receive

    @Override
    public java.util.Optional<io.courier.spi.Admin> admin() {
        try {
            return java.util.Optional.of(new NatsAdmin(nc.jetStreamManagement(), streams, settings));
        } catch (java.io.IOException e) {
            throw Errors.general(e, settings, "opening JetStream management");
        }
    }

    @Override
    public Receiver openReceiver(ReceiverSpec spec) {
        if (closed.get()) throw new CourierException("this nats transport is closed: connect again to receive");
        String g = spec.group();
        try {
            streams.ensureStream(g).get(settings.sendTimeout.toMillis() + 1_000, TimeUnit.MILLISECONDS);
            String stream = Naming.stream(g);
            List<PullSource> sources = new ArrayList<>();
            if (spec.member() != null) {
                String durable = Naming.memberConsumer(spec.member());
                Duration aw = streams.ensureConsumer(g, durable, Naming.memberSubject(g, spec.member()), spec.ackDeadline(), settings.maxAckPending);
                sources.add(new PullSource(PullSource.Kind.MEMBER, stream, durable, Destination.uni(g, spec.member()), aw, guard(stream, durable)));
            }
            Duration aw = streams.ensureConsumer(g, Naming.ANY_CONSUMER, Naming.anySubject(g), spec.ackDeadline(), settings.maxAckPending);
            sources.add(new PullSource(PullSource.Kind.ANY, stream, Naming.ANY_CONSUMER, Destination.any(g), aw, guard(stream, Naming.ANY_CONSUMER)));
            for (int p = 0; p < settings.partitions; p++) {
                String durable = Naming.partitionConsumer(p);
                Duration paw = streams.ensureConsumer(g, durable, Naming.partitionSubject(g, p), spec.ackDeadline(), 1);
                sources.add(new PullSource(PullSource.Kind.PARTITION, stream, durable, Destination.any(g), paw, guard(stream, durable)));
            }
            streams.ensureConsumer(g, Naming.DELAY_CONSUMER, Naming.delaySubject(g), DELAY_ACK_WAIT, DELAY_MAX_ACK_PENDING);
            PullSource delay = new PullSource(PullSource.Kind.DELAY, stream, Naming.DELAY_CONSUMER, Destination.any(g), DELAY_ACK_WAIT,
                    guard(stream, Naming.DELAY_CONSUMER));
            NatsReceiver r = new NatsReceiver(this, spec, sources, delay);
            receivers.add(r);
            return r;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new TransportUnavailableException("interrupted while opening a receiver of group " + g, e);
        } catch (Exception e) {
            throw Errors.general(e, settings, "opening a receiver of group " + g);
        }
    }

    void receiverClosed(NatsReceiver r) { receivers.remove(r); }

    /** The guard of one consumer, shared by every receiver of this transport (see {@link RedeliveryGuard}). */
    private RedeliveryGuard guard(String stream, String consumer) {
        return guards.computeIfAbsent(stream + " " + consumer, k -> new RedeliveryGuard());
    }

    // ------------------------------------------------------------------------------------------------ close (C13)

    /** Whether jnats reports the connection {@code CONNECTED}; false while it reconnects. */
    @Override
    public java.util.Optional<Boolean> reachable() { return java.util.Optional.of(!closed.get() && nc.getStatus() == Connection.Status.CONNECTED); }

    /** Closes the receivers (releasing their deliveries), waits for sends still awaiting their PubAck, then the connection. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) return;
        for (NatsReceiver r : List.copyOf(receivers)) r.close();
        List<CompletableFuture<?>> pending = List.copyOf(pendingSends);
        if (!pending.isEmpty()) {
            try {
                CompletableFuture.allOf(pending.toArray(CompletableFuture[]::new))
                        .get(settings.sendTimeout.toMillis() + 1_000, TimeUnit.MILLISECONDS);
            } catch (Exception e) {
                log.debug("some sends failed or were still pending at close: {}", e.toString());
            }
        }
        closeQuietly(nc);
    }

    private static void closeQuietly(Connection nc) {
        try {
            nc.close();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException ignored) {
            // already closed
        }
    }

}
