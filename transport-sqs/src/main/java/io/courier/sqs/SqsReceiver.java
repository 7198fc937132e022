package io.courier.sqs;

import io.courier.Message;
import io.courier.spi.Received;
import io.courier.spi.Receiver;
import io.courier.spi.ReceiverSpec;
import io.courier.spi.support.LeaseTable;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.services.sqs.model.ChangeMessageVisibilityBatchRequestEntry;
import software.amazon.awssdk.services.sqs.model.DeleteMessageBatchRequestEntry;
import software.amazon.awssdk.services.sqs.model.MessageSystemAttributeName;
import software.amazon.awssdk.services.sqs.model.QueueDoesNotExistException;

/**
 * Receives from the member's queue (when the receiver has a member) and the group's queue with long polls;
 * {@code VisibilityTimeout} = the ack deadline is the lease (C6), {@code ApproximateReceiveCount} the attempt (C15).
 * ack = {@code DeleteMessageBatch}; nack and lease extension = {@code ChangeMessageVisibilityBatch}; close makes
 * what it holds visible again at once. It never holds more than {@code prefetch} unsettled messages (C11). Its
 * {@link LeaseTable} mirrors the visibility timeouts, so that a settlement after one ran out (the message may be with
 * another member already) is ignored; an expired lease needs no call (SQS makes the message visible itself).
 */
final class SqsReceiver implements Receiver {
    private static final Logger log = LoggerFactory.getLogger(SqsReceiver.class);
    /** SQS's longest visibility timeout: 12 hours. */
    private static final long MAX_VISIBILITY_SECONDS = 43_200;

    private final SqsTransport transport;
    private final ReceiverSpec spec;
    private final List<String> queues;
    private final LeaseTable<SqsDelivery> leases = new LeaseTable<>();
    private final AtomicBoolean closed = new AtomicBoolean();

    SqsReceiver(SqsTransport transport, ReceiverSpec spec) {
        this.transport = transport;
        this.spec = spec;
        QueueNames n = transport.names;
        this.queues = spec.member() != null
                ? List.of(n.member(spec.group(), spec.member()), n.orderedMember(spec.group(), spec.member()),
                        n.orderedGroup(spec.group()), n.group(spec.group()))
                : List.of(n.orderedGroup(spec.group()), n.group(spec.group()));
        try {
            for (String q : queues) transport.queueUrl(q); // create them now, so that messages wait for this receiver
        } catch (RuntimeException e) {
            throw Errors.of(e, transport.settings(), "opening a receiver for group " + spec.group());
        }
        log.info("transport=sqs receiver opened group={} member={} queues={} prefetch={}", spec.group(), spec.member(), queues, spec.prefetch());
    }

    @Override
    public List<? extends Received> receive(int max, Duration wait) throws InterruptedException {
        long deadline = System.nanoTime() + wait.toNanos();
        List<SqsDelivery> out = new ArrayList<>();
        while (!closed.get()) {
            long now = System.nanoTime();
            leases.sweep(d -> { }); // SQS makes them visible again by itself
            int room = Math.min(max, spec.prefetch() - leases.size()) - out.size();
            if (room <= 0) {
                if (out.isEmpty()) Thread.sleep(20); // full: the runtime asks again once it settled some
                break;
            }
            long leftMillis = (deadline - now) / 1_000_000;
            for (String queue : queues) {
                int n = Math.min(10, room - out.size());
                if (n <= 0) break;
                // short polls of the member and FIFO queues, then a poll of up to 1 s of the group's standard queue
                int waitSeconds = queue.equals(queues.get(queues.size() - 1)) ? (int) Math.min(1, leftMillis / 1000) : 0;
                out.addAll(poll(queue, n, out.isEmpty() ? waitSeconds : 0));
            }
            if (!out.isEmpty() || System.nanoTime() - deadline >= 0) break;
            if (leftMillis < 1000) Thread.sleep(Math.max(1, Math.min(leftMillis, 100)));
        }
        return out;
    }

    private List<SqsDelivery> poll(String queue, int n, int waitSeconds) throws InterruptedException {
        long visibility = Math.min(MAX_VISIBILITY_SECONDS, Math.max(1, WireFormat.ceilSeconds(spec.ackDeadline())));
        List<software.amazon.awssdk.services.sqs.model.Message> got;
        String url;
        try {
            url = transport.queueUrl(queue);
            got = transport.sqs.receiveMessage(b -> b.queueUrl(url).maxNumberOfMessages(n).waitTimeSeconds(waitSeconds)
                    .visibilityTimeout((int) visibility)
                    .messageSystemAttributeNames(MessageSystemAttributeName.APPROXIMATE_RECEIVE_COUNT)
                    .messageAttributeNames("All")
                    .overrideConfiguration(o -> o.apiCallAttemptTimeout(Duration.ofSeconds(waitSeconds + 10))
                            .apiCallTimeout(Duration.ofSeconds(waitSeconds + 30)))).messages();
            transport.reached(true, queue, null);
        } catch (QueueDoesNotExistException e) {
            transport.forgetQueue(queue); // deleted behind our back: the next poll creates it again
            return List.of();
        } catch (RuntimeException e) {
            if (Thread.currentThread().isInterrupted() || e.getCause() instanceof InterruptedException) {
                throw new InterruptedException("receive from queue " + queue + " interrupted"); // closing, not an outage
            }
            if (!Errors.unreachable(e)) throw Errors.of(e, transport.settings(), "receiving from queue " + queue);
            transport.reached(false, queue, e); // short outages are absorbed: the messages wait in SQS
            Thread.sleep(200);
            return List.of();
        }
        List<SqsDelivery> out = new ArrayList<>(got.size());
        for (var m : got) {
            Instant notBefore = WireFormat.notBefore(m);
            Message message = WireFormat.fromSqs(m, spec.group());
            if (notBefore != null && notBefore.isAfter(Instant.now().plusSeconds(1))) {
                redelay(message, notBefore, url, m.receiptHandle());
                continue;
            }
            SqsDelivery d = new SqsDelivery(message, WireFormat.receiveCount(m), url, m.receiptHandle());
            if (d.attempt > 1) log.info("transport=sqs redelivery queue={} id={} attempt={}", queue, message.id(), d.attempt);
            leases.register(d, spec.ackDeadline());
            out.add(d);
        }
        return out;
    }

    /**
     * A message delayed past SQS's 15 minutes came early: send it again with the rest of its delay and delete this
     * copy, so that the wait does not count as an attempt.
     */
    private void redelay(Message message, Instant notBefore, String url, String receiptHandle) {
        transport.send(List.of(message.toBuilder().notBefore(notBefore).build())).thenRun(() ->
                transport.sqs.deleteMessage(b -> b.queueUrl(url).receiptHandle(receiptHandle)));
    }

    @Override
    public void ack(List<? extends Received> deliveries) {
        for (Map.Entry<String, List<SqsDelivery>> q : settleable(deliveries).entrySet()) {
            List<SqsDelivery> ds = q.getValue();
            for (int i = 0; i < ds.size(); i += 10) {
                List<SqsDelivery> chunk = ds.subList(i, Math.min(ds.size(), i + 10));
                List<DeleteMessageBatchRequestEntry> entries = new ArrayList<>();
                for (int j = 0; j < chunk.size(); j++) {
                    entries.add(DeleteMessageBatchRequestEntry.builder().id(Integer.toString(j)).receiptHandle(chunk.get(j).receiptHandle).build());
                }
                try {
                    var r = transport.sqs.deleteMessageBatch(b -> b.queueUrl(q.getKey()).entries(entries));
                    r.failed().forEach(f -> log.warn("transport=sqs ack failed queue={} id={}: {} {}; it will be delivered again",
                            q.getKey(), chunk.get(Integer.parseInt(f.id())).message.id(), f.code(), f.message()));
                } catch (RuntimeException e) {
                    log.warn("transport=sqs ack of {} message(s) failed queue={} ({}); they will be delivered again",
                            chunk.size(), q.getKey(), Errors.rootMessage(e));
                }
            }
        }
    }

    @Override
    public void nack(List<? extends Received> deliveries, Duration delay) {
        changeVisibility(settleable(deliveries), delay, "nack");
    }

    @Override
    public void extendLease(List<? extends Received> deliveries, Duration extension) {
        List<SqsDelivery> extended = new ArrayList<>();
        for (Received r : deliveries) {
            // restart, not extend: the visibility timeout becomes exactly the extension, so the lease follows it
            if (r instanceof SqsDelivery d && leases.restart(d, extension)) extended.add(d);
        }
        changeVisibility(byQueue(extended), extension, "lease extension");
    }

    /** Deliveries of this receiver that may still be settled (lease running, not settled), marked settled, by queue. */
    private Map<String, List<SqsDelivery>> settleable(List<? extends Received> deliveries) {
        List<SqsDelivery> settled = new ArrayList<>();
        for (Received r : deliveries) {
            if (r instanceof SqsDelivery d && leases.settle(d)) settled.add(d);
        }
        return byQueue(settled);
    }

    private static Map<String, List<SqsDelivery>> byQueue(List<SqsDelivery> deliveries) {
        Map<String, List<SqsDelivery>> byQueue = new LinkedHashMap<>();
        for (SqsDelivery d : deliveries) byQueue.computeIfAbsent(d.queueUrl, k -> new ArrayList<>()).add(d);
        return byQueue;
    }

    private void changeVisibility(Map<String, List<SqsDelivery>> byQueue, Duration visibleIn, String what) {
        int seconds = (int) Math.min(MAX_VISIBILITY_SECONDS, WireFormat.ceilSeconds(visibleIn));
        for (Map.Entry<String, List<SqsDelivery>> q : byQueue.entrySet()) {
            List<SqsDelivery> ds = q.getValue();
            for (int i = 0; i < ds.size(); i += 10) {
                List<SqsDelivery> chunk = ds.subList(i, Math.min(ds.size(), i + 10));
                List<ChangeMessageVisibilityBatchRequestEntry> entries = new ArrayList<>();
                for (int j = 0; j < chunk.size(); j++) {
                    entries.add(ChangeMessageVisibilityBatchRequestEntry.builder().id(Integer.toString(j))
                            .receiptHandle(chunk.get(j).receiptHandle).visibilityTimeout(seconds).build());
                }
                try {
                    var r = transport.sqs.changeMessageVisibilityBatch(b -> b.queueUrl(q.getKey()).entries(entries));
                    r.failed().forEach(f -> log.warn("transport=sqs {} failed queue={} id={}: {} {}", what, q.getKey(),
                            chunk.get(Integer.parseInt(f.id())).message.id(), f.code(), f.message()));
                } catch (RuntimeException e) {
                    log.warn("transport=sqs {} of {} message(s) failed queue={} ({}); their visibility timeout still applies",
                            what, chunk.size(), q.getKey(), Errors.rootMessage(e));
                }
            }
        }
    }

    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) return;
        leases.sweep(d -> { }); // expired ones may be with another member already: not touched
        changeVisibility(byQueue(leases.releaseAll()), Duration.ZERO, "release on close");
        transport.forget(this);
        log.info("transport=sqs receiver closed group={} member={}", spec.group(), spec.member());
    }
}
