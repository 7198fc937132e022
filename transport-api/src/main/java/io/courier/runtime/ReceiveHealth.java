package io.courier.runtime;

import io.courier.SubscriptionHealth;
import io.courier.SubscriptionHealth.State;
import java.time.Duration;
import java.util.function.LongSupplier;
import java.util.regex.Pattern;

/**
 * The receive outcomes of one subscription, recorded by its {@link FetchLoop} (so once for every transport, never per
 * adapter) and read by {@link io.courier.Courier#health()}. Written by the fetch thread only; read from any thread.
 */
final class ReceiveHealth {
    private static final long NEVER = Long.MIN_VALUE;
    private static final int MAX_ERROR_CHARS = 300;
    /** {@code scheme://user:password@} or {@code user:password@host} in an error message. */
    private static final Pattern USER_INFO = Pattern.compile("([A-Za-z][A-Za-z0-9+.-]*://)?[^\\s/@:]+:[^\\s/@]*@");

    /** One consistent snapshot, replaced on every outcome. */
    private record Outcomes(long lastSuccess, long failingSince, String lastError) { }

    private final LongSupplier nanoClock;
    private volatile Outcomes outcomes = new Outcomes(NEVER, NEVER, null);

    ReceiveHealth() { this(System::nanoTime); }

    ReceiveHealth(LongSupplier nanoClock) { this.nanoClock = nanoClock; }

    /** A receive call returned (with or without deliveries). */
    void succeeded() {
        Outcomes o = outcomes;
        long now = nanoClock.getAsLong();
        if (o.failingSince == NEVER && o.lastSuccess != NEVER && now - o.lastSuccess < 1_000_000) return; // at most one write per ms when healthy
        outcomes = new Outcomes(now, NEVER, o.lastError);
    }

    /** A receive call threw {@code error}. */
    void failed(Throwable error) {
        Outcomes o = outcomes;
        outcomes = new Outcomes(o.lastSuccess, o.failingSince == NEVER ? nanoClock.getAsLong() : o.failingSince, describe(error));
    }

    /** Whether the last receive failed (no receive has succeeded since a failure). */
    boolean failing() { return outcomes.failingSince != NEVER; }

    /** Whether a receive has succeeded at all. */
    boolean everSucceeded() { return outcomes.lastSuccess != NEVER; }

    SubscriptionHealth snapshot(String group, String member) {
        Outcomes o = outcomes;
        long now = nanoClock.getAsLong();
        State state = o.failingSince == NEVER ? State.RUNNING
                : now - o.failingSince >= SubscriptionHealth.FAILING_AFTER.toNanos() ? State.FAILING : State.RECOVERING;
        Duration since = o.lastSuccess == NEVER ? null : Duration.ofNanos(now - o.lastSuccess);
        return new SubscriptionHealth(group, member, state, o.lastError, since);
    }

    /** The error's type and message, credentials redacted, bounded in length. */
    static String describe(Throwable e) {
        String text = e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
        text = USER_INFO.matcher(text).replaceAll("$1***@");
        return text.length() <= MAX_ERROR_CHARS ? text : text.substring(0, MAX_ERROR_CHARS) + "…";
    }
}
