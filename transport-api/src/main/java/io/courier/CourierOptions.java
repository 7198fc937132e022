package io.courier;

/**
 * Optional features of a {@link Courier}, given to {@link Courier#connect(String, CourierOptions)}. Metrics are off
 * unless a Micrometer {@code MeterRegistry} is given; Micrometer is an optional dependency of Courier, needed on the
 * class path only by applications that call {@link #meterRegistry}.
 *
 * <pre>{@code
 * Courier c = Courier.connect("mem://", CourierOptions.defaults().meterRegistry(registry));
 * }</pre>
 */
public final class CourierOptions {
    /** An {@code io.micrometer.core.instrument.MeterRegistry}, kept untyped so this class loads without Micrometer. */
    private Object meterRegistry;

    private CourierOptions() { }

    /** No metrics. */
    public static CourierOptions defaults() { return new CourierOptions(); }

    /** Records the runtime's metrics (README "Metrics") into {@code registry}. */
    public CourierOptions meterRegistry(io.micrometer.core.instrument.MeterRegistry registry) {
        this.meterRegistry = java.util.Objects.requireNonNull(registry, "registry");
        return this;
    }

    Object meterRegistry() { return meterRegistry; }
}
