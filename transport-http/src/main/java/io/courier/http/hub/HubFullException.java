package io.courier.http.hub;

/**
 * A send refused because the unacked messages would take more heap than the hub allows
 * ({@link HubOptions#heldBytesLimit()}) or its journal more disk ({@link HubOptions#maxJournalBytes()}); the message
 * names the limit and the fix. Nothing of the request was stored, and the hub accepts again as soon as consumers ack
 * (answered 503 {@code hub_full} with {@code Retry-After}).
 */
final class HubFullException extends RuntimeException {
    HubFullException(String message) { super(message, null, false, false); }
}
