/**
 * The service provider interface that a transport adapter implements: {@link io.courier.spi.TransportProvider}
 * (found by {@code ServiceLoader}), {@link io.courier.spi.Transport} (send), {@link io.courier.spi.Receiver}
 * (receive and settle), {@link io.courier.spi.Received} (one delivery), {@link io.courier.spi.Capabilities}
 * (what it declares it can do), and the URL types {@link io.courier.spi.TransportUrl} and
 * {@link io.courier.spi.Parameter}. Policy (retries, dead-letters, concurrency, lease extension, close) is not the
 * adapter's: it lives once in the shared runtime, {@code io.courier.runtime}.
 */
package io.courier.spi;
