package io.courier;

import java.time.Duration;

/**
 * How one subscription receives, as the shared runtime records it (once, for every transport): the outcome of each
 * receive call its fetch loop makes. Part of {@link Health}.
 *
 * @param group            the subscription's group
 * @param member           its member, or null
 * @param state            running, recovering or failing
 * @param lastError        the type and message of the last failed receive, or null if none failed; never holds
 *                         credentials (a {@code user:password@} in it is redacted) and never a payload
 * @param sinceLastReceive how long ago a receive last succeeded (an empty answer is a success), or null if none has
 */
public record SubscriptionHealth(String group, String member, State state, String lastError, Duration sinceLastReceive) {

    /** What the subscription's receives show. */
    public enum State {
        /** The last receive succeeded (or none has failed yet). */
        RUNNING,
        /** Receives have been failing for less than {@link #FAILING_AFTER}; the runtime retries with backoff. */
        RECOVERING,
        /** Receives have been failing for {@link #FAILING_AFTER} or longer. */
        FAILING
    }

    /** How long receives fail before a recovering subscription is failing. */
    public static final Duration FAILING_AFTER = Duration.ofSeconds(30);
}
