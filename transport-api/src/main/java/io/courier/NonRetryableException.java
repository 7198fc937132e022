package io.courier;

/**
 * Thrown by a handler to say that retrying cannot help: the message is dead-lettered at once, with this exception's
 * message as the reason (clause C15).
 */
public class NonRetryableException extends Exception {
    public NonRetryableException(String message) { super(message); }

    public NonRetryableException(String message, Throwable cause) { super(message, cause); }
}
