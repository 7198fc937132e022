package io.courier.http;

import io.courier.AuthenticationException;
import io.courier.spi.Received;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The settlements of one hub receiver (long poll or push): queued by the runtime, posted by one virtual thread in
 * batches of up to 5,000 per {@code POST /v1/settle}. After each batch, and every 100 ms when there is none, it runs
 * the receiver's periodic {@code duty} (a long-poll session's heartbeat, a push subscription's renewal), which
 * checks its own clock. {@link #close()} posts what is
 * queued and stops; a settlement queued after that changes nothing (the receiver's close released its lease).
 */
final class SettlementFlusher {
    private static final Logger log = LoggerFactory.getLogger(SettlementFlusher.class);
    private static final long DUTY_MS = 100;
    private static final int BATCH = 5_000;

    private final HubClient client;
    private final String mode;
    private final String group;
    private final Supplier<String> session;
    private final Runnable duty;
    private final LinkedBlockingQueue<Settlement> queue = new LinkedBlockingQueue<>();
    private volatile boolean closing;
    private volatile long lastPost = System.currentTimeMillis();
    private Thread thread;

    /** {@code mode} names the receiver in logs ({@code poll}, {@code push}); {@code session} may give null (push). */
    SettlementFlusher(HubClient client, String mode, String group, Supplier<String> session, Runnable duty) {
        this.client = client;
        this.mode = mode;
        this.group = group;
        this.session = session;
        this.duty = duty;
    }

    /** Starts the posting thread (once the receiver that owns it is built: its {@code duty} may use it). */
    SettlementFlusher start() {
        thread = Thread.ofVirtual().name("courier-http-settle-" + mode + "-" + group).start(this::run);
        return this;
    }

    /** Queues a settlement of each hub delivery: {@code kind} {@code ack}, {@code nack} (millis: delay) or {@code extend}. */
    void queue(String kind, List<? extends Received> deliveries, long millis) {
        if (closing && !thread.isAlive()) return;
        for (Received r : deliveries) if (r instanceof HttpDelivery d) queue.add(new Settlement(kind, d.lease(), millis));
    }

    /** When the last settlement request (a heartbeat included) was answered. */
    long lastPost() { return lastPost; }

    private void run() {
        List<Settlement> batch = new ArrayList<>();
        while (true) {
            Settlement first;
            try {
                first = queue.poll(DUTY_MS, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                first = null;
            }
            if (first != null) {
                batch.add(first);
                queue.drainTo(batch, BATCH);
                post(batch);
                batch.clear();
            } else if (closing) {
                return;
            }
            duty.run();
        }
    }

    /** Posts one batch (an empty one keeps a session alive), retrying while the hub is unreachable for up to retry-for. */
    void post(List<Settlement> batch) {
        try {
            client.callRetrying("/v1/settle", Settlement.body(session.get(), batch), Duration.ofSeconds(30),
                    System.currentTimeMillis() + client.settings().retryFor.toMillis());
            lastPost = System.currentTimeMillis();
        } catch (AuthenticationException | HubRefusal e) {
            log.warn("settlement refused transport=http {} group={} count={}: {} (the messages will be redelivered)", mode, group, batch.size(), e.getMessage());
        } catch (RuntimeException e) {
            log.warn("settlement failed transport=http {} group={} count={}: {} (the messages will be redelivered)", mode, group, batch.size(), e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Posts what is queued, then stops (waits up to 35 s: a post retries for a while when the hub is away). */
    void close() {
        closing = true;
        try {
            thread.join(35_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
