package io.courier;

/**
 * The broker cannot be reached, or the connection was lost and not recovered in time. A send that fails with it was
 * not accepted (clause C12): the caller may retry it.
 */
public class TransportUnavailableException extends CourierException {
    public TransportUnavailableException(String message) { super(message); }

    public TransportUnavailableException(String message, Throwable cause) { super(message, cause); }
}
