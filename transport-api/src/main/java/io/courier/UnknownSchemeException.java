package io.courier;

/** No {@code TransportProvider} on the class path handles the URL's scheme; the message lists those that do. */
public class UnknownSchemeException extends InvalidUrlException {
    public UnknownSchemeException(String message) { super(message); }
}
