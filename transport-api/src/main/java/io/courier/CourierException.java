package io.courier;

/**
 * Base of Courier's typed errors (clause C14). Every message names the problem and the fix, and never contains
 * credentials or payload bytes.
 */
public class CourierException extends RuntimeException {
    public CourierException(String message) { super(message); }

    public CourierException(String message, Throwable cause) { super(message, cause); }
}
