package io.courier.spi;

import java.time.Duration;
import java.util.Map;

/**
 * What a transport can do, declared rather than guessed, so that the shared runtime and the conformance suite know
 * what to expect (Watermill-style feature flags).
 *
 * @param maxPayloadBytes largest message (payload plus headers, as the transport counts it) that {@code send}
 *                        accepts; larger ones fail with {@link io.courier.PayloadTooLargeException} (C8)
 * @param ordering        messages with the same ordering key are delivered in send order, one at a time (C9)
 * @param stickyMember    {@code any@group/member} prefers the member while it is subscribed (C4)
 * @param delayTolerance  how late past its not-before time a delayed message may first be delivered (C10)
 * @param unsupported     clause id (e.g. {@code "C12"}) to the reason this transport cannot keep it; the suite
 *                        reports those clauses as {@code unsupported} with the reason
 */
public record Capabilities(long maxPayloadBytes, boolean ordering, boolean stickyMember, Duration delayTolerance,
                           Map<String, String> unsupported) {

    public Capabilities {
        unsupported = Map.copyOf(unsupported);
    }

    /** The reason the clause is not supported, or null when it is. */
    public String unsupportedReason(String clause) { return unsupported.get(clause); }
}
