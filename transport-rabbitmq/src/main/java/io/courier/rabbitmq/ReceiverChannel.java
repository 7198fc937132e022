package io.courier.rabbitmq;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.DefaultConsumer;
import com.rabbitmq.client.Envelope;
import com.rabbitmq.client.ShutdownSignalException;
import com.rabbitmq.client.impl.recovery.AutorecoveringChannel;
import io.courier.Destination;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A receiver's channel and its consumers (one per queue), kept consuming by the receiver itself rather than by
 * amqp-client's topology recovery, which the consume connection does not use for consumers ({@link RabbitSettings#factory}):
 * <ul>
 *   <li>after a connection recovery, the client reopens the channel (with its {@code basic.qos}) and {@link #heal}
 *       consumes every queue again;</li>
 *   <li>a {@code basic.cancel} from the broker (a quorum queue that lost its leader or majority, a deleted queue) ends
 *       one consumer; {@link #heal} consumes that queue again;</li>
 *   <li>a channel closed by an error while the connection stays up (a {@code basic.consume} that timed out on a quorum
 *       queue without a majority: RabbitMQ answers it only once the queue has a leader again) is replaced.</li>
 * </ul>
 * Before this, a consumer lost in any of these ways was never restarted: in a three-node cluster that lost two nodes,
 * the client's recovery of the consumers timed out on the surviving node, the channel closed, the connection stayed up,
 * and 26,535 of 40,000 confirmed messages were never delivered after the nodes came back ({@code RabbitClusterFaultTest}). Attempts back off from 200 ms to 5 s;
 * each queue is probed on a throwaway channel first (consuming a missing queue would close the shared channel).
 */
final class ReceiverChannel {
    private static final Logger log = LoggerFactory.getLogger(ReceiverChannel.class);
    private static final long FIRST_BACKOFF_MS = 200;
    private static final long MAX_BACKOFF_MS = 5_000;

    /** Where deliveries and the loss of the channel go. */
    interface Sink {
        void arrived(String queue, Destination destination, Envelope envelope, AMQP.BasicProperties props, byte[] body);

        void lost(ShutdownSignalException cause);
    }

    private final Connection connection;
    private final int qos;
    private final String name;
    private final Sink sink;
    /** queue → its destination, in consume order. */
    private final Map<String, Destination> queues = new LinkedHashMap<>();
    /** queue → its current consumer. */
    private final Map<String, QueueConsumer> consumers = new java.util.concurrent.ConcurrentHashMap<>();
    private final AtomicBoolean healing = new AtomicBoolean();
    private final com.rabbitmq.client.ShutdownListener onLost;
    private volatile int queueCount;
    private volatile Channel channel;
    private volatile boolean closed;
    private volatile long nextAttemptNanos;
    private long backoffMs = FIRST_BACKOFF_MS;
    private int failures;

    ReceiverChannel(Connection connection, int qos, String name, Sink sink) throws IOException {
        this.connection = connection;
        this.qos = qos;
        this.name = name;
        this.sink = sink;
        this.onLost = sink::lost;
        this.channel = open();
    }

    private Channel open() throws IOException {
        Channel ch = connection.createChannel();
        if (ch == null) throw new IOException("no channel available on the consume connection (channel_max reached)");
        ch.addShutdownListener(onLost);
        ch.basicQos(qos);
        return ch;
    }

    /** The channel to settle deliveries on. */
    Channel channel() { return channel; }

    /** Consumes {@code queue} now (at the receiver's start; a failure is thrown). */
    synchronized void consume(String queue, Destination destination) throws IOException {
        queues.put(queue, destination);
        queueCount = queues.size();
        QueueConsumer c = new QueueConsumer(channel, queue, destination);
        channel.basicConsume(queue, false, c);
        consumers.put(queue, c);
    }

    /** The consumer of one queue; {@code active} from its consume-ok until a cancel or the loss of its channel. */
    private final class QueueConsumer extends DefaultConsumer {
        final String queue;
        final Destination destination;
        volatile boolean active;

        QueueConsumer(Channel ch, String queue, Destination destination) {
            super(ch);
            this.queue = queue;
            this.destination = destination;
        }

        @Override public void handleConsumeOk(String tag) { super.handleConsumeOk(tag); active = true; }

        @Override
        public void handleDelivery(String tag, Envelope envelope, AMQP.BasicProperties props, byte[] body) {
            sink.arrived(queue, destination, envelope, props, body);
        }

        @Override
        public void handleCancel(String tag) {
            active = false;
            if (!closed) {
                log.warn("transport=rabbitmq destination={} {}: the broker cancelled the consumer of queue '{}' (basic.cancel: its leader moved, "
                        + "it lost its majority or it was deleted); consuming it again", destination, name, queue);
            }
        }

        @Override public void handleShutdownSignal(String tag, ShutdownSignalException sig) { active = false; }
    }

    /**
     * Called often (the receiver's lease tick): when the connection is up but the channel is closed or a consumer is
     * not active, restores them on a virtual thread (a {@code basic.consume} may wait for a quorum queue's leader).
     */
    void heal() {
        if (closed || healing.get() || !connection.isOpen() || System.nanoTime() < nextAttemptNanos) return;
        boolean needed = !channel.isOpen() || consumers.size() < queueCount;
        for (QueueConsumer c : consumers.values()) needed |= !c.active;
        if (needed && healing.compareAndSet(false, true)) Thread.ofVirtual().name("courier-rabbitmq-heal").start(this::healNow);
    }

    private synchronized void healNow() {
        try {
            if (closed || !connection.isOpen()) return;
            if (!channel.isOpen()) {
                Channel old = channel;
                old.removeShutdownListener(onLost); // its loss was told already
                try { old.abort(); } catch (Exception ignored) { /* closed already; abort also drops the client's records */ }
                channel = open();
                consumers.clear();
                log.warn("transport=rabbitmq {}: its channel had closed while the connection stayed up; opened a new one", name);
            }
            for (Map.Entry<String, Destination> q : queues.entrySet()) {
                if (closed) return;
                QueueConsumer c = consumers.get(q.getKey());
                if (c != null && c.active) continue;
                if (!exists(q.getKey())) throw new IOException("queue '" + q.getKey() + "' is not there (deleted?)");
                if (c != null && c.getConsumerTag() != null && channel instanceof AutorecoveringChannel ar) {
                    ar.deleteRecordedConsumer(c.getConsumerTag()); // the client's record of the dead consumer (never recovered, see the filter)
                }
                QueueConsumer again = new QueueConsumer(channel, q.getKey(), q.getValue());
                channel.basicConsume(q.getKey(), false, again);
                consumers.put(q.getKey(), again);
                log.warn("transport=rabbitmq destination={} {}: consuming queue '{}' again{}", q.getValue(), name, q.getKey(),
                        failures > 0 ? " after " + failures + " failed attempt(s)" : "");
            }
            failures = 0;
            backoffMs = FIRST_BACKOFF_MS;
        } catch (IOException | RuntimeException e) {
            failures++;
            if (failures == 1 || failures % 10 == 0) {
                log.warn("transport=rabbitmq {}: could not consume its queues again yet (attempt {}: {}); retrying in {} ms", name, failures,
                        Errors.closeReason(e) != null ? Errors.closeReason(e) : e.toString(), backoffMs);
            }
            nextAttemptNanos = System.nanoTime() + backoffMs * 1_000_000L;
            backoffMs = Math.min(MAX_BACKOFF_MS, backoffMs * 2);
        } finally {
            healing.set(false);
        }
    }

    /** Whether {@code queue} exists, asked with a passive declare on a throwaway channel. */
    private boolean exists(String queue) throws IOException {
        Channel probe = connection.createChannel();
        if (probe == null) throw new IOException("no channel available on the consume connection (channel_max reached)");
        try {
            probe.queueDeclarePassive(queue);
            return true;
        } catch (IOException e) {
            return false;
        } finally {
            try { probe.abort(); } catch (Exception ignored) { /* closed by the refusal */ }
        }
    }

    /** Stops healing and cancels every active consumer (the channel stays open for settling). */
    synchronized void cancelAll() {
        closed = true;
        List<QueueConsumer> active = new ArrayList<>(consumers.values());
        for (QueueConsumer c : active) {
            if (!c.active || !channel.isOpen()) continue;
            try { channel.basicCancel(c.getConsumerTag()); } catch (Exception e) { log.debug("cancel {} failed: {}", c.getConsumerTag(), e.toString()); }
        }
    }

    /** Closes the channel (after a heal in progress, which could open another): the broker requeues every unacked delivery. */
    void close() {
        closed = true;
        synchronized (this) {
            Channel ch = channel;
            try {
                ch.close();
            } catch (Exception e) {
                try { ch.abort(); } catch (Exception ignored) { /* gone */ }
            }
        }
    }
}
