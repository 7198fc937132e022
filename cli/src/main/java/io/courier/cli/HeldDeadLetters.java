package io.courier.cli;

import io.courier.Courier;
import io.courier.Delivery;
import io.courier.Message;
import io.courier.RetryPolicy;
import io.courier.Subscription;
import io.courier.SubscriptionOptions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * The dead letters of a dead-letter group, read without losing them: a subscription on the group holds each
 * delivery unsettled (one blocked handler per dead letter, its lease extended by the runtime) until the listing is
 * complete, that is when {@code limit} are held or none came for {@code wait}. Holding them all at once makes the
 * listing complete and free of repeats on every transport. {@link Letter#remove()} acks one (replayed or purged);
 * {@link #close()} gives every other one back to the group (a nack with no delay: the transport counts it as a
 * delivery attempt of the dead letter).
 */
final class HeldDeadLetters implements AutoCloseable {
    private final LinkedBlockingQueue<Letter> arrivals = new LinkedBlockingQueue<>();
    private final List<Letter> letters = new ArrayList<>();
    private final Subscription subscription;

    /** One dead letter held unsettled. */
    static final class Letter {
        private final Delivery delivery;
        private final CompletableFuture<Void> done = new CompletableFuture<>();

        private Letter(Delivery delivery) { this.delivery = delivery; }

        Message message() { return delivery.message(); }

        String id() { return delivery.message().id(); }

        /** The runtime's reason ({@code courier-dead-letter-reason}), or null for a message sent there by hand. */
        String reason() { return delivery.message().headers().get(Message.DEAD_LETTER_REASON); }

        /** How many times this dead letter itself was delivered from the dead-letter group. */
        int deliveryAttempt() { return delivery.attempt(); }

        /** Acks it: it leaves the dead-letter group. */
        void remove() {
            delivery.ack();
            done.complete(null);
        }

        /** Its handler: holds the delivery until {@link #remove()} or the close of the subscription (an interrupt). */
        private void hold() throws Exception { done.get(); }
    }

    private HeldDeadLetters(Courier courier, String group, int limit) {
        SubscriptionOptions options = SubscriptionOptions.group(group).concurrency(limit).prefetch(limit)
                .retry(RetryPolicy.immediate(Integer.MAX_VALUE)).maxHandlingTime(Duration.ofDays(1))
                .closeGrace(Duration.ZERO).build();
        this.subscription = courier.subscribe(options, d -> {
            Letter l = new Letter(d);
            arrivals.add(l);
            l.hold();
        });
    }

    /** Subscribes to {@code group} and holds up to {@code limit} of its messages; see the class comment. */
    static HeldDeadLetters hold(Courier courier, String group, int limit, Duration wait) throws InterruptedException {
        HeldDeadLetters held = new HeldDeadLetters(courier, group, limit);
        try {
            held.collect(limit, wait);
        } catch (InterruptedException | RuntimeException e) {
            held.close();
            throw e;
        }
        return held;
    }

    private void collect(int limit, Duration wait) throws InterruptedException {
        subscription.awaitReady(Duration.ofSeconds(30));
        while (letters.size() < limit) {
            Letter l = arrivals.poll(wait.toMillis(), TimeUnit.MILLISECONDS);
            if (l == null) break;
            letters.add(l);
        }
        subscription.pause(); // a late arrival stays in arrivals, unlisted, and goes back at close
    }

    /** The dead letters held, in the order they arrived. */
    List<Letter> letters() { return letters; }

    /** Closes the subscription: every dead letter not removed goes back to the group. */
    @Override
    public void close() { subscription.close(); }
}
