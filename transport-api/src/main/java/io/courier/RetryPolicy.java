package io.courier;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

/**
 * How many times a message is attempted and how long to wait between attempts. The attempt counter is shared
 * with the broker's own redeliveries (C15): with {@code maxAttempts = n}, a handler that always fails runs exactly
 * n times, then the message is dead-lettered.
 *
 * @param maxAttempts at least 1; 1 means no retry
 * @param initial     delay before the second attempt
 * @param max         cap on any delay
 * @param multiplier  growth per attempt (1 = linear steps of {@code initial}, 0 = constant… see factories)
 * @param jitter      0..1: each delay is drawn uniformly from [d·(1-jitter), d]
 */
public record RetryPolicy(int maxAttempts, Backoff backoff, Duration initial, Duration max, double multiplier, double jitter) {

    /** The shape of the delays between attempts. */
    public enum Backoff { EXPONENTIAL, LINEAR, NONE }

    public RetryPolicy {
        if (maxAttempts < 1) throw new IllegalArgumentException("maxAttempts must be at least 1, got " + maxAttempts);
        if (jitter < 0 || jitter > 1) throw new IllegalArgumentException("jitter must be within 0..1, got " + jitter);
    }

    /** Delays of initial·2^(k-1), capped at max, with 20 % jitter. */
    public static RetryPolicy exponential(int maxAttempts, Duration initial, Duration max) {
        return new RetryPolicy(maxAttempts, Backoff.EXPONENTIAL, initial, max, 2.0, 0.2);
    }

    /** Delays of step·k, capped at max. */
    public static RetryPolicy linear(int maxAttempts, Duration step, Duration max) {
        return new RetryPolicy(maxAttempts, Backoff.LINEAR, step, max, 1.0, 0.0);
    }

    /** Retries at once, up to maxAttempts. */
    public static RetryPolicy immediate(int maxAttempts) {
        return new RetryPolicy(maxAttempts, Backoff.NONE, Duration.ZERO, Duration.ZERO, 1.0, 0.0);
    }

    /** One attempt; a failure is dead-lettered. */
    public static RetryPolicy none() { return immediate(1); }

    /** Default: 5 attempts, 200 ms doubling to 30 s. */
    public static RetryPolicy defaults() { return exponential(5, Duration.ofMillis(200), Duration.ofSeconds(30)); }

    /** The delay before attempt {@code failedAttempt + 1}. */
    public Duration delayAfter(int failedAttempt) { return delayAfter(failedAttempt, ThreadLocalRandom.current()); }

    /**
     * The delay before attempt {@code failedAttempt + 1}, drawing the jitter from {@code random} (a seeded generator
     * makes the delays reproducible, as the deterministic simulation needs).
     */
    public Duration delayAfter(int failedAttempt, java.util.random.RandomGenerator random) {
        double base = switch (backoff) {
            case NONE -> 0;
            case LINEAR -> initial.toMillis() * (double) failedAttempt;
            case EXPONENTIAL -> initial.toMillis() * Math.pow(multiplier, failedAttempt - 1);
        };
        double capped = Math.min(base, max.toMillis());
        double low = capped * (1 - jitter);
        double d = jitter == 0 ? capped : low + random.nextDouble() * (capped - low);
        return Duration.ofMillis(Math.round(d));
    }
}
