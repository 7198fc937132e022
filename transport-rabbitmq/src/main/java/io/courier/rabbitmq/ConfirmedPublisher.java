package io.courier.rabbitmq;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.ConfirmListener;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ReturnListener;
import com.rabbitmq.client.ShutdownSignalException;
import io.courier.CourierException;
import io.courier.PayloadTooLargeException;
import io.courier.TransportUnavailableException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentNavigableMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publishes persistent messages with publisher confirms (C1): a publish completes when the broker confirms it, and
 * fails when the broker nacks it, returns it as unroutable ({@code mandatory}), does not confirm it within the send
 * timeout, or when its channel or connection closes first. A channel that closed is never reused (its sequence
 * numbers would restart after recovery): the next publish opens a new one, so a confirm can never complete the
 * future of another message.
 */
final class ConfirmedPublisher implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ConfirmedPublisher.class);

    /** One publish awaiting its confirm. */
    private static final class Pending {
        final String messageId;
        final String routingKey;
        final long size;
        final Outgoing outgoing;
        final int nacks;
        final CompletableFuture<Void> future;
        final long startNanos = System.nanoTime();
        volatile String returnedBecause;

        Pending(Outgoing o, int nacks, CompletableFuture<Void> future) {
            String id = o.props().getMessageId();
            this.messageId = id == null ? "?" : id;
            this.routingKey = o.routingKey();
            this.size = o.body().length;
            this.outgoing = o;
            this.nacks = nacks;
            this.future = future;
        }
    }

    /** A confirm-mode channel and the publishes it has not confirmed yet. */
    private final class ConfirmChannel implements ConfirmListener, ReturnListener {
        final Channel channel;
        final ConcurrentNavigableMap<Long, Pending> pending = new ConcurrentSkipListMap<>();
        volatile boolean dead;
        /** Got a basic.nack: takes no new publish, waits for the confirms it still owes, then closes. */
        volatile boolean retired;

        ConfirmChannel(Channel channel) throws IOException {
            this.channel = channel;
            channel.confirmSelect();
            channel.addConfirmListener(this);
            channel.addReturnListener(this);
            channel.addShutdownListener(this::died);
        }

        @Override
        public void handleAck(long seq, boolean multiple) { settle(seq, multiple, true); }

        @Override
        public void handleNack(long seq, boolean multiple) { settle(seq, multiple, false); }

        private void settle(long seq, boolean multiple, boolean ack) {
            if (!ack && !retired) retire(this);
            Map<Long, Pending> done = multiple ? pending.headMap(seq, true) : pending.subMap(seq, true, seq, true);
            for (Map.Entry<Long, Pending> e : new ArrayList<>(done.entrySet())) {
                if (pending.remove(e.getKey()) == null) continue;
                Pending p = e.getValue();
                if (!ack) {
                    nacked(p);
                } else if (p.returnedBecause != null) {
                    p.future.completeExceptionally(new CourierException("RabbitMQ could not route message " + p.messageId
                            + " to queue '" + p.routingKey + "' (" + p.returnedBecause + "): the queue is missing; send again to re-declare it"));
                } else {
                    p.future.complete(null);
                }
            }
            if (retired && pending.isEmpty()) closeRetired(this);
        }

        @Override
        public void handleReturn(int code, String text, String exchange, String routingKey, AMQP.BasicProperties props, byte[] body) {
            String id = props.getMessageId();
            for (Pending p : pending.values()) {
                if (p.returnedBecause == null && p.routingKey.equals(routingKey) && p.messageId.equals(id)) {
                    p.returnedBecause = code + " " + text;
                    unroutable.accept(exchange.isEmpty() ? routingKey : exchange);
                    return;
                }
            }
        }

        private void died(ShutdownSignalException cause) {
            dead = true;
            if (!cause.isInitiatedByApplication() && !cause.isHardError()) { // connection losses are logged by ConnectionLog
                log.warn("transport=rabbitmq publish channel closed: {}; unconfirmed sends fail, the next send opens a new channel",
                        Errors.closeReason(cause) != null ? Errors.closeReason(cause) : cause.getMessage());
            }
            failAll(cause);
        }

        void failAll(Throwable cause) {
            long[] tooLarge = Errors.oversized(Errors.closeReason(cause));
            for (Long seq : new ArrayList<>(pending.keySet())) {
                Pending p = pending.remove(seq);
                if (p == null) continue;
                if (tooLarge != null && p.size == tooLarge[0]) {
                    p.future.completeExceptionally(new PayloadTooLargeException(p.messageId, p.size, tooLarge[1],
                            "the broker's max_message_size; set the URL parameter max-message-size to it or below"));
                } else {
                    p.future.completeExceptionally(Errors.unavailable("publishing message " + p.messageId, cause, settings));
                }
            }
        }
    }

    private final Connection connection;
    private final RabbitSettings settings;
    private final java.util.function.Consumer<String> unroutable;
    private final ReentrantLock lock = new ReentrantLock();
    private volatile ConfirmChannel current;
    /** Channels that got a nack and still owe confirms (see {@link ConfirmChannel#retired}). */
    private final java.util.Set<ConfirmChannel> retiring = java.util.concurrent.ConcurrentHashMap.newKeySet();

    /** @param unroutable told the queue (or delay exchange) of every returned message: it is gone, forget its declaration */
    ConfirmedPublisher(Connection connection, RabbitSettings settings, java.util.function.Consumer<String> unroutable) {
        this.connection = connection;
        this.settings = settings;
        this.unroutable = unroutable;
    }

    /**
     * A {@code basic.nack} means the broker did not store the message (a quorum queue without a leader yet, just
     * after a restart): it is published again, after 100 ms, 200 ms, 400 ms; after that, or past the send timeout,
     * the send fails.
     */
    private void nacked(Pending p) {
        boolean inTime = System.nanoTime() - p.startNanos < settings.sendTimeout.toNanos();
        if (p.nacks >= MAX_NACK_RETRIES || !inTime) {
            p.future.completeExceptionally(new TransportUnavailableException("RabbitMQ refused message " + p.messageId
                    + " for queue '" + p.routingKey + "' " + (p.nacks + 1) + " times (basic.nack: the broker could not store it): send it again"));
            return;
        }
        log.info("transport=rabbitmq broker nacked message {} for queue '{}'; publishing it again", p.messageId, p.routingKey);
        CompletableFuture.delayedExecutor(100L << p.nacks, java.util.concurrent.TimeUnit.MILLISECONDS).execute(() -> {
            lock.lock();
            try {
                publishOne(p.outgoing, p.nacks + 1, p.future);
            } finally {
                lock.unlock();
            }
        });
    }

    private static final int MAX_NACK_RETRIES = 3;

    /** One message to publish. */
    record Outgoing(String exchange, String routingKey, AMQP.BasicProperties props, byte[] body) {}

    /** Publishes every message; each future completes on its confirm. Never blocks beyond handing frames to the socket. */
    List<CompletableFuture<Void>> publish(List<Outgoing> batch) {
        List<CompletableFuture<Void>> out = new ArrayList<>(batch.size());
        lock.lock();
        try {
            for (Outgoing o : batch) out.add(publishOne(o, 0, new CompletableFuture<>()));
        } finally {
            lock.unlock();
        }
        return out;
    }

    private CompletableFuture<Void> publishOne(Outgoing o, int nacks, CompletableFuture<Void> future) {
        Pending p = new Pending(o, nacks, future);
        ConfirmChannel c;
        try {
            c = channel();
        } catch (IOException | RuntimeException e) {
            return CompletableFuture.failedFuture(Errors.general(e, settings, "publishing message " + p.messageId));
        }
        long seq = c.channel.getNextPublishSeqNo();
        c.pending.put(seq, p);
        try {
            c.channel.basicPublish(o.exchange(), o.routingKey(), true, o.props(), o.body());
        } catch (IOException | RuntimeException e) {
            if (c.pending.remove(seq) != null) p.future.completeExceptionally(Errors.general(e, settings, "publishing message " + p.messageId));
        }
        if (c.dead && c.pending.remove(seq) != null) {
            p.future.completeExceptionally(new TransportUnavailableException("publishing message " + p.messageId + " failed: the connection to "
                    + settings.where() + " closed before the broker confirmed it; send it again"));
        }
        return p.future;
    }

    private ConfirmChannel channel() throws IOException {
        ConfirmChannel c = current;
        if (c != null && !c.dead && !c.retired && c.channel.isOpen()) return c;
        if (c != null && !c.retired) {
            c.dead = true;
            c.failAll(new IOException("channel closed"));
            Channel old = c.channel;
            Thread.ofVirtual().start(() -> { try { old.abort(); } catch (Exception ignored) { /* already closed */ } });
        }
        Channel ch = connection.createChannel();
        if (ch == null) throw new IOException("no channel available on the publish connection (channel_max reached)");
        current = new ConfirmChannel(ch);
        return current;
    }

    /**
     * A channel that got a {@code basic.nack} is not published on again (the next publish opens a new one): after a
     * quorum queue lost its leader, a channel that had a publish refused kept later publishes unconfirmed. It stays
     * open until the confirms it still owes arrive or expire, then closes.
     */
    private void retire(ConfirmChannel c) {
        c.retired = true;
        retiring.add(c);
        log.info("transport=rabbitmq publish channel {} got a basic.nack: retired, the next publishes go to a new channel", c.channel.getChannelNumber());
    }

    private void closeRetired(ConfirmChannel c) {
        if (!retiring.remove(c)) return;
        c.dead = true;
        c.failAll(new IOException("channel retired after a basic.nack"));
        Thread.ofVirtual().start(() -> { try { c.channel.abort(); } catch (Exception ignored) { /* already closed */ } });
    }

    /** Fails publishes unconfirmed for longer than the send timeout (the caller may resend: ids are kept). */
    void expireOverdue() {
        for (ConfirmChannel r : retiring) {
            expireOverdue(r);
            if (r.pending.isEmpty() || r.dead) closeRetired(r);
        }
        ConfirmChannel c = current;
        if (c != null) expireOverdue(c);
    }

    private void expireOverdue(ConfirmChannel c) {
        long limit = settings.sendTimeout.toNanos();
        long now = System.nanoTime();
        for (Map.Entry<Long, Pending> e : c.pending.entrySet()) {
            Pending p = e.getValue();
            if (now - p.startNanos > limit && c.pending.remove(e.getKey(), p)) {
                p.future.completeExceptionally(new TransportUnavailableException("message " + p.messageId + " was not confirmed by "
                        + settings.where() + " within send-timeout=" + settings.sendTimeout + "; it may or may not have been stored: send it again (its id makes the resend recognisable)"));
            }
        }
    }

    int unconfirmed() {
        ConfirmChannel c = current;
        return (c == null ? 0 : c.pending.size()) + retiring.stream().mapToInt(r -> r.pending.size()).sum();
    }

    /** Waits (up to the send timeout) for unconfirmed publishes, then closes the channel; the rest fail. */
    @Override
    public void close() {
        long deadline = System.nanoTime() + settings.sendTimeout.toNanos();
        while (unconfirmed() > 0 && System.nanoTime() < deadline) {
            try { Thread.sleep(10); } catch (InterruptedException e) { Thread.currentThread().interrupt(); break; }
        }
        for (ConfirmChannel r : retiring) closeRetired(r);
        ConfirmChannel c = current;
        if (c != null) {
            c.dead = true;
            c.failAll(new IOException("transport closed"));
            try { c.channel.abort(); } catch (Exception ignored) { /* already closed */ }
        }
    }
}
