package io.courier.runtime;

import io.courier.Destination;
import java.util.function.IntSupplier;

/**
 * The runtime's metrics hooks, written once for every transport. {@link #NONE} (the default) does nothing and costs
 * nothing; {@link #micrometer} records them through Micrometer, which is an optional dependency: only
 * {@code MicrometerTelemetry} touches its classes, and it is loaded only when an application gives a registry.
 * Names follow the OpenTelemetry messaging semantic conventions (see the README's "Metrics" table).
 */
public interface Telemetry {
    /** Records nothing. */
    Telemetry NONE = new Telemetry() { };

    /** Metrics into {@code meterRegistry} (an {@code io.micrometer.core.instrument.MeterRegistry}). */
    static Telemetry micrometer(Object meterRegistry, String system) {
        return new MicrometerTelemetry(meterRegistry, system);
    }

    /**
     * A send of {@code batch} finished after {@code nanos}, {@code error} null on success: one {@link #sent} per
     * destination of the batch. Does nothing when metrics are off (no per-message work).
     */
    default void sentBatch(java.util.List<io.courier.Message> batch, long nanos, Throwable error) { }

    /** The backlog of {@code group} as its broker tells it ({@link io.courier.spi.GroupStats#backlog()}); empty: unknown. */
    default void backlog(String group, java.util.OptionalLong backlog) { }

    /** Every metric recorded so far in the Prometheus text format; empty when metrics are off. */
    default String prometheusText() { return ""; }

    /** A send of {@code count} messages to {@code destination} finished after {@code nanos}; {@code error} null on success. */
    default void sent(Destination destination, int count, long nanos, Throwable error) { }

    /**
     * {@code count} deliveries to {@code destination} were received for {@code group}. The destination is passed as
     * is: only a recording implementation turns it into a name (no per-message string when metrics are off).
     */
    default void consumed(String group, Destination destination, int count) { }

    /** A handler of {@code group} ran for {@code nanos}; {@code error} null when it returned normally. */
    default void processed(String group, Destination destination, long nanos, Throwable error) { }

    /** A delivery arrived again, as attempt {@code attempt} (2 or more). */
    default void redelivered(String group, int attempt) { }

    /** A message of {@code group} was dead-lettered; {@code kind} is a bounded category of the reason. */
    default void deadLettered(String group, String kind) { }

    /** The leases of {@code count} deliveries of {@code group} were extended. */
    default void leasesExtended(String group, int count) { }

    /**
     * Adds one subscription's unsettled deliveries to the in-flight gauge of {@code group}, which shows the sum over
     * the group's subscriptions of this Courier, and its prefetch {@code window} (read at each sample: an adaptive
     * window changes) to the group's prefetch-use gauge (unsettled over window, 0 to 1); the returned action removes
     * both again (at the subscription's close). {@code window} is null for a count with no prefetch.
     */
    default Runnable inFlight(String group, IntSupplier unsettled, IntSupplier window) { return () -> { }; }

    /** An in-flight count with no prefetch (the hub's own, per group): the in-flight gauge only. */
    default Runnable inFlight(String group, IntSupplier unsettled) { return inFlight(group, unsettled, null); }

    /** The runtime handed {@code count} coalesced acks of {@code group} to its receiver in one call. */
    default void acksHanded(String group, int count) { }
}
