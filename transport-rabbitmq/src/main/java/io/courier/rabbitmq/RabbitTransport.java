package io.courier.rabbitmq;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import io.courier.CourierException;
import io.courier.Message;
import io.courier.TransportUnavailableException;
import io.courier.spi.Capabilities;
import io.courier.spi.Receiver;
import io.courier.spi.ReceiverSpec;
import io.courier.spi.Transport;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The RabbitMQ transport: two auto-recovering connections (publishing and consuming apart, so that a publisher
 * blocked by a resource alarm never holds up acks), persistent messages with publisher confirms to durable quorum
 * queues, and delay buckets for nack delays and not-before times. The contract mapping is in the module's README.
 */
final class RabbitTransport implements Transport {
    private static final Logger log = LoggerFactory.getLogger(RabbitTransport.class);
    /** Lateness bound of delay buckets (1/16 of the delay) for delays up to 32 s; longer delays are at most 6.25 % late. */
    private static final Duration DELAY_TOLERANCE = Duration.ofSeconds(2);

    final RabbitSettings settings;
    private final Connection publishConnection;
    private final Connection consumeConnection;
    private final Topology publishTopology;
    private final Topology consumeTopology;
    private final ConfirmedPublisher publisher;
    private final Capabilities capabilities;
    private final Set<RabbitReceiver> receivers = ConcurrentHashMap.newKeySet();
    private final ScheduledExecutorService timer;
    private final AtomicBoolean closed = new AtomicBoolean();

    private RabbitTransport(RabbitSettings settings, Connection publishConnection, Connection consumeConnection) {
        this.settings = settings;
        this.publishConnection = publishConnection;
        this.consumeConnection = consumeConnection;
        this.publishTopology = new Topology(publishConnection, settings);
        this.consumeTopology = new Topology(consumeConnection, settings);
        this.publisher = new ConfirmedPublisher(publishConnection, settings, publishTopology::forget);
        Map<String, String> unsupported = settings.orderingQueues == 0
                ? Map.of("C9", "ordering-queues=0: no single-active-consumer ordering queues are declared (set ordering-queues to 1 or more)")
                : Map.of();
        this.capabilities = new Capabilities(settings.maxMessageSize, settings.orderingQueues > 0, true, DELAY_TOLERANCE, unsupported);
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "courier-rabbitmq-timer");
            t.setDaemon(true);
            return t;
        });
        timer.scheduleWithFixedDelay(this::tick, 100, 100, TimeUnit.MILLISECONDS);
    }

    /** Connects (both connections), or fails with a typed error within the connect timeout (C14). */
    static RabbitTransport open(RabbitSettings settings) {
        ConnectionFactory f = settings.factory();
        Connection publish = null;
        try {
            publish = f.newConnection(settings.addresses, settings.connectionName + "-publish");
            Connection consume = f.newConnection(settings.addresses, settings.connectionName + "-consume");
            ConnectionLog.attach(publish, "publish", settings);
            ConnectionLog.attach(consume, "consume", settings);
            log.info("transport=rabbitmq connected to {} (server {})", settings.where(), publish.getServerProperties().get("version"));
            return new RabbitTransport(settings, publish, consume);
        } catch (IOException | TimeoutException | RuntimeException e) {
            if (publish != null) publish.abort(1_000);
            throw Errors.open(e, settings);
        }
    }

    private void tick() {
        try {
            publisher.expireOverdue();
        } catch (RuntimeException e) {
            log.warn("transport=rabbitmq timer task failed: {}", e.toString());
        }
    }

    @Override
    public Capabilities capabilities() { return capabilities; }

    @Override
    public CompletableFuture<Void> send(List<Message> batch) {
        if (closed.get()) return CompletableFuture.failedFuture(new CourierException("this RabbitMQ transport is closed: connect again"));
        if (publishConnection.isOpen()) return sendNow(batch);
        // the connection is recovering (broker restart, cut): wait for it off the caller's thread, up to send-timeout,
        // like Kafka's delivery.timeout.ms, rather than failing a send that a recovery a second later would accept
        return CompletableFuture.supplyAsync(() -> awaitOpen(publishConnection, settings.sendTimeout), Thread::startVirtualThread)
                .thenCompose(open -> open ? sendNow(batch) : CompletableFuture.failedFuture(new TransportUnavailableException(
                        "sending " + batch.size() + " message(s) failed: " + settings.where() + " stayed unreachable for send-timeout="
                                + settings.sendTimeout + "; is the broker running?")));
    }

    /** Waits until {@code c} is open (recovered) or {@code max} passed or the transport closed; whether it is open. */
    private boolean awaitOpen(Connection c, Duration max) {
        long deadline = System.nanoTime() + max.toNanos();
        while (!c.isOpen() && !closed.get() && System.nanoTime() < deadline) {
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        return c.isOpen();
    }

    private CompletableFuture<Void> sendNow(List<Message> batch) {
        List<ConfirmedPublisher.Outgoing> out = new ArrayList<>(batch.size());
        try {
            Instant now = Instant.now();
            for (Message m : batch) {
                String queue = settings.names.target(m.destination(), m.orderingKey(), settings.orderingQueues);
                publishTopology.registerGroup(m.destination().group());
                if (m.destination().isSticky()) publishTopology.declareSticky(m.destination().group(), m.destination().member());
                else if (m.destination().isDirect()) publishTopology.declareMember(m.destination().group(), m.destination().member());
                else publishTopology.declareQueue(queue, queue.contains("~key-"));
                AMQP.BasicProperties props = WireFormat.properties(m);
                if (m.notBefore() != null && m.notBefore().isAfter(now)) {
                    String exchange = publishTopology.declareDelay(Names.bucket(Duration.between(now, m.notBefore())));
                    out.add(new ConfirmedPublisher.Outgoing(exchange, queue, props, m.payload()));
                } else {
                    out.add(new ConfirmedPublisher.Outgoing("", queue, props, m.payload()));
                }
            }
        } catch (IOException | RuntimeException e) {
            return CompletableFuture.failedFuture(Errors.general(e, settings, "sending " + batch.size() + " message(s)"));
        }
        return CompletableFuture.allOf(publisher.publish(out).toArray(CompletableFuture[]::new));
    }

    /** Publishes {@code body} to the delay bucket of {@code delay}, to come back into {@code queue} (nack with delay). */
    CompletableFuture<Void> publishDelayed(String queue, Duration delay, AMQP.BasicProperties props, byte[] body) {
        try {
            String exchange = publishTopology.declareDelay(Names.bucket(delay));
            return publisher.publish(List.of(new ConfirmedPublisher.Outgoing(exchange, queue, props, body))).get(0);
        } catch (IOException | RuntimeException e) {
            return CompletableFuture.failedFuture(Errors.general(e, settings, "publishing to a delay queue"));
        }
    }

    /** Publishes {@code body} straight back into {@code queue} (a release that must not count as an attempt). */
    CompletableFuture<Void> publishTo(String queue, AMQP.BasicProperties props, byte[] body) {
        return publisher.publish(List.of(new ConfirmedPublisher.Outgoing("", queue, props, body))).get(0);
    }

    @Override
    public java.util.Optional<io.courier.spi.Admin> admin() {
        return java.util.Optional.of(new RabbitAdmin(publishConnection, settings, queue -> {
            publishTopology.forget(queue);
            consumeTopology.forget(queue);
        }));
    }

    @Override
    public Receiver openReceiver(ReceiverSpec spec) {
        if (closed.get()) throw new CourierException("this RabbitMQ transport is closed: connect again");
        awaitOpen(consumeConnection, settings.connectTimeout); // recovering after a restart or cut: give it connect-timeout
        RabbitReceiver r = new RabbitReceiver(this, spec);
        try {
            r.start(consumeConnection, consumeTopology);
        } catch (IOException | RuntimeException e) {
            r.close();
            throw Errors.general(e, settings, "opening a receiver for group " + spec.group());
        }
        receivers.add(r);
        return r;
    }

    void forget(RabbitReceiver r) { receivers.remove(r); }

    /** Whether both connections (publish and consume) are open; false while the client recovers one. */
    @Override
    public java.util.Optional<Boolean> reachable() { return java.util.Optional.of(!closed.get() && publishConnection.isOpen() && consumeConnection.isOpen()); }

    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) return;
        for (RabbitReceiver r : List.copyOf(receivers)) r.close();
        publisher.close();
        timer.shutdownNow();
        publishTopology.close();
        consumeTopology.close();
        closeQuietly(consumeConnection);
        closeQuietly(publishConnection);
        log.info("transport=rabbitmq closed connections to {}", settings.where());
    }

    private static void closeQuietly(Connection c) {
        try {
            c.close(5_000);
        } catch (Exception e) {
            c.abort(1_000);
        }
    }
}
