package io.courier.sqs;

import io.courier.CourierException;
import io.courier.Message;
import io.courier.PayloadTooLargeException;
import io.courier.TransportUnavailableException;
import io.courier.spi.Capabilities;
import io.courier.spi.Receiver;
import io.courier.spi.ReceiverSpec;
import io.courier.spi.Transport;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.BatchResultErrorEntry;
import software.amazon.awssdk.services.sqs.model.QueueAttributeName;
import software.amazon.awssdk.services.sqs.model.QueueDoesNotExistException;
import software.amazon.awssdk.services.sqs.model.SendMessageBatchRequestEntry;
import software.amazon.awssdk.services.sqs.model.SendMessageBatchResponse;

/**
 * Courier over Amazon SQS (standard queues). A send completes when SQS answered 200 for every message of it (SQS
 * stores a message redundantly before it answers). Concurrent sends to one queue are packed into
 * {@code SendMessageBatch} calls of up to 10 messages and 256 KiB, {@code senders} calls in flight per queue; while
 * SQS is unreachable they are retried until {@code send-timeout}, then fail with {@link TransportUnavailableException}.
 */
final class SqsTransport implements Transport {
    private static final Logger log = LoggerFactory.getLogger(SqsTransport.class);
    /** SQS's limit for one message and for one batch call: 256 KiB. */
    static final long SQS_MAX_BYTES = 262_144;
    /** Payload + headers Courier accepts: base64 makes the payload 4/3 larger, and attributes need room. */
    static final long MAX_PAYLOAD = 190_000;

    private final SqsSettings settings;
    final SqsClient sqs;
    final QueueNames names;
    private final Capabilities capabilities;
    private final Map<String, String> queueUrls = new ConcurrentHashMap<>();
    private final Map<String, Outbox> outboxes = new ConcurrentHashMap<>();
    private final Set<SqsReceiver> receivers = ConcurrentHashMap.newKeySet();
    final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
    private final AtomicBoolean closed = new AtomicBoolean();
    private final AtomicBoolean reachable = new AtomicBoolean(true);

    private SqsTransport(SqsSettings settings, SqsClient sqs) {
        this.settings = settings;
        this.sqs = sqs;
        this.names = new QueueNames(settings.queuePrefix);
        this.capabilities = new Capabilities(MAX_PAYLOAD, true, false, Duration.ofSeconds(2), Map.of());
    }

    /** Connects and checks access with one {@code ListQueues} call, so that a wrong endpoint or key fails here. */
    static SqsTransport open(SqsSettings settings) {
        SqsClient sqs = settings.client();
        try {
            sqs.listQueues(b -> b.queueNamePrefix(settings.queuePrefix.isEmpty() ? "courier" : settings.queuePrefix).maxResults(1));
        } catch (RuntimeException e) {
            sqs.close();
            throw Errors.of(e, settings, "connecting");
        }
        log.info("transport=sqs connected to {}", settings.where());
        return new SqsTransport(settings, sqs);
    }

    SqsSettings settings() { return settings; }

    @Override
    public Capabilities capabilities() { return capabilities; }

    @Override
    public CompletableFuture<Void> send(List<Message> batch) {
        if (closed.get()) return CompletableFuture.failedFuture(new CourierException("this SQS transport is closed: connect again"));
        Instant now = Instant.now();
        long deadline = System.nanoTime() + settings.sendTimeout.toNanos();
        List<CompletableFuture<Void>> all = new ArrayList<>(batch.size());
        for (Message m : batch) {
            // keyed messages go to a FIFO queue (ordered per MessageGroupId); FIFO queues have no per-message delay, so a
            // keyed message with a not-before time goes to the standard queue, unordered
            boolean delayed = m.notBefore() != null && m.notBefore().isAfter(now);
            String queue = names.of(m.destination(), delayed ? null : m.orderingKey());
            Pending p = new Pending(m, WireFormat.toEntry(m, "0", now, QueueNames.isFifo(queue)), deadline);
            all.add(p.done);
            if (WireFormat.size(p.entry) > SQS_MAX_BYTES) {
                p.done.completeExceptionally(new PayloadTooLargeException(m.id(), WireFormat.size(p.entry), SQS_MAX_BYTES,
                        "SQS's 256 KiB per message, counted after base64 and with the headers"));
                continue;
            }
            outboxes.computeIfAbsent(queue, Outbox::new).add(p);
        }
        return CompletableFuture.allOf(all.toArray(CompletableFuture[]::new));
    }

    @Override
    public java.util.Optional<io.courier.spi.Admin> admin() { return java.util.Optional.of(new SqsAdmin(this)); }

    @Override
    public Receiver openReceiver(ReceiverSpec spec) {
        if (closed.get()) throw new CourierException("this SQS transport is closed: connect again");
        SqsReceiver r = new SqsReceiver(this, spec);
        receivers.add(r);
        return r;
    }

    void forget(SqsReceiver r) { receivers.remove(r); }

    /** The URL of queue {@code name}, created on first use (idempotent; messages kept 14 days, the SQS maximum). */
    String queueUrl(String name) {
        String url = queueUrls.get(name);
        if (url != null) return url;
        try {
            url = sqs.getQueueUrl(b -> b.queueName(name)).queueUrl();
        } catch (QueueDoesNotExistException e) {
            Map<QueueAttributeName, String> attributes = QueueNames.isFifo(name)
                    ? Map.of(QueueAttributeName.MESSAGE_RETENTION_PERIOD, "1209600", QueueAttributeName.FIFO_QUEUE, "true")
                    : Map.of(QueueAttributeName.MESSAGE_RETENTION_PERIOD, "1209600");
            url = sqs.createQueue(b -> b.queueName(name).attributes(attributes)).queueUrl();
            log.info("transport=sqs queue created queue={}", name);
        }
        queueUrls.put(name, url);
        return url;
    }

    /** Forgets a queue's URL (the queue was deleted): the next use creates it again. */
    void forgetQueue(String name) { queueUrls.remove(name); }

    /** Records whether the last call reached SQS, logging each change of state once. */
    void reached(boolean ok, String queue, Throwable cause) {
        if (reachable.compareAndSet(!ok, ok)) {
            if (ok) log.info("transport=sqs {} reachable again queue={}", settings.where(), queue);
            else log.warn("transport=sqs {} not reachable queue={} ({}); retrying", settings.where(), queue, Errors.rootMessage(cause));
        }
    }

    /** Whether the last call to SQS (a send, receive or settlement) reached it. */
    @Override
    public java.util.Optional<Boolean> reachable() { return java.util.Optional.of(!closed.get() && reachable.get()); }

    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) return;
        for (SqsReceiver r : List.copyOf(receivers)) r.close();
        long deadline = System.nanoTime() + settings.sendTimeout.toNanos();
        while (outboxes.values().stream().anyMatch(Outbox::busy) && System.nanoTime() < deadline) {
            try { Thread.sleep(10); } catch (InterruptedException e) { Thread.currentThread().interrupt(); break; }
        }
        executor.shutdown();
        try { executor.awaitTermination(5, TimeUnit.SECONDS); } catch (InterruptedException e) { Thread.currentThread().interrupt(); }
        sqs.close();
        log.info("transport=sqs closed {}", settings.where());
    }

    /** One message waiting to be sent, with its send future and the time after which it fails. */
    private record Pending(Message message, SendMessageBatchRequestEntry entry, long deadlineNanos, CompletableFuture<Void> done) {
        Pending(Message message, SendMessageBatchRequestEntry entry, long deadlineNanos) {
            this(message, entry, deadlineNanos, new CompletableFuture<>());
        }
    }

    /** The messages waiting for one queue, sent by up to {@code senders} virtual threads, 10 messages a call. */
    private final class Outbox {
        private final String queue;
        private final ConcurrentLinkedQueue<Pending> pending = new ConcurrentLinkedQueue<>();
        private final AtomicInteger senders = new AtomicInteger();
        /** One sender for a FIFO queue: SQS orders a message group by arrival, so calls must not overtake each other. */
        private final int maxSenders;

        Outbox(String queue) {
            this.queue = queue;
            this.maxSenders = QueueNames.isFifo(queue) ? 1 : settings.senders;
        }

        boolean busy() { return senders.get() > 0 || !pending.isEmpty(); }

        void add(Pending p) {
            pending.add(p);
            for (int n = senders.get(); n < maxSenders; n = senders.get()) {
                if (senders.compareAndSet(n, n + 1)) {
                    executor.execute(this::drain);
                    return;
                }
            }
        }

        private void drain() {
            Pending carry = null;
            while (true) {
                List<Pending> batch = new ArrayList<>(10);
                long bytes = 0;
                if (carry != null) { batch.add(carry); bytes = WireFormat.size(carry.entry); carry = null; }
                Pending p;
                while (batch.size() < 10 && (p = pending.poll()) != null) {
                    long size = WireFormat.size(p.entry);
                    if (bytes + size > SQS_MAX_BYTES) { carry = p; break; }
                    batch.add(p);
                    bytes += size;
                }
                if (batch.isEmpty()) {
                    senders.decrementAndGet();
                    if (pending.isEmpty()) return; // an add() after this starts a sender of its own
                    if (senders.incrementAndGet() > maxSenders) { senders.decrementAndGet(); return; }
                    continue;
                }
                sendUntilDone(batch);
            }
        }

        /** Sends one batch, retrying what SQS could not take for a transient reason until each message's deadline. */
        private void sendUntilDone(List<Pending> batch) {
            long backoff = 100;
            while (!batch.isEmpty()) {
                List<SendMessageBatchRequestEntry> entries = new ArrayList<>(batch.size());
                for (int i = 0; i < batch.size(); i++) entries.add(batch.get(i).entry.toBuilder().id(Integer.toString(i)).build());
                List<Pending> retry = new ArrayList<>();
                try {
                    String url = queueUrl(queue);
                    SendMessageBatchResponse r = sqs.sendMessageBatch(b -> b.queueUrl(url).entries(entries));
                    reached(true, queue, null);
                    r.successful().forEach(s -> batch.get(Integer.parseInt(s.id())).done.complete(null));
                    for (BatchResultErrorEntry f : r.failed()) {
                        Pending p = batch.get(Integer.parseInt(f.id()));
                        if (Boolean.TRUE.equals(f.senderFault())) {
                            p.done.completeExceptionally(new CourierException("SQS refused message " + p.message.id() + " for queue "
                                    + queue + ": " + f.code() + " " + f.message()));
                        } else {
                            retry.add(p);
                        }
                    }
                } catch (QueueDoesNotExistException e) {
                    forgetQueue(queue); // deleted behind our back: create it again
                    retry.addAll(batch);
                } catch (RuntimeException e) {
                    if (!Errors.unreachable(e)) {
                        CourierException c = Errors.of(e, settings, "sending to queue " + queue);
                        batch.forEach(p -> p.done.completeExceptionally(c));
                        return;
                    }
                    reached(false, queue, e);
                    retry.addAll(batch);
                }
                long now = System.nanoTime();
                batch.clear();
                for (Pending p : retry) {
                    if (now - p.deadlineNanos < 0 && !closed.get()) {
                        batch.add(p);
                    } else {
                        p.done.completeExceptionally(new TransportUnavailableException("sending message " + p.message.id() + " failed: "
                                + settings.where() + " did not take it within send-timeout=" + settings.sendTimeout + "; " + settings.hint()));
                    }
                }
                if (!batch.isEmpty()) {
                    try { Thread.sleep(backoff); } catch (InterruptedException e) { Thread.currentThread().interrupt(); }
                    backoff = Math.min(backoff * 2, 1_000);
                }
            }
        }
    }
}
