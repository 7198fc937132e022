package io.courier;

/**
 * Optional features of a {@link Courier}, given to {@link Courier#connect(String, CourierOptions)}. Metrics are off
 * unless a Micrometer {@code MeterRegistry} is given, traces unless an {@code OpenTelemetry} is given; both libraries
 * are optional dependencies of Courier, needed on the class path only by applications that call
 * {@link #meterRegistry} or {@link #openTelemetry}.
 *
 * <pre>{@code
 * Courier c = Courier.connect("mem://", CourierOptions.defaults().meterRegistry(registry));
 * }</pre>
 */
public final class CourierOptions {
    /** An {@code io.micrometer.core.instrument.MeterRegistry}, kept untyped so this class loads without Micrometer. */
    private Object meterRegistry;

    /** An {@code io.opentelemetry.api.OpenTelemetry}, untyped for the same reason. */
    private Object openTelemetry;

    /** How often the backlog gauge asks the broker ({@code Transport.admin()}); only with a meter registry. */
    private java.time.Duration backlogInterval = java.time.Duration.ofSeconds(15);

    private CourierOptions() { }

    /** No metrics. */
    public static CourierOptions defaults() { return new CourierOptions(); }

    /** Records the runtime's metrics (README "Metrics") into {@code registry}. */
    public CourierOptions meterRegistry(io.micrometer.core.instrument.MeterRegistry registry) {
        this.meterRegistry = java.util.Objects.requireNonNull(registry, "registry");
        return this;
    }

    /**
     * Traces sends and handlers through {@code openTelemetry} (C19): a producer span per sent message, its W3C
     * {@code traceparent} / {@code tracestate} in the message's headers, and a consumer span around each handler.
     */
    public CourierOptions openTelemetry(io.opentelemetry.api.OpenTelemetry openTelemetry) {
        this.openTelemetry = java.util.Objects.requireNonNull(openTelemetry, "openTelemetry");
        return this;
    }

    /**
     * How often the {@code courier.backlog} gauge of each subscribed group asks the broker (default 15 s): one
     * {@link io.courier.spi.Admin#stats} call per group per interval, on a thread of its own. Only with a
     * {@link #meterRegistry} and a transport that offers {@code admin()}.
     */
    public CourierOptions backlogInterval(java.time.Duration interval) {
        if (interval == null || interval.isNegative() || interval.isZero()) {
            throw new IllegalArgumentException("backlogInterval must be positive, got " + interval);
        }
        this.backlogInterval = interval;
        return this;
    }

    Object meterRegistry() { return meterRegistry; }

    java.time.Duration backlogInterval() { return backlogInterval; }

    Object openTelemetry() { return openTelemetry; }
}
