package io.courier;

/** The broker refused the credentials. The message names the user and where, never the secret. */
public class AuthenticationException extends CourierException {
    public AuthenticationException(String message) { super(message); }

    public AuthenticationException(String message, Throwable cause) { super(message, cause); }
}
