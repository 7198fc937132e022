package io.courier;

/** A transport URL that cannot be used: malformed, an invalid host or port, an unknown or invalid parameter. */
public class InvalidUrlException extends CourierException {
    public InvalidUrlException(String message) { super(message); }
}
