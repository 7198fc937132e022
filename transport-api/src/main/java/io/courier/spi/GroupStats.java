package io.courier.spi;

import java.util.OptionalLong;

/**
 * Counts of one group as its broker reports them, for operators. A count the broker cannot tell is
 * {@link OptionalLong#empty() unknown}, never a made-up 0.
 *
 * @param group       the group
 * @param backlog     messages waiting to be delivered (available now), over the group and its member queues
 * @param inFlight    messages leased to a consumer and not yet settled
 * @param delayed     messages waiting for their not-before time or a retry delay
 * @param deadLetters messages in the group's dead-letter destination
 * @param consumers   live consumers of the group
 */
public record GroupStats(String group, OptionalLong backlog, OptionalLong inFlight, OptionalLong delayed,
                         OptionalLong deadLetters, OptionalLong consumers) {

    /** Shorthand for a known count. */
    public static OptionalLong known(long n) { return OptionalLong.of(n); }

    /** Shorthand for a count the broker cannot tell. */
    public static OptionalLong unknown() { return OptionalLong.empty(); }
}
