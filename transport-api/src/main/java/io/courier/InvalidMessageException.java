package io.courier;

/** A message that cannot be sent as built: an invalid header name, id or destination. */
public class InvalidMessageException extends CourierException {
    public InvalidMessageException(String message) { super(message); }
}
