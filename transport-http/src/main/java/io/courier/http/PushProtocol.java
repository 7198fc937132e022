package io.courier.http;

/**
 * Names of the push protocol that both sides use (the envelope and answer tables of the module README): the hub's
 * dispatcher and a push endpoint, Courier's own or any other.
 */
public final class PushProtocol {
    private PushProtocol() {}

    /**
     * The answer header of an endpoint that did not take a push (it had no room: at its prefetch, or its runtime did not
     * take it within a second): with {@code 503} or {@code 429}, the hub gives the lease back without counting the
     * attempt, offers the message to the group's other members at once, and keeps that request slot of the endpoint
     * idle for the answer's {@code Retry-After} (1 s when absent; 100 ms to 30 s).
     */
    public static final String NOT_TAKEN = "courier-not-taken";
}
