package io.courier;

import java.time.Duration;
import java.util.Objects;

/**
 * How a member subscribes: which group (and member id), how many handlers run at once, how many deliveries it may
 * hold, the retry policy, the ack deadline and the longest a handler may run. Build with
 * {@code SubscriptionOptions.group("orders").member("w1").concurrency(8).build()}.
 *
 * @param group           the group to compete in
 * @param member          this member's stable id, or null (then only {@code any@group} messages are received)
 * @param concurrency     handlers running at once
 * @param prefetch        the most deliveries held unsettled (C11); at least {@code concurrency}. Unless set, an
 *                        adaptive window up to this bound ({@code max(512, 2·concurrency)}), see {@link Builder}
 * @param retry           attempts and backoff (C15)
 * @param ackDeadline     lease of a delivery; the runtime extends it while the handler runs (C16)
 * @param maxHandlingTime past this a running handler's delivery fails by the retry path (C16)
 * @param closeGrace      how long {@link Subscription#close()} waits for in-flight handlers (C13)
 * @param deadLetterGroup where dead letters go: {@code group.dlq} unless set
 * @param pollWait        longest single wait for messages (bounds how fast pause/close take effect)
 * @param adaptivePrefetch whether the prefetch window adapts up to {@code prefetch} (the user did not set one) or is
 *                        fixed at it (an explicit {@link Builder#prefetch(int)})
 */
public record SubscriptionOptions(String group, String member, int concurrency, int prefetch, RetryPolicy retry,
                                  Duration ackDeadline, Duration maxHandlingTime, Duration closeGrace,
                                  String deadLetterGroup, Duration pollWait, boolean adaptivePrefetch) {

    public SubscriptionOptions {
        Objects.requireNonNull(group, "group");
        Destination.any(group);
        if (member != null) Destination.uni(group, member);
        if (concurrency < 1) throw new IllegalArgumentException("concurrency must be at least 1, got " + concurrency);
        if (prefetch < concurrency) throw new IllegalArgumentException("prefetch (" + prefetch + ") must be at least concurrency (" + concurrency + ")");
        Destination.any(deadLetterGroup);
    }

    /** The largest adaptive window: about a Kafka poll ({@code max.poll.records} 500), twice a Spring AMQP prefetch. */
    public static final int ADAPTIVE_PREFETCH_CAP = 512;

    /** Where an adaptive window starts: {@code max(2·concurrency, 16)} (the fixed default before it adapted). */
    public static int startPrefetch(int concurrency) { return Math.max(2 * concurrency, 16); }

    public static Builder group(String group) { return new Builder(group); }

    public Builder toBuilder() {
        Builder b = new Builder(group);
        b.member = member; b.concurrency = concurrency; b.prefetch = adaptivePrefetch ? null : prefetch; b.retry = retry; b.ackDeadline = ackDeadline;
        b.maxHandlingTime = maxHandlingTime; b.closeGrace = closeGrace; b.deadLetterGroup = deadLetterGroup; b.pollWait = pollWait;
        return b;
    }

    /**
     * Builder with defaults: concurrency 1, an adaptive prefetch, {@link RetryPolicy#defaults()}, ack deadline 30 s,
     * max handling time 5 min, close grace 10 s, poll wait 500 ms.
     *
     * <p>The adaptive prefetch (when {@link #prefetch(int)} is not called): the window of unsettled deliveries starts
     * at {@code max(2·concurrency, 16)} and doubles, up to {@code max(512, 2·concurrency)}, whenever a backlog keeps it
     * full after a window's worth of messages was handled; it is bounded by the handlers' speed so that a buffered
     * delivery waits at most half the ack deadline ({@code window ≤ concurrency × ackDeadline / 2 / mean handler
     * time}, never below {@code concurrency}), and shrinks to that bound when handlers slow down. A 1 s handler with
     * the 30 s deadline thus holds 15 messages, a 10 µs handler 512. {@link #prefetch(int)} sets a fixed window
     * instead, exactly that many (C11).
     */
    public static final class Builder {
        private final String group;
        private String member;
        private int concurrency = 1;
        private Integer prefetch;
        private RetryPolicy retry = RetryPolicy.defaults();
        private Duration ackDeadline = Duration.ofSeconds(30);
        private Duration maxHandlingTime = Duration.ofMinutes(5);
        private Duration closeGrace = Duration.ofSeconds(10);
        private String deadLetterGroup;
        private Duration pollWait = Duration.ofMillis(500);

        private Builder(String group) { this.group = group; }

        public Builder member(String member) { this.member = member; return this; }
        public Builder concurrency(int n) { this.concurrency = n; return this; }
        public Builder prefetch(int n) { this.prefetch = n; return this; }
        public Builder retry(RetryPolicy retry) { this.retry = Objects.requireNonNull(retry); return this; }
        public Builder maxAttempts(int n) {
            this.retry = new RetryPolicy(n, retry.backoff(), retry.initial(), retry.max(), retry.multiplier(), retry.jitter());
            return this;
        }
        public Builder ackDeadline(Duration d) { this.ackDeadline = d; return this; }
        public Builder maxHandlingTime(Duration d) { this.maxHandlingTime = d; return this; }
        public Builder closeGrace(Duration d) { this.closeGrace = d; return this; }
        public Builder deadLetterGroup(String g) { this.deadLetterGroup = g; return this; }
        public Builder pollWait(Duration d) { this.pollWait = d; return this; }

        public SubscriptionOptions build() {
            int p = prefetch != null ? prefetch : Math.max(ADAPTIVE_PREFETCH_CAP, startPrefetch(concurrency));
            return new SubscriptionOptions(group, member, concurrency, p, retry, ackDeadline, maxHandlingTime, closeGrace,
                    deadLetterGroup != null ? deadLetterGroup : group + ".dlq", pollWait, prefetch == null);
        }
    }
}
