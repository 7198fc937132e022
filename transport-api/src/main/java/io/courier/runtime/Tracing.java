package io.courier.runtime;

import io.courier.Message;

/**
 * The runtime's tracing hooks (C19). {@link #NONE} (the default) does nothing; {@link #openTelemetry} traces through
 * the OpenTelemetry API, an optional dependency that only {@code OtelTracing} touches, loaded only when an
 * application gives an {@code OpenTelemetry}.
 */
public interface Tracing {
    /** Traces nothing. */
    Tracing NONE = new Tracing() { };

    /** Tracing through {@code openTelemetry} (an {@code io.opentelemetry.api.OpenTelemetry}). */
    static Tracing openTelemetry(Object openTelemetry, String system) { return new OtelTracing(openTelemetry, system); }

    /** A span that ends with the operation it covers. */
    interface Span {
        /** Ends the span; {@code error} null on success. */
        void end(Throwable error);
    }

    /** A started producer span and the message with the span's context injected in its headers. */
    record Send(Message message, Span span) { }

    /** Starts a producer span around sending {@code m}; its context goes into {@code traceparent} / {@code tracestate}. */
    default Send startSend(Message m) { return new Send(m, NO_SPAN); }

    /** Starts the consumer span of a handler, child of the sender's context in the headers, current until it ends. */
    default Span startProcess(String group, Message m, int attempt) { return NO_SPAN; }

    /** A span that records nothing. */
    Span NO_SPAN = error -> { };
}
