/**
 * Courier's API: the facade ({@code io.courier}) that servers and workers program against, and the SPI
 * ({@code io.courier.spi}, with its support package {@code io.courier.spi.support}: lease bookkeeping and wire
 * header names for adapters) that adapters implement. The shared runtime ({@code io.courier.runtime}) and the reference
 * engine ({@code io.courier.mem}) are internal: exported only to Courier's own modules that build on them.
 */
module io.courier {
    requires transitive org.slf4j;
    requires static io.opentelemetry.api; // optional: traces only when the application gives an OpenTelemetry
    requires static io.opentelemetry.context;
    requires static micrometer.core; // optional: metrics only when the application gives a MeterRegistry

    exports io.courier;
    exports io.courier.spi;
    exports io.courier.spi.support;
    exports io.courier.mem to io.courier.http, io.courier.sim, io.courier.conformance;
    exports io.courier.runtime to io.courier.http, io.courier.sim;

    uses io.courier.spi.TransportProvider;
    provides io.courier.spi.TransportProvider with io.courier.mem.MemProvider;
}
